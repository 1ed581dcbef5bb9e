//! The cross-version mapping rules of shared/DOMAIN.md ("How v1 and v2 see the
//! same member"), as pure functions. The fake store, the PostgreSQL store and
//! the API adapters all call these; none re-implements them. The name split
//! and join live in the dependency-free crate `dbrepo-rules` (re-exported
//! here), so the migrations' backfill runs the very same code.

use time::OffsetDateTime;

use super::fields::{FamilyName, FullName, GivenName, Timestamp};

pub use dbrepo_rules::{is_white_space, join_names, split_full_name};

/// The three name columns as stored. `given`/`family` are `None` for a row
/// whose full name was last written by a writer that knows only v1's columns
/// (the previous release, or any row from before the v2 migration until it is
/// backfilled); v2 then sees the split of the full name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNames {
    /// v1's datum, always present.
    pub full_name: String,
    /// v2's given name when stored.
    pub given_name: Option<String>,
    /// v2's family name when stored.
    pub family_name: Option<String>,
}

impl StoredNames {
    /// The v2 view: the stored names, else derived from the full name.
    pub fn v2_view(&self) -> (String, String) {
        match (&self.given_name, &self.family_name) {
            (Some(given), Some(family)) => (given.clone(), family.clone()),
            _ => split_full_name(&self.full_name),
        }
    }
}

/// A write of a member's names, by the version that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameWrite {
    /// v1 writes one full name. When it equals the stored full name nothing
    /// changes (v2's names stay as they were); otherwise v2's names are
    /// re-derived from it.
    FullName(FullName),
    /// v2 writes given and family names exactly; v1 then reads their join.
    Split {
        /// The new given name.
        given: GivenName,
        /// The new family name.
        family: FamilyName,
    },
}

impl NameWrite {
    /// The stored names of a new member written this way.
    pub fn for_new_member(&self) -> StoredNames {
        match self {
            Self::FullName(full) => {
                let (given, family) = split_full_name(full.as_str());
                StoredNames {
                    full_name: full.as_str().to_owned(),
                    given_name: Some(given),
                    family_name: Some(family),
                }
            }
            Self::Split { given, family } => StoredNames {
                full_name: join_names(given.as_str(), family.as_str()),
                given_name: Some(given.as_str().to_owned()),
                family_name: Some(family.as_str().to_owned()),
            },
        }
    }

    /// The stored names after applying this write to `current`.
    pub fn apply(&self, current: &StoredNames) -> StoredNames {
        match self {
            Self::FullName(full) if is_unchanged_full_name(full, &current.full_name) => {
                current.clone()
            }
            _ => self.for_new_member(),
        }
    }
}

/// Whether a v1 write of `written` (already trimmed) leaves the stored full
/// name unchanged: equal to it exactly, as the 0002 trigger compares for the
/// previous release. The stored side is not trimmed: a v2 name part may end
/// in white space, so the stored join can too ("A" + "- " is "A - "), and v1
/// writing "A - " must read back "A -", what it wrote after trimming; so
/// that write is a change, and re-derives v2's names.
pub fn is_unchanged_full_name(written: &FullName, stored: &str) -> bool {
    written.as_str() == stored
}

/// A member's status. v1 sees only whether it is [`MemberStatus::Archived`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemberStatus {
    /// Working in the team; may be assigned tasks.
    Active,
    /// Temporarily inactive (v2 only; v1 sees "not archived").
    Suspended,
    /// Gone from the team's work (v1 `archived = true`).
    Archived,
}

impl MemberStatus {
    /// Every status, in declaration order.
    pub const ALL: [Self; 3] = [Self::Active, Self::Suspended, Self::Archived];

    /// v1's `archived` flag for this status.
    pub fn is_archived(self) -> bool {
        self == Self::Archived
    }

    /// The status after a v1 write of `archived`: true archives; false makes
    /// an archived member active and leaves a suspended one suspended.
    pub fn with_v1_archived(self, archived: bool) -> Self {
        match (archived, self) {
            (true, _) => Self::Archived,
            (false, Self::Archived) => Self::Active,
            (false, other) => other,
        }
    }

    /// The status of a stored row: the `status` column when set, else derived
    /// from v1's `archived` column (rows written before the v2 migration).
    pub fn from_stored(status: Option<&str>, archived: bool) -> Option<Self> {
        let stored = status.unwrap_or_else(|| dbrepo_rules::status_of_archived(archived));
        Self::ALL.into_iter().find(|s| s.as_stored() == stored)
    }

    /// The value of the `status` column.
    pub fn as_stored(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Archived => "archived",
        }
    }
}

/// A write of a member's status, by the version that makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusWrite {
    /// v2 sets the status.
    Set(MemberStatus),
    /// v1 sets `archived`; see [`MemberStatus::with_v1_archived`].
    V1Archived(bool),
}

impl StatusWrite {
    /// The status after applying this write to `current`.
    pub fn apply(self, current: MemberStatus) -> MemberStatus {
        match self {
            Self::Set(status) => status,
            Self::V1Archived(archived) => current.with_v1_archived(archived),
        }
    }
}

/// A member's opaque version for optimistic concurrency. It is derived from
/// the update time, which the database makes strictly increase on every
/// update by any writer, so it changes on every successful update, whichever
/// version (or release) made it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Etag(String);

impl Etag {
    /// The etag of a member last updated at `update_time`.
    pub fn for_update_time(update_time: OffsetDateTime) -> Self {
        Self(format!("{:x}", micros(update_time)))
    }

    /// Wraps a client's etag string without judging it: a string this
    /// service did not produce simply matches no member.
    pub fn from_client(etag: String) -> Self {
        Self(etag)
    }

    /// The etag as sent to clients.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The update time this etag stands for, or `None` when the string is
    /// not one this service produces (it then matches no member).
    pub fn update_time(&self) -> Option<OffsetDateTime> {
        let micros = i64::from_str_radix(&self.0, 16).ok()?;
        if self.0 != format!("{micros:x}") {
            return None;
        }
        Timestamp::from_unix_micros(micros).ok().map(Timestamp::get)
    }

    /// Whether a member last updated at `update_time` has this etag.
    pub fn matches(&self, update_time: OffsetDateTime) -> bool {
        self.update_time() == Some(update_time)
    }
}

/// What an update or delete requires of the member's current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Apply whatever the current version is (an empty etag in v2; always in v1).
    None,
    /// Apply only when the member's current etag is this one; else ABORTED.
    Etag(Etag),
}

/// Microseconds since the Unix epoch: PostgreSQL's timestamp precision.
pub fn micros(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos().div_euclid(1000)).unwrap_or(i64::MAX)
}

/// `time` cut to whole microseconds, the precision PostgreSQL stores, so a
/// value reads back exactly as it was written.
pub fn truncate_to_micros(time: OffsetDateTime) -> OffsetDateTime {
    let nanos = time.unix_timestamp_nanos();
    OffsetDateTime::from_unix_timestamp_nanos(nanos - nanos.rem_euclid(1000)).unwrap_or(time)
}

#[cfg(test)]
mod tests;
