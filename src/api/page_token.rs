//! Opaque page tokens for keyset-paginated lists.
//!
//! A token carries the position after the last item of a page, plus a
//! fingerprint of the query it belongs to (the RPC and its filters, not the
//! page size, so a token stays valid with another page size) and a checksum.
//! A token that is malformed, corrupted, or made for another RPC or query is
//! INVALID_ARGUMENT on `page_token`. So is one whose position no row can
//! have (a time outside protobuf's range, a name with U+0000), which the
//! database would otherwise refuse as an internal error. Tokens guard
//! against mistakes, not against forgery: a crafted token can only point at
//! a position in a list the caller may read anyway.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use prost::Message;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::core::fields::{Timestamp, check_no_nul};
use crate::core::mapping::micros;
use crate::core::page::{CreatedCursor, NameCursor, Page, PageStart};
use crate::core::{Error, Violation};

const FIELD: &str = "page_token";
const CHECKSUM_LEN: usize = 8;

/// The position a token encodes: the last item's sort key and id. A list
/// orders by a name or by a time; the other key stays at its zero value,
/// which protobuf leaves out of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The last item's name (team lists), else empty.
    pub name: String,
    /// The last item's create time (member and task lists), else the epoch.
    pub time: OffsetDateTime,
    /// The last item's id.
    pub id: Uuid,
}

/// A list request as core reads it, and the text its page tokens
/// fingerprint: the RPC and every filter, not the page size.
#[derive(Debug)]
pub struct Listing<Q> {
    /// The query for the store.
    pub query: Q,
    /// The fingerprinted text; a token of another text is refused.
    pub key: String,
}

/// A list position a page token can carry.
pub trait Cursor: Sized {
    /// The position the token stores.
    fn position(&self) -> Position;
    /// The cursor of a position read from a token of this list.
    fn from_position(position: Position) -> Self;
}

impl<Id: Copy + Into<Uuid> + From<Uuid>> Cursor for NameCursor<Id> {
    fn position(&self) -> Position {
        Position {
            name: self.name.clone(),
            time: OffsetDateTime::UNIX_EPOCH,
            id: self.id.into(),
        }
    }

    fn from_position(position: Position) -> Self {
        NameCursor {
            name: position.name,
            id: position.id.into(),
        }
    }
}

impl<Id: Copy + Into<Uuid> + From<Uuid>> Cursor for CreatedCursor<Id> {
    fn position(&self) -> Position {
        Position {
            name: String::new(),
            time: self.create_time,
            id: self.id.into(),
        }
    }

    fn from_position(position: Position) -> Self {
        CreatedCursor {
            create_time: position.time,
            id: position.id.into(),
        }
    }
}

/// Where the page `token` asks for starts in the list `query` describes:
/// the first page for an empty token, else after the token's cursor.
pub fn start<C: Cursor>(query: &str, token: &str) -> Result<PageStart<C>, Error> {
    Ok(match decode(query, token)? {
        None => PageStart::First,
        Some(position) => PageStart::After(C::from_position(position)),
    })
}

/// The token of the page after `page`: empty when there is none, else the
/// token of its last item's `cursor`.
pub fn next<T, C: Cursor>(query: &str, page: &Page<T>, cursor: impl FnOnce(&T) -> C) -> String {
    match page.items.last() {
        Some(last) if page.has_more => encode(query, &cursor(last).position()),
        _ => String::new(),
    }
}

#[derive(Clone, PartialEq, Message)]
struct Payload {
    #[prost(bytes = "vec", tag = "1")]
    query: Vec<u8>,
    #[prost(string, tag = "2")]
    name: String,
    #[prost(int64, tag = "3")]
    micros: i64,
    #[prost(bytes = "vec", tag = "4")]
    id: Vec<u8>,
}

fn fingerprint(query: &str) -> Vec<u8> {
    Sha256::digest(query.as_bytes())[..16].to_vec()
}

fn checksum(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes)[..CHECKSUM_LEN].to_vec()
}

