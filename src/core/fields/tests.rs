//! Table-driven tests of the field types.

use super::*;

#[test]
fn full_name_is_trimmed_with_unicode_white_space_and_keeps_inner_space() {
    let name = FullName::parse("\u{3000} Ada  Lovelace\t\u{a0}").unwrap();
    assert_eq!(name.as_str(), "Ada  Lovelace");
}

#[test]
fn blank_required_text_is_rejected() {
    assert!(FullName::parse(" \u{2003}\n").is_err());
    assert!(TeamName::parse("   ".into()).is_err());
    assert!(GivenName::parse(String::new()).is_err());
}

#[test]
fn lengths_count_characters_not_bytes() {
    assert!(GivenName::parse("é".repeat(100)).is_ok());
    assert!(GivenName::parse("é".repeat(101)).is_err());
    assert!(FamilyName::parse(String::new()).is_ok());
    assert!(TeamName::parse("x".repeat(201)).is_err());
    assert!(FullName::parse(&format!("  {}  ", "y".repeat(200))).is_ok());
}

#[test]
fn email_shapes() {
    let cases = [
        ("ada@example.org", true, "plain"),
        ("Ada.L@Sub.Example.org", true, "mixed case and dots"),
        ("ada@example", false, "no dot after @"),
        ("ada.example.org", false, "no @"),
        ("a@b@example.org", false, "two @"),
        ("@example.org", false, "nothing before @"),
        ("ada@.org", false, "dot first in domain"),
        ("ada@example.", false, "dot last in domain"),
        ("ada lovelace@example.org", false, "white space"),
    ];
    for (email, ok, why) in cases {
        assert_eq!(Email::parse(email.into()).is_ok(), ok, "{why}: {email}");
    }
    let long = format!("{}@example.org", "a".repeat(254 - 12));
    assert_eq!(long.chars().count(), 254);
    assert!(Email::parse(long.clone()).is_ok());
    assert!(Email::parse(format!("a{long}")).is_err());
}

#[test]
fn page_size_defaults_and_bounds() {
    assert_eq!(PageSize::parse(0).unwrap().get(), 50);
    assert_eq!(PageSize::parse(100).unwrap().get(), 100);
    assert!(PageSize::parse(101).is_err());
    assert!(PageSize::parse(-1).is_err());
    assert!(Offset::parse(-5).is_err());
}

#[test]
fn ids_must_be_uuids() {
    assert!(TeamId::parse("").is_err());
    assert!(TeamId::parse("not-a-uuid").is_err());
    let id = TeamId::generate();
    assert_eq!(TeamId::parse(&id.to_string()).unwrap(), id);
}

#[test]
fn no_text_field_accepts_u0000_anywhere() {
    // PostgreSQL's `text` cannot hold U+0000: a value with one must be
    // refused here, where it is a client error, not by the database.
    type Parse = fn(&str) -> Result<(), Violation>;
    let parsers: [(&str, Parse); 8] = [
        ("team name", |v| TeamName::parse(v.into()).map(drop)),
        ("description", |v| Description::parse(v.into()).map(drop)),
        ("given name", |v| GivenName::parse(v.into()).map(drop)),
        ("family name", |v| FamilyName::parse(v.into()).map(drop)),
        ("title", |v| Title::parse(v.into()).map(drop)),
        ("notes", |v| Notes::parse(v.into()).map(drop)),
        ("full name", |v| FullName::parse(v).map(drop)),
        ("email", |v| Email::parse(v.into()).map(drop)),
    ];
    let values = [
        ("ada\0@example.org", "inside"),
        ("\0ada@example.org", "first"),
        ("ada@example.org\0", "last, where trimming does not reach"),
        ("\0", "alone"),
    ];
    for (field, parse) in parsers {
        assert!(
            parse("ada@example.org").is_ok(),
            "{field}: the control value"
        );
        for (value, why) in values {
            let violation = parse(value).expect_err(field);
            assert!(
                violation.0.contains("U+0000"),
                "{field}, NUL {why}: {violation}"
            );
        }
    }
    assert!(
        check_no_nul("Ada \u{1} Lovelace").is_ok(),
        "other controls are storable"
    );
}

#[test]
fn timestamps_keep_to_protobufs_range() {
    use time::macros::datetime;
    let (min, max) = (Timestamp::MIN_SECONDS, Timestamp::MAX_SECONDS);
    let cases = [
        (
            min,
            0,
            Some(datetime!(0001-01-01 0:00 UTC)),
            "the first instant",
        ),
        (
            max,
            999_999_999,
            Some(datetime!(9999-12-31 23:59:59.999_999 UTC)),
            "the last, cut to µs",
        ),
        (
            0,
            1_500,
            Some(datetime!(1970-01-01 0:00:00.000_001 UTC)),
            "nanoseconds cut to µs",
        ),
        (min - 1, 999_999_999, None, "the last nanosecond of year 0"),
        (max + 1, 0, None, "year 10000"),
        (
            -219_951_955_440,
            0,
            None,
            "year -5000: before PostgreSQL's 4713 BC",
        ),
        (i64::MIN, 0, None, "far past"),
        (i64::MAX, 0, None, "far future"),
        (0, -1, None, "negative nanos"),
        (0, 1_000_000_000, None, "a whole second of nanos"),
    ];
    for (seconds, nanos, expected, why) in cases {
        let got = Timestamp::from_unix(seconds, nanos).map(Timestamp::get);
        assert_eq!(got.ok(), expected, "{why}: {seconds}s {nanos}ns");
    }
}

#[test]
fn timestamps_from_micros_follow_the_same_range() {
    let last = Timestamp::MAX_SECONDS * 1_000_000 + 999_999;
    let first = Timestamp::MIN_SECONDS * 1_000_000;
    assert_eq!(
        Timestamp::from_unix_micros(last).unwrap(),
        Timestamp::from_unix(Timestamp::MAX_SECONDS, 999_999_000).unwrap()
    );
    assert_eq!(Timestamp::from_unix_micros(first).unwrap().get().year(), 1);
    assert_eq!(
        Timestamp::from_unix_micros(-1)
            .unwrap()
            .get()
            .unix_timestamp_nanos(),
        -1_000,
        "before 1970"
    );
    for (micros, why) in [
        (last + 1, "year 10000"),
        (first - 1, "year 0"),
        (i64::MIN, "far past"),
        (i64::MAX, "far future"),
    ] {
        let violation = Timestamp::from_unix_micros(micros).expect_err(why);
        assert!(violation.0.contains("0001-01-01"), "{why}: {violation}");
    }
}
