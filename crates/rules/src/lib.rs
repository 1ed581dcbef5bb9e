//! # dbrepo-rules
//!
//! The rules of shared/DOMAIN.md ("How v1 and v2 see the same member")
//! that both the service and the migrations' backfill apply, as pure
//! functions with no dependencies: the split of a v1 full name into v2
//! names, and the status a member without a stored one has. The service
//! (`dbrepo::core::mapping`) and the backfill both call these, so there is
//! exactly one Rust implementation of each.
//!
//! "White space" is Unicode White_Space ([`is_white_space`]), what
//! `char::is_whitespace` and `str::trim` use, whatever the database's
//! locale.

/// Whether `c` is Unicode White_Space: the characters v1 names are trimmed
/// of and split at. This is `char::is_whitespace`; the function names the
/// rule so callers and tests can point at it.
pub fn is_white_space(c: char) -> bool {
    c.is_whitespace()
}

/// Splits a v1 full name into v2 (given, family) at the first run of white
/// space: "Mary Ann Smith" is ("Mary", "Ann Smith"), "Madonna" is
/// ("Madonna", ""). The name is trimmed first, so neither part starts or
/// ends with white space; a name of only white space is ("", "").
pub fn split_full_name(full_name: &str) -> (String, String) {
    let trimmed = full_name.trim_matches(is_white_space);
    match trimmed.split_once(is_white_space) {
        Some((given, family)) => (
            given.to_owned(),
            family.trim_start_matches(is_white_space).to_owned(),
        ),
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

/// Whether stored v2 names agree with the stored v1 full name: the names
/// were written by v2 (the full name is their join) or derived from a v1
/// full name (they are its split). Any other pair is drift: a contract
/// step that drops `full_name` would change what v1 clients were shown.
pub fn names_agree(full_name: &str, given_name: &str, family_name: &str) -> bool {
    if join_names(given_name, family_name) == full_name {
        return true;
    }
    let (given, family) = split_full_name(full_name);
    given == given_name && family == family_name
}

/// The status of a member whose row holds no `status` (written before the
/// v2 migration, or by the previous release, which knows only v1's
/// `archived`): "archived" if archived, else "active". Its SQL twin, for
/// statements, is `manager.effective_status` (migration 0005).
pub fn status_of_archived(archived: bool) -> &'static str {
    if archived { "archived" } else { "active" }
}

#[cfg(test)]
mod tests;

#[cfg(any(test, feature = "strategies"))]
pub mod strategies;
