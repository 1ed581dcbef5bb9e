//! The cross-version mapping rules of shared/DOMAIN.md ("How v1 and v2 see the
//! same member"), as pure functions. The fake store, the PostgreSQL store and
//! the API adapters all call these; none re-implements them.

use time::OffsetDateTime;

use super::fields::{FamilyName, FullName, GivenName};

/// Splits a v1 full name into v2 (given, family) at the first run of white
/// space: "Mary Ann Smith" is ("Mary", "Ann Smith"), "Madonna" is
/// ("Madonna", ""). The name is trimmed first, so neither part starts or ends
/// with white space.
pub fn split_full_name(full_name: &str) -> (String, String) {
    let trimmed = full_name.trim();
    match trimmed.split_once(char::is_whitespace) {
        Some((given, family)) => (given.to_owned(), family.trim_start().to_owned()),
        None => (trimmed.to_owned(), String::new()),
    }
}

/// Joins v2 names into the v1 full name: "given family", or just "given"
/// when the family name is empty.
pub fn join_names(given_name: &str, family_name: &str) -> String {
    if family_name.is_empty() {
        given_name.to_owned()
    } else {
        format!("{given_name} {family_name}")
    }
}

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

/// Unicode White_Space (what `char::is_whitespace` and `str::trim` use), as a
/// regular-expression bracket class for SQL, so the database can trim exactly
/// as Rust does whatever its locale.
pub const WHITE_SPACE_CLASS: &str =
    r"[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

