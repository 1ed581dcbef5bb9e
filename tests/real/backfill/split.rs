//! What the backfill stores is `split_full_name` of the stored full name,
//! character for character: the split runs in Rust (`dbrepo-rules`), so
//! these tests check that names of every kind survive the trip through
//! the read, the text arrays of the write and back.

use dbrepo::core::mapping::{is_white_space, split_full_name};
use proptest::prelude::*;
use uuid::Uuid;

use super::{BATCH, backfill, stored_names};
use crate::previous_release::PreviousRelease;
use crate::support::TestDatabase;

/// Writes `names` as the previous release, backfills, and returns every
/// row whose stored names are not the split of its stored full name.
async fn mismatches_after_backfill(
    names: &[String],
) -> Vec<(String, Option<String>, Option<String>)> {
    let db = TestDatabase::new().await;
    let old = PreviousRelease::new(db.pool().clone());
    let team = old.create_team().await;
    let mut ids: Vec<Uuid> = Vec::new();
    for name in names {
        ids.push(old.create_member(team, name, false).await);
    }
    let report = backfill(&db, BATCH, None).await;
    assert_eq!(report.rows_updated, names.len() as u64, "{report:?}");
    let mut mismatches = Vec::new();
    for (id, name) in ids.into_iter().zip(names) {
        let (full, given, family) = stored_names(db.pool(), id).await;
        assert_eq!(&full, name, "the full name is not touched");
        let (want_given, want_family) = split_full_name(&full);
        if (given.as_deref(), family.as_deref())
            != (Some(want_given.as_str()), Some(want_family.as_str()))
        {
            mismatches.push((full, given, family));
        }
    }
    mismatches
}

#[tokio::test]
async fn the_backfill_stores_split_full_name_of_tricky_names() {
    let every_white: Vec<char> = (0..=0x10FFFFu32)
        .filter_map(char::from_u32)
        .filter(|c| is_white_space(*c))
        .collect();
    assert_eq!(every_white.len(), 25, "Unicode White_Space");
    let all_white: String = every_white.iter().collect();
    let mut names: Vec<String> = [
        "Ada Lovelace",
        "Madonna",
        " ",
        "\u{3000}\u{a0}\t",
        "x",
        "Mary Ann  Smith ",
        "NULL",
        "NULL NULL",
        "{a,b} \"c\"",
        "O'Brien back\\slash",
        "Ada\u{200b}Lovelace\u{feff}",
        "\u{180e}Ada\u{2060} Lovelace",
        "%_ .* [[:space:]] \\s+",
        "\u{1F600} \u{1F469}\u{200D}\u{1F4BB}",
    ]
    .map(String::from)
    .into();
    // Every White_Space character alone, all together, between words and
    // around them.
    names.push(all_white.clone());
    for c in &every_white {
        names.push(c.to_string());
        names.push(format!("{c}Given{c}{c}Family{c}Name{c}"));
    }
    // Long names: the 201 characters the column allows, multi-byte.
    names.push(format!("{}\u{3000}{}", "名".repeat(100), "姓".repeat(100)));
    names.push(format!(
        "{}{all_white}",
        "é".repeat(201 - all_white.chars().count())
    ));
    names.push("ß".repeat(201));
    let mismatches = mismatches_after_backfill(&names).await;
    assert!(
        mismatches.is_empty(),
        "stored split differs: {mismatches:#?}"
    );
}

/// Every Unicode White_Space character, and look-alikes that are not
/// White_Space (zero-width space, Mongolian vowel separator, BOM), which
/// must not split.
const WHITE: &[char] = &[
    '\t', '\n', '\u{b}', '\u{c}', '\r', ' ', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}',
    '\u{2005}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}',
];
const NOT_WHITE: &[char] = &['\u{200b}', '\u{180e}', '\u{feff}', '\u{2060}'];

fn white_run() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(WHITE), 1..4)
        .prop_map(|chars| chars.into_iter().collect())
}

fn word() -> impl Strategy<Value = String> {
    let odd = proptest::sample::select(NOT_WHITE).prop_map(String::from);
    prop_oneof![
        4 => "[a-zA-Zéøß0-9.'*\\[\\\\^$-]{1,8}",
        1 => "[\u{4e00}-\u{4e10}]{1,3}",
        1 => ("[a-z]{1,3}", odd).prop_map(|(w, o)| format!("{w}{o}{w}")),
    ]
}

/// Optional leading run, words separated by runs, optional trailing run;
/// now and then a name that is only white space.
fn full_name() -> impl Strategy<Value = String> {
    let words = proptest::collection::vec((word(), white_run()), 1..5);
    let lead = proptest::option::weighted(0.3, white_run());
    let trail = proptest::option::weighted(0.3, white_run());
    prop_oneof![
        12 => (lead, words, trail).prop_map(|(lead, words, trail)| {
            let mut name = lead.unwrap_or_default();
            let last = words.len() - 1;
            for (i, (word, space)) in words.into_iter().enumerate() {
                name.push_str(&word);
                if i < last {
                    name.push_str(&space);
                }
            }
            name + &trail.unwrap_or_default()
        }),
        1 => white_run(),
    ]
}

proptest! {
    // 8 cases of 25 names: 200 names, each case one database and one run.
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn the_backfill_stores_split_full_name_of_any_name(names in proptest::collection::vec(full_name(), 25)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mismatches = runtime.block_on(mismatches_after_backfill(&names));
        prop_assert!(mismatches.is_empty(), "stored split differs: {:#?}", mismatches);
    }
}
