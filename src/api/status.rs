//! The one conversion from core errors to gRPC statuses. Client errors carry
//! their message (and, for INVALID_ARGUMENT, a `google.rpc.BadRequest` field
//! violation); UNAVAILABLE and INTERNAL log the cause chain (with the call's
//! method) and return a fixed message, so no SQL or internal detail ever
//! reaches a client.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::call_log::current_rpc;
use crate::core::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument { field, reason } => Status::with_error_details(
                Code::InvalidArgument,
                format!("{field}: {reason}"),
                ErrorDetails::with_bad_request_violation(field, reason),
            ),
            Error::NotFound { .. } => Status::not_found(err.to_string()),
            Error::AlreadyExists(message) => Status::already_exists(message),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::Aborted(message) => Status::aborted(message),
            Error::Conflict(cause) => {
                tracing::warn!(
                    rpc = current_rpc().as_deref(),
                    error = cause_chain(cause.as_ref()),
                    "conflict with a concurrent update"
                );
                Status::aborted(
                    "the call conflicted with a concurrent update and changed nothing; retry it",
                )
            }
            Error::Unavailable(cause) => {
                tracing::error!(
                    rpc = current_rpc().as_deref(),
                    error = cause_chain(cause.as_ref()),
                    "database unavailable"
                );
                Status::unavailable("the database is unavailable; retry later")
            }
            Error::Internal(cause) => {
                tracing::error!(
                    rpc = current_rpc().as_deref(),
                    error = cause_chain(cause.as_ref()),
                    "internal error"
                );
                Status::internal("internal error")
            }
        }
    }
}

fn cause_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Entity, Violation};

    #[test]
    fn invalid_argument_names_the_field_in_message_and_details() {
        let status = Status::from(Violation("must be a UUID".into()).on("team_id"));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "team_id: must be a UUID");
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("bad request").field_violations;
        assert_eq!(violations[0].field, "team_id");
    }

    #[test]
    fn internal_detail_never_reaches_the_client() {
        let status = Status::from(Error::Internal("relation \"x\" does not exist".into()));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("relation"));
        let status = Status::from(Error::Unavailable("connection refused 10.0.0.1".into()));
        assert_eq!(status.code(), Code::Unavailable);
        assert!(!status.message().contains("10.0.0.1"));
    }

    #[test]
    fn client_errors_keep_their_code() {
        let cases = [
            (Error::not_found(Entity::Member, "m1"), Code::NotFound),
            (Error::AlreadyExists("dup".into()), Code::AlreadyExists),
            (
                Error::FailedPrecondition("inactive".into()),
                Code::FailedPrecondition,
            ),
            (Error::stale_etag(), Code::Aborted),
            (Error::Conflict("deadlock detected".into()), Code::Aborted),
        ];
        for (err, code) in cases {
            assert_eq!(Status::from(err).code(), code);
        }
    }
}
