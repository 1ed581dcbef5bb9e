//! The real tonic server over the fake stores, on `127.0.0.1:0`, called
//! through the generated clients. Each test starts its own server with
//! [`Grpc::start`] and ends it with [`Grpc::stop`], which waits until the
//! server has shut down, so no server outlives its test.

mod cross_version;
mod limits;
mod manager_v1;
mod manager_v2;
mod pagination;
mod tasks;
mod validation_tasks;
mod validation_v1;
mod validation_v2;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use dbrepo::proto::manager::{v1, v2};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::fake::fake_stores;

/// The server these tests call.
pub use dbrepo_testkit::served::TestServer as Grpc;

/// Serves fresh fake stores on an ephemeral port and connects to it.
pub async fn start() -> Grpc {
    let (manager, tasks) = fake_stores();
    Grpc::serve(Arc::new(manager), Arc::new(tasks)).await
}

/// Asserts that `result` failed with `code`.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Err(status) if status.code() == code => status,
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

/// Asserts that `result` failed with INVALID_ARGUMENT naming `field`, in
/// the message or in a `BadRequest` field violation (a field name that
/// contains `field`, so "due_time" accepts "clear_due_time" too).
#[track_caller]
pub fn assert_invalid<T: std::fmt::Debug>(result: Result<T, Status>, field: &str) {
    let status = assert_code(result, Code::InvalidArgument);
    let in_details = status
        .get_details_bad_request()
        .is_some_and(|bad| bad.field_violations.iter().any(|v| v.field.contains(field)));
    assert!(
        in_details || status.message().contains(field),
        "INVALID_ARGUMENT does not name {field:?}: {status:?}"
    );
}

pub use dbrepo_testkit::contract::support::unique;

/// Creates a team through v1 with a unique name starting with `label`.
pub async fn v1_team(grpc: &mut Grpc, label: &str) -> v1::Team {
    let request = v1::CreateTeamRequest {
        name: format!("{label} {}", unique()),
        description: String::new(),
    };
    grpc.v1
        .create_team(request)
        .await
        .unwrap()
        .into_inner()
        .team
        .unwrap()
}

/// Creates a team through v2 with a unique display name starting with
/// `label`.
pub async fn v2_team(grpc: &mut Grpc, label: &str) -> v2::Team {
    let request = v2::CreateTeamRequest {
        display_name: format!("{label} {}", unique()),
        description: "d".into(),
    };
    grpc.v2
        .create_team(request)
        .await
        .unwrap()
        .into_inner()
        .team
        .unwrap()
}

/// Creates a member of `team_id` through v1, with a unique email.
pub async fn v1_member(grpc: &mut Grpc, team_id: &str, full_name: &str) -> v1::Member {
    let request = v1::CreateMemberRequest {
        team_id: team_id.into(),
        full_name: full_name.into(),
        email: format!("m.{}@example.org", unique()),
    };
    grpc.v1
        .create_member(request)
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
}

/// Creates a member of `team_id` through v2, with a unique email.
pub async fn v2_member(
    grpc: &mut Grpc,
    team_id: &str,
    given_name: &str,
    family_name: &str,
    status: v2::MemberStatus,
) -> v2::Member {
    let request = v2::CreateMemberRequest {
        team_id: team_id.into(),
        given_name: given_name.into(),
        family_name: family_name.into(),
        email: format!("m.{}@example.org", unique()),
        status: status.into(),
    };
    grpc.v2
        .create_member(request)
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
}

/// One bad request, sent on its own clone of a client.
pub type Call = Pin<Box<dyn Future<Output = Result<(), Status>> + Send>>;

/// `call!(client.method(request))`: the call on a clone of `client`, as a
/// [`Call`] that owns everything it needs and drops the response.
macro_rules! call {
    ($client:ident . $method:ident ( $request:expr )) => {{
        let mut client = $client.clone();
        let request = $request;
        Box::pin(async move { client.$method(request).await.map(drop) }) as Call
    }};
}

/// Runs each `(call, field, why)` and expects INVALID_ARGUMENT naming `field`.
pub async fn expect_invalid(cases: Vec<(Call, &str, &str)>) {
    for (call, field, why) in cases {
        let result = call.await;
        assert!(result.is_err(), "{why}: accepted");
        assert_invalid(result, field);
    }
}

pub(crate) use call;
