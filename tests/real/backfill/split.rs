//! The backfill's SQL split is `core::mapping::split_full_name`, character
//! for character, for names full of assorted Unicode white space.

use dbrepo::core::mapping::split_full_name;
use proptest::prelude::*;

use super::{BATCH, backfill, stored_names};
use crate::previous_release::PreviousRelease;
use crate::support::TestDatabase;

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
    fn the_backfill_splits_exactly_as_split_full_name(names in proptest::collection::vec(full_name(), 25)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mismatches = runtime.block_on(async {
            let db = TestDatabase::new().await;
            let old = PreviousRelease::new(db.pool().clone());
            let team = old.create_team().await;
            let mut ids = Vec::new();
            for name in &names {
                ids.push(old.create_member(team, name, false).await);
            }
            backfill(&db, BATCH, None).await;
            let mut mismatches = Vec::new();
            for id in ids {
                let (full, given, family) = stored_names(db.pool(), id).await;
                let (want_given, want_family) = split_full_name(&full);
                if (given.as_deref(), family.as_deref())
                    != (Some(want_given.as_str()), Some(want_family.as_str()))
                {
                    mismatches.push((full, given, family, want_given, want_family));
                }
            }
            mismatches
        });
        prop_assert!(mismatches.is_empty(), "SQL split differs: {:#?}", mismatches);
    }
}