/// The token of `position` for the query described by `query` (a canonical
/// string naming the RPC and every filter). Lists build tokens with
/// [`next`]; this lower level also builds tokens no list would, for tests.
pub fn encode(query: &str, position: &Position) -> String {
    let mut bytes = Payload {
        query: fingerprint(query),
        name: position.name.clone(),
        micros: micros(position.time),
        id: position.id.as_bytes().to_vec(),
    }
    .encode_to_vec();
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The position of `token` (`None` for an empty token: the first page).
fn decode(query: &str, token: &str) -> Result<Option<Position>, Error> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = |why: &str| Violation(why.into()).on(FIELD);
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid("is not a token this service produced"))?;
    if bytes.len() <= CHECKSUM_LEN {
        return Err(invalid("is not a token this service produced"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if checksum(body) != sum {
        return Err(invalid("is not a token this service produced"));
    }
    let payload =
        Payload::decode(body).map_err(|_| invalid("is not a token this service produced"))?;
    if payload.query != fingerprint(query) {
        return Err(invalid("belongs to another query (RPC, team or filters)"));
    }
    let id = Uuid::from_slice(&payload.id).map_err(|_| invalid("is corrupted"))?;
    // A position no stored row can have is refused here, by the rules of the
    // request's own fields, rather than by the database as an internal error.
    let time = Timestamp::from_unix_micros(payload.micros)
        .map_err(|_| invalid("holds a time outside 0001-01-01 to 9999-12-31"))?
        .get();
    check_no_nul(&payload.name).map_err(|_| invalid("holds a name with U+0000"))?;
    Ok(Some(Position {
        name: payload.name,
        time,
        id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> Position {
        Position {
            name: "Platform".into(),
            time: crate::core::mapping::truncate_to_micros(OffsetDateTime::now_utc()),
            id: Uuid::now_v7(),
        }
    }

    #[test]
    fn round_trips_for_the_same_query() {
        let position = position();
        let token = encode("v2.ListMembers|team=a", &position);
        assert_eq!(
            decode("v2.ListMembers|team=a", &token).unwrap(),
            Some(position)
        );
    }

    #[test]
    fn empty_token_is_the_first_page() {
        assert_eq!(decode("q", "").unwrap(), None);
    }

    #[test]
    fn rejects_tokens_of_other_queries_and_tampering() {
        let token = encode("v2.ListMembers|team=a|statuses=", &position());
        let cases = [
            (
                "v2.ListMembers|team=b|statuses=",
                token.clone(),
                "another team",
            ),
            (
                "v2.ListMembers|team=a|statuses=1",
                token.clone(),
                "other filters",
            ),
            ("v2.ListTeams", token.clone(), "another RPC"),
            (
                "v2.ListMembers|team=a|statuses=",
                format!("{token}A"),
                "appended character",
            ),
            (
                "v2.ListMembers|team=a|statuses=",
                "garbage!".into(),
                "not base64",
            ),
            (
                "v2.ListMembers|team=a|statuses=",
                "AAAA".into(),
                "too short",
            ),
        ];
        for (query, token, why) in cases {
            let err = decode(query, &token).expect_err(why);
            assert!(err.to_string().starts_with("page_token:"), "{why}: {err}");
        }
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[3] ^= 1;
        assert!(
            decode(
                "v2.ListMembers|team=a|statuses=",
                &URL_SAFE_NO_PAD.encode(bytes)
            )
            .is_err()
        );
    }

    /// A token built as `encode` builds one, from raw micros (a time
    /// `OffsetDateTime` cannot hold is still an i64 in a token).
    fn raw_token(query: &str, name: &str, micros: i64) -> String {
        let mut bytes = Payload {
            query: fingerprint(query),
            name: name.into(),
            micros,
            id: Uuid::now_v7().as_bytes().to_vec(),
        }
        .encode_to_vec();
        bytes.extend_from_slice(&checksum(&bytes));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn rejects_positions_no_row_can_have() {
        let second = 1_000_000;
        let cases = [
            ("a\0b", 0, "U+0000", "NUL in a team name"),
            ("\0", 0, "U+0000", "NUL alone, where the list ignores names"),
            ("", -219_951_955_440 * second, "outside", "year -5000"),
            ("", Timestamp::MIN_SECONDS * second - 1, "outside", "year 0"),
            (
                "",
                (Timestamp::MAX_SECONDS + 1) * second,
                "outside",
                "year 10000",
            ),
            ("", i64::MIN, "outside", "the most negative micros"),
        ];
        for (name, micros, reason, why) in cases {
            let err = decode("q", &raw_token("q", name, micros)).expect_err(why);
            assert!(err.to_string().starts_with("page_token:"), "{why}: {err}");
            assert!(err.to_string().contains(reason), "{why}: {err}");
        }
        assert!(decode("q", &raw_token("q", "a", 0)).is_ok(), "the control");
    }

    #[test]
    fn keeps_the_first_and_last_times_protobuf_can_carry() {
        for seconds in [Timestamp::MIN_SECONDS, Timestamp::MAX_SECONDS] {
            let position = Position {
                time: OffsetDateTime::from_unix_timestamp(seconds).unwrap(),
                ..position()
            };
            let token = encode("q", &position);
            assert_eq!(decode("q", &token).unwrap(), Some(position), "{seconds}");
        }
    }
}
