//! Table-driven tests and proptests of the shared rules.

use proptest::prelude::*;

use super::*;
use crate::strategies::name_text;

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
        (
            "\u{2028} Ada \u{85}Lovelace\u{a0}",
            ("Ada", "Lovelace"),
            "trimmed at both ends first",
        ),
        (
            "Ada Lovelace  King \t",
            ("Ada", "Lovelace  King"),
            "inner runs of the family name are kept",
        ),
        (
            "Ada\u{200b}Lovelace",
            ("Ada\u{200b}Lovelace", ""),
            "a zero-width space is not white space",
        ),
        ("", ("", ""), "empty (the database may hold it)"),
        (" \t\u{3000}", ("", ""), "only white space"),
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
fn white_space_is_exactly_the_unicode_white_space_property() {
    // Unicode 16 PropList.txt, White_Space.
    let listed = |c: char| {
        matches!(c as u32, 0x09..=0x0D | 0x20 | 0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A
            | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000)
    };
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        assert_eq!(listed(c), is_white_space(c), "U+{:04X}", c as u32);
    }
}

proptest! {
    #[test]
    fn split_then_join_normalises_only_white_space(raw in name_text()) {
        let (given, family) = split_full_name(&raw);
        prop_assert!(!given.is_empty());
        prop_assert!(!given.contains(is_white_space));
        prop_assert_eq!(family.trim(), family.as_str());
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        prop_assert_eq!(words(&join_names(&given, &family)), words(&raw));
    }

    #[test]
    fn a_split_of_a_join_without_inner_white_space_in_given_is_the_parts(
        given in "[a-zA-Z]{1,8}",
        family in "([a-zA-Z]{1,5}( [a-zA-Z]{1,5})?)?",
    ) {
        prop_assert_eq!(split_full_name(&join_names(&given, &family)), (given, family));
    }
}

#[test]
fn names_agree_when_written_by_either_version_and_not_otherwise() {
    // Written by v2: the full name is the join, even with a spaced given name.
    assert!(names_agree("Mary Ann Smith", "Mary Ann", "Smith"));
    // Derived from a v1 full name with extra white space: the split.
    assert!(names_agree("Ada \u{3000} Lovelace", "Ada", "Lovelace"));
    assert!(names_agree("Madonna", "Madonna", ""));
    assert!(!names_agree("Ada Lovelace", "Grace", "Hopper"));
    assert!(!names_agree("Ada Lovelace", "Ada", ""));
}

proptest! {
    #[test]
    fn names_stored_by_either_rule_agree(raw in name_text()) {
        let (given, family) = split_full_name(&raw);
        prop_assert!(names_agree(&raw, &given, &family));
        prop_assert!(names_agree(&join_names(&given, &family), &given, &family));
    }
}

#[test]
fn a_row_without_a_status_is_archived_or_active_as_its_flag_says() {
    assert_eq!(status_of_archived(true), "archived");
    assert_eq!(status_of_archived(false), "active");
}
