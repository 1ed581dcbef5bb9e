//! Table-driven tests and proptests of the mapping rules.

use dbrepo_rules::strategies::name_text;
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
