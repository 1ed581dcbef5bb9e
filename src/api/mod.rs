//! The published API versions: one tonic service per version, each holding
//! the core store traits (dependency injection).
//!
//! Every adapter has the same shape: service struct → generated-trait impl
//! (each RPC converts the request into core types, calls a store, converts
//! back) → conversions. Validation happens in the conversions, so a request
//! that breaks a rule never reaches a store. This layer knows the generated
//! proto code and core; it never names the database.

pub mod app;
pub mod call_log;
pub mod health;
pub mod manager;
pub mod metrics;
pub mod page_token;
pub mod server;
pub mod status;
pub(crate) mod trace;

use prost_types::Timestamp;
use time::OffsetDateTime;

use crate::core::fields;
use crate::core::{Error, OnField, Violation};

/// `TryFrom` for requests whose only field is an `id`: the id, or
/// INVALID_ARGUMENT on `id`.
macro_rules! id_requests {
    ($($request:ty => $id:ty),+ $(,)?) => {$(
        impl TryFrom<$request> for $id {
            type Error = crate::core::Error;

            fn try_from(r: $request) -> Result<Self, Self::Error> {
                crate::core::OnField::field(<$id>::parse(&r.id), "id")
            }
        }
    )+};
}
use id_requests;

/// A core time as a protobuf timestamp.
pub(crate) fn timestamp(time: OffsetDateTime) -> Timestamp {
    Timestamp {
        seconds: time.unix_timestamp(),
        nanos: i32::try_from(time.nanosecond()).unwrap_or(0),
    }
}

/// A protobuf timestamp as a core time in whole microseconds (what the
/// database stores, so it reads back exactly); a time outside protobuf's
/// range is a violation of `field`.
pub(crate) fn time_from(ts: &Timestamp, field: &'static str) -> Result<OffsetDateTime, Error> {
    fields::Timestamp::from_unix(ts.seconds, ts.nanos)
        .map(fields::Timestamp::get)
        .field(field)
}

/// A protobuf enum number as `E`; unknown numbers and UNSPECIFIED (0) are
/// violations of `field`.
pub(crate) fn known_enum<E: TryFrom<i32>>(value: i32, field: &'static str) -> Result<E, Error> {
    if value == 0 {
        return Err(Violation("must be specified".into()).on(field));
    }
    E::try_from(value).map_err(|_| Violation(format!("unknown value {value}")).on(field))
}
