//! Seeded ids computable from an integer.
//!
//! Every seeded row's id is `KKKKKKKK-0000-4000-8000-NNNNNNNNNNNN`: a prefix
//! per kind and the row's number in hex. The seed SQL, the load generator
//! and the pgbench scripts all derive ids from `(kind, n)`, so pgbench can
//! draw a random existing id with `\set n random(lo, hi)` and rebuild it in
//! SQL ([`Kind::sql`]); that costs PostgreSQL a few string functions per
//! statement, which is the documented price of the comparison.

use uuid::Uuid;

/// What a seeded id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `manager.teams`.
    Team,
    /// `manager.members`.
    Member,
    /// `app.tasks`.
    Task,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Team, Kind::Member, Kind::Task];

    fn prefix(self) -> &'static str {
        match self {
            Kind::Team => "b0000001-0000-4000-8000-",
            Kind::Member => "b0000002-0000-4000-8000-",
            Kind::Task => "b0000003-0000-4000-8000-",
        }
    }

    /// The id of row `n` of this kind.
    pub fn id(self, n: u64) -> Uuid {
        let text = format!("{}{n:012x}", self.prefix());
        Uuid::parse_str(&text).expect("a well-formed uuid")
    }

    /// SQL building the id of row `n_sql` (an integer expression).
    pub fn sql(self, n_sql: &str) -> String {
        format!(
            "('{}' || lpad(to_hex({n_sql}), 12, '0'))::uuid",
            self.prefix()
        )
    }

    /// [`Kind::sql`] as a scalar subquery, for statements replayed in place
    /// of a bound uuid. PostgreSQL runs an uncorrelated subquery once per
    /// execution (an InitPlan), as it reads a bound parameter once; the bare
    /// expression is re-evaluated for every row a sequential scan filters
    /// (all 100 teams under GetTeam's generic plan), which would charge
    /// pgbench work dbrepo's statement never does.
    pub fn param_sql(self, n_sql: &str) -> String {
        format!("(SELECT {})", self.sql(n_sql))
    }

    /// The kind and number of a seeded id, `None` for any other uuid.
    pub fn parse(id: &Uuid) -> Option<(Kind, u64)> {
        let text = id.hyphenated().to_string();
        Kind::ALL.into_iter().find_map(|kind| {
            let digits = text.strip_prefix(kind.prefix())?;
            Some((kind, u64::from_str_radix(digits, 16).ok()?))
        })
    }
}

/// The email of seeded member `n`, as [`member_email_sql`] builds it (unique, so a replayed UPDATE that writes
/// a member's own email back never collides with another member's).
#[cfg(test)]
pub fn member_email(n: u64) -> String {
    format!("m{n}@bench.example")
}

/// SQL building [`member_email`] of `n_sql`.
pub fn member_email_sql(n_sql: &str) -> String {
    format!("('m' || {n_sql} || '@bench.example')")
}

/// The member number in a seeded email, `None` for any other text.
pub fn parse_member_email(text: &str) -> Option<u64> {
    text.strip_prefix('m')?
        .strip_suffix("@bench.example")?
        .parse()
        .ok()
}

/// SplitMix64: a tiny, fast, seedable generator for picking rows (the load
/// generator's CPU is measured, so it must not be expensive).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        lo + z % (hi - lo + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let id = Kind::Member.id(4242);
        assert_eq!(Kind::parse(&id), Some((Kind::Member, 4242)));
        assert_eq!(Kind::parse(&Uuid::nil()), None);
        assert_eq!(parse_member_email(&member_email(7)), Some(7));
    }
}
