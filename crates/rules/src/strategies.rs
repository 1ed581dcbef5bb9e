//! proptest generators of the rules' inputs (feature `strategies`), so the
//! service's tests and this crate's draw names the same way.

use proptest::prelude::*;

/// Words of letters separated by assorted white space (ASCII space, tab,
/// NO-BREAK SPACE, IDEOGRAPHIC SPACE), as people type names, with white
/// space after the last word.
pub fn name_text() -> impl Strategy<Value = String> {
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