#[cfg(test)]
#[test]
fn white_space_class_lists_exactly_the_unicode_white_space() {
    let listed = |c: char| {
        matches!(c as u32, 0x09..=0x0D | 0x20 | 0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A
            | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000)
    };
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        assert_eq!(listed(c), c.is_whitespace(), "U+{:04X}", c as u32);
    }
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
        match status {
            None if archived => Some(Self::Archived),
            None => Some(Self::Active),
            Some(text) => Self::ALL.into_iter().find(|s| s.as_stored() == text),
        }
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
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()
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
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn v1(name: &str) -> NameWrite {
        NameWrite::FullName(FullName::parse(name).unwrap())
    }

    fn v2(given: &str, family: &str) -> NameWrite {
        NameWrite::Split {
            given: GivenName::parse(given.into()).unwrap(),
            family: FamilyName::parse(family.into()).unwrap(),
        }
    }

    #[test]
    fn v1_names_split_at_the_first_white_space_run() {
        let cases = [
            ("Ada Lovelace", ("Ada", "Lovelace"), "spec example"),
            (
                "Mary Ann Smith",
                ("Mary", "Ann Smith"),
                "only the first space splits",
            ),
            (
                "Madonna",
                ("Madonna", ""),
                "one word has an empty family name",
            ),
            (
                "Ada  \tLovelace",
                ("Ada", "Lovelace"),
                "a run of white space is one separator",
            ),
            (
                "Ada\u{3000}Lovelace",
                ("Ada", "Lovelace"),
                "Unicode white space splits too",
            ),
            (
                "Jean-Luc Picard",
                ("Jean-Luc", "Picard"),
                "hyphens do not split",
            ),
        ];
        for (full, (given, family), why) in cases {
            let expected = (given.to_owned(), family.to_owned());
            assert_eq!(split_full_name(full), expected, "{why}");
        }
    }

    #[test]
    fn v2_names_join_with_one_space_or_none() {
        assert_eq!(join_names("Ada", "Lovelace"), "Ada Lovelace");
        assert_eq!(join_names("Mary Ann", "Smith"), "Mary Ann Smith");
        assert_eq!(join_names("Madonna", ""), "Madonna");
        let long = join_names(&"g".repeat(100), &"f".repeat(100));
        assert_eq!(long.chars().count(), 201, "reads return what is stored");
    }

    #[test]
    fn v1_update_keeps_v2_names_when_full_name_unchanged() {
        let stored = v2("Mary Ann", "Smith").for_new_member();
        assert_eq!(stored.full_name, "Mary Ann Smith");
        let after = v1("  Mary Ann Smith ").apply(&stored);
        assert_eq!(after.v2_view(), ("Mary Ann".into(), "Smith".into()));
    }

    #[test]
    fn v1_writing_a_v2_join_that_ends_in_white_space_reads_back_trimmed() {
        let stored = v2("A", "- ").for_new_member();
        assert_eq!(stored.full_name, "A - ", "reads return what is stored");
        let after = v1("A - ").apply(&stored);
        assert_eq!(
            after.full_name, "A -",
            "v1 reads back what it wrote, trimmed"
        );
        assert_eq!(after.v2_view(), ("A".into(), "-".into()));
    }

    #[test]
    fn v1_update_that_changes_full_name_rederives_v2_names() {
        let stored = v2("Mary Ann", "Smith").for_new_member();
        let after = v1("Mary Ann Jones").apply(&stored);
        assert_eq!(after.full_name, "Mary Ann Jones");
        assert_eq!(after.v2_view(), ("Mary".into(), "Ann Jones".into()));
    }

    #[test]
    fn rows_without_v2_names_derive_them_on_read() {
        let legacy = StoredNames {
            full_name: "Grace Brewster Hopper".into(),
            given_name: None,
            family_name: None,
        };
        assert_eq!(legacy.v2_view(), ("Grace".into(), "Brewster Hopper".into()));
    }

    #[test]
    fn v1_archived_maps_onto_status() {
        use MemberStatus::*;
        let cases = [
            (Active, true, Archived, "archiving an active member"),
            (Suspended, true, Archived, "archiving a suspended member"),
            (Archived, true, Archived, "archiving twice"),
            (Archived, false, Active, "unarchiving makes active"),
            (
                Suspended,
                false,
                Suspended,
                "archived=false keeps SUSPENDED",
            ),
            (Active, false, Active, "archived=false keeps ACTIVE"),
        ];
        for (from, archived, to, why) in cases {
            assert_eq!(StatusWrite::V1Archived(archived).apply(from), to, "{why}");
            assert_eq!(to.is_archived(), archived, "{why}: v1 reads what it wrote");
        }
        assert_eq!(StatusWrite::Set(Suspended).apply(Archived), Suspended);
    }

    #[test]
    fn stored_status_falls_back_to_archived_flag() {
        use MemberStatus::*;
        assert_eq!(MemberStatus::from_stored(None, true), Some(Archived));
        assert_eq!(MemberStatus::from_stored(None, false), Some(Active));
        assert_eq!(
            MemberStatus::from_stored(Some("suspended"), false),
            Some(Suspended)
        );
        assert_eq!(MemberStatus::from_stored(Some("retired"), false), None);
    }

    #[test]
    fn etag_round_trips_and_rejects_foreign_strings() {
        let time = truncate_to_micros(OffsetDateTime::now_utc());
        let etag = Etag::for_update_time(time);
        assert!(Etag::from_client(etag.as_str().to_owned()).matches(time));
        for foreign in ["", "xyz", "0x10", "00ff", "-0", " 10"] {
            assert_eq!(
                Etag::from_client(foreign.into()).update_time(),
                None,
                "{foreign:?}"
            );
        }
        let later = time + time::Duration::microseconds(1);
        assert!(!etag.matches(later));
    }

    fn name_text() -> impl Strategy<Value = String> {
        // Words of letters separated by assorted white space, as people type them.
        proptest::collection::vec(("[a-zA-Zé]{1,8}", "[ \t\u{a0}\u{3000}]{1,3}"), 1..5).prop_map(
            |parts| {
                let mut text = String::new();
                for (word, space) in parts {
                    text.push_str(&word);
                    text.push_str(&space);
                }
                text
            },
        )
    }

    proptest! {
        #[test]
        fn v1_written_names_read_back_exactly_in_v1(raw in name_text()) {
            let full = FullName::parse(&raw).unwrap();
            let stored = NameWrite::FullName(full.clone()).for_new_member();
            prop_assert_eq!(&stored.full_name, full.as_str());
            prop_assert_eq!(stored.full_name.trim(), raw.trim());
        }

        #[test]
        fn v2_written_names_read_back_exactly_in_both(given in "[a-zA-Z ]{0,6}[a-z]", family in "[a-zA-Z ]{0,8}") {
            let write = v2(&given, &family);
            let stored = write.for_new_member();
            prop_assert_eq!(stored.v2_view(), (given.clone(), family.clone()));
            prop_assert_eq!(stored.full_name, join_names(&given, &family));
        }

        #[test]
        fn split_then_join_normalises_only_white_space(raw in name_text()) {
            let (given, family) = split_full_name(&raw);
            prop_assert!(!given.is_empty());
            prop_assert!(!given.contains(char::is_whitespace));
            prop_assert_eq!(family.trim(), family.as_str());
            let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
            prop_assert_eq!(words(&join_names(&given, &family)), words(&raw));
        }

        #[test]
        fn v1_rewrite_of_the_same_full_name_never_clobbers_v2_names(given in "[A-Z][a-z]{0,5}( [A-Z][a-z]{0,5})?", family in "([a-zA-Z ]{0,7}[a-zA-Z])?") {
            let stored = v2(&given, &family).for_new_member();
            // Sent padded, as v1 clients may: equal after trimming.
            let padded = format!("\u{3000} {}\t", stored.full_name);
            let same = NameWrite::FullName(FullName::parse(&padded).unwrap());
            prop_assert_eq!(same.apply(&stored).v2_view(), (given, family));
        }

        #[test]
        fn v1_reads_back_what_it_wrote_over_any_v2_names(given in "[a-zA-Z ]{0,6}[a-z]", family in "[a-zA-Z ]{0,8}", other in name_text()) {
            let stored = v2(&given, &family).for_new_member();
            // The join it read (which may end in white space), or another name.
            for written in [stored.full_name.clone(), other] {
                let full = FullName::parse(&written).unwrap();
                let after = NameWrite::FullName(full).apply(&stored);
                prop_assert_eq!(after.full_name.as_str(), written.trim());
            }
        }
    }
}
