//! Field types valid by construction. Each `parse` enforces one rule of
//! shared/DOMAIN.md ("Validation and errors"); the store traits accept only
//! these types, so a request that fails validation cannot reach a write.
//!
//! Lengths count Unicode scalar values; "white space" is Unicode White_Space
//! (`char::is_whitespace`). No text may hold U+0000: PostgreSQL's `text`
//! cannot store it, so the check here keeps it from ever reaching a query.

use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use super::error::Violation;

/// Declares a text newtype whose `parse` checks a character-count range.
macro_rules! bounded_text {
    ($($(#[$doc:meta])* $name:ident: $min:literal..=$max:literal,)+) => {
        $(bounded_text!(@one $(#[$doc])* $name, $min, $max);)+
    };
    (@one $(#[$doc:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Smallest accepted length in characters.
            pub const MIN_CHARS: usize = $min;
            /// Largest accepted length in characters.
            pub const MAX_CHARS: usize = $max;

            /// Accepts `value` as written when it holds no U+0000, its
            /// length is in range and, for a required value, it is not
            /// only white space.
            pub fn parse(value: String) -> Result<Self, Violation> {
                check_text(&value, Self::MIN_CHARS, Self::MAX_CHARS)?;
                Ok(Self(value))
            }

            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The validated text, by value.
            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}

/// Rejects text that holds U+0000, which PostgreSQL's `text` cannot store
/// (the database would refuse the whole statement).
pub fn check_no_nul(value: &str) -> Result<(), Violation> {
    if value.contains('\0') {
        return Err(Violation("must not contain U+0000 (NUL)".into()));
    }
    Ok(())
}

/// The rules every text field shares: no U+0000, a length in `min..=max`
/// characters, and not blank when required.
fn check_text(value: &str, min: usize, max: usize) -> Result<(), Violation> {
    check_no_nul(value)?;
    if min > 0 && value.trim().is_empty() {
        return Err(Violation("is required and must not be blank".into()));
    }
    let chars = value.chars().count();
    if chars < min || chars > max {
        return Err(Violation(format!(
            "must be {min} to {max} characters long, got {chars}"
        )));
    }
    Ok(())
}

bounded_text! {
    /// A team's name (v1 `name`, v2 `display_name`): 1–200 characters.
    TeamName: 1..=200,
    /// A team's description: at most 10,000 characters.
    Description: 0..=10_000,
    /// A v2 given name: 1–100 characters, stored exactly as written.
    GivenName: 1..=100,
    /// A v2 family name: at most 100 characters, stored exactly as written.
    FamilyName: 0..=100,
    /// A task's title: 1–200 characters.
    Title: 1..=200,
    /// A task's notes: at most 10,000 characters.
    Notes: 0..=10_000,
}

/// A v1 full name: trimmed of white space at both ends, then 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    /// Largest accepted length in characters, after trimming.
    pub const MAX_CHARS: usize = 200;

    /// Trims `value` at both ends and checks what remains like any text.
    pub fn parse(value: &str) -> Result<Self, Violation> {
        let trimmed = value.trim();
        check_text(trimmed, 1, Self::MAX_CHARS)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address: exactly one `@`, something before it, a dot after it
/// that is neither first nor last in the domain, at most 254 characters.
/// Stored as written; compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Largest accepted length in characters.
    pub const MAX_CHARS: usize = 254;

    /// Checks the shape described on the type.
    pub fn parse(value: String) -> Result<Self, Violation> {
        check_text(&value, 1, Self::MAX_CHARS)?;
        let mut parts = value.split('@');
        let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
            (Some(local), Some(domain), None) => (local, domain),
            _ => return Err(Violation("must contain exactly one '@'".into())),
        };
        let dotted = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.');
        if local.is_empty() || !dotted || value.chars().any(char::is_whitespace) {
            return Err(Violation(
                "must look like name@example.org (one '@', a dot after it, no white space)".into(),
            ));
        }
        Ok(Self(value))
    }

    /// The address as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Declares a UUID id newtype.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUIDv7: new rows land at the end of the primary-key index).
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses a UUID string; empty or malformed is a violation.
            pub fn parse(value: &str) -> Result<Self, Violation> {
                if value.is_empty() {
                    return Err(Violation("is required".into()));
                }
                Uuid::try_parse(value)
                    .map(Self)
                    .map_err(|_| Violation("must be a UUID".into()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

uuid_id!(
    /// The id of a team.
    TeamId
);
uuid_id!(
    /// The id of a member.
    MemberId
);
uuid_id!(
    /// The id of a task.
    TaskId
);

/// A point in time that a protobuf `Timestamp` can carry: 0001-01-01T00:00:00Z
/// to 9999-12-31T23:59:59.999999999Z, cut to whole microseconds. Every time a
/// client sends (a due time, the position in a page token) passes through
/// here, because PostgreSQL stores no time before 4713 BC and a time it
/// refuses must be the client's error, not the database's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// 0001-01-01T00:00:00Z, in seconds since the Unix epoch.
    pub const MIN_SECONDS: i64 = -62_135_596_800;
    /// 9999-12-31T23:59:59Z, in seconds since the Unix epoch.
    pub const MAX_SECONDS: i64 = 253_402_300_799;

    /// Seconds since the Unix epoch and nanoseconds into that second, as
    /// protobuf carries them. The nanoseconds below a microsecond are cut,
    /// so the time reads back from the database exactly as it is kept here.
    pub fn from_unix(seconds: i64, nanos: i32) -> Result<Self, Violation> {
        if !(0..1_000_000_000).contains(&nanos) {
            return Err(Violation(format!(
                "nanos must be 0 to 999,999,999, got {nanos}"
            )));
        }
        if !(Self::MIN_SECONDS..=Self::MAX_SECONDS).contains(&seconds) {
            return Err(Violation(format!(
                "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z, \
                 got {seconds} seconds since 1970"
            )));
        }
        let nanos = i128::from(seconds) * 1_000_000_000 + i128::from(nanos - nanos % 1000);
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map(Self)
            .map_err(|err| Violation(err.to_string()))
    }

    /// Microseconds since the Unix epoch, as page tokens and etags carry a
    /// time.
    pub fn from_unix_micros(micros: i64) -> Result<Self, Violation> {
        // The remainder is below 10^6, so the nanoseconds fit an i32.
        let nanos = micros.rem_euclid(1_000_000) as i32 * 1000;
        Self::from_unix(micros.div_euclid(1_000_000), nanos)
    }

    /// The time.
    pub fn get(self) -> OffsetDateTime {
        self.0
    }
}

/// How many items a list returns at most: 1–100; 0 in a request means 50.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    /// What a request of 0 gets.
    pub const DEFAULT: u32 = 50;
    /// The largest page a request may ask for.
    pub const MAX: u32 = 100;

    /// Maps 0 to the default and rejects negative sizes and sizes over the maximum.
    pub fn parse(requested: i32) -> Result<Self, Violation> {
        match u32::try_from(requested) {
            Ok(0) => Ok(Self(Self::DEFAULT)),
            Ok(n) if n <= Self::MAX => Ok(Self(n)),
            _ => Err(Violation(format!(
                "must be 0 (meaning {}) to {}, got {requested}",
                Self::DEFAULT,
                Self::MAX
            ))),
        }
    }

    /// The size as a number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// How many items a v1 list skips; never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offset(u32);

impl Offset {
    /// Rejects negative offsets.
    pub fn parse(requested: i32) -> Result<Self, Violation> {
        u32::try_from(requested)
            .map(Self)
            .map_err(|_| Violation(format!("must not be negative, got {requested}")))
    }

    /// The offset as a number.
    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests;
