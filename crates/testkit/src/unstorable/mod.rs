//! Input PostgreSQL cannot store, sent through the published services over
//! gRPC: U+0000 in any string field ([`text`]), times outside protobuf's
//! Timestamp range and page tokens whose position holds either ([`times`]).
//! shared/DOMAIN.md ("Validation and errors"): each is INVALID_ARGUMENT
//! naming the field, and nothing is written.
//!
//! The tests are generic over the server's stores and stamped per backend
//! by [`unstorable_suite!`](crate::unstorable_suite): over the fake in `tests/integration.rs` (which
//! once accepted such input silently) and over PostgreSQL in `tests/real/`
//! (which refused it as INTERNAL):
//!
//! ```text
//! async fn served() -> (TestServer, impl Sized) { … } // the server and what must outlive it
//! dbrepo_testkit::unstorable_suite!(served);
//! ```

pub mod text;
pub mod times;

use std::future::Future;
use std::pin::Pin;

use dbrepo::proto::app::v1 as app;
use dbrepo::proto::manager::{v1, v2};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::served::TestServer;

/// Stamps one `#[tokio::test]` per test of this module. `$served` names an
/// `async fn() -> (TestServer, G)` in scope; `G` is kept until the test ends.
#[macro_export]
macro_rules! unstorable_suite {
    ($served:ident) => {
        $crate::unstorable_suite!(@stamp $served,
            text::u0000_in_any_string_field_is_invalid_argument_and_writes_nothing,
            times::due_times_outside_protobufs_range_are_invalid_argument,
            times::due_times_at_the_edges_of_the_range_read_back,
            times::page_tokens_holding_impossible_positions_are_invalid_argument,
        );
    };
    (@stamp $served:ident, $($file:ident::$test:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                // `_keep` (unlike `_`) holds the guard until the test ends.
                let (server, _keep) = $served().await;
                $crate::unstorable::$file::$test(server).await;
            }
        )*
    };
}

/// One request, sent on its own clone of a client.
pub type Call = Pin<Box<dyn Future<Output = Result<(), Status>> + Send>>;

/// `send!(client.method(request))`: the call on a clone of `client`, as a
/// [`Call`] that owns what it needs and drops the response.
macro_rules! send {
    ($client:ident . $method:ident ( $request:expr )) => {{
        let mut client = $client.clone();
        let request = $request;
        Box::pin(async move { client.$method(request).await.map(drop) }) as $crate::unstorable::Call
    }};
}

pub(crate) use send;

/// Asserts INVALID_ARGUMENT naming exactly `field`, both in the
/// `google.rpc.BadRequest` details and at the start of the message.
#[track_caller]
pub fn assert_invalid(result: Result<(), Status>, field: &str, why: &str) -> Status {
    let status = match result {
        Err(status) if status.code() == Code::InvalidArgument => status,
        other => panic!("{why}: expected INVALID_ARGUMENT on {field}, got {other:?}"),
    };
    let in_details = status
        .get_details_bad_request()
        .is_some_and(|bad| bad.field_violations.iter().any(|v| v.field == field));
    let in_message = status.message().starts_with(&format!("{field}: "));
    assert!(
        in_details && in_message,
        "{why}: INVALID_ARGUMENT does not name {field}: {status:?}"
    );
    status
}

pub use crate::contract::support::unique;

/// What the cases address: a team, an active member of it, and a task of
/// it assigned to the member with a due time.
pub struct Fixture {
    /// The team, as v1 created it.
    pub team: v1::Team,
    /// The member, as v2 created it (its etag is current).
    pub member: v2::Member,
    /// The task.
    pub task: app::Task,
}

impl Fixture {
    /// Creates the fixture through the services.
    pub async fn create(server: &mut TestServer) -> Self {
        let team = v1::CreateTeamRequest {
            name: format!("unstorable {}", unique()),
            description: "the fixture".into(),
        };
        let team = server.v1.create_team(team).await.unwrap().into_inner();
        let team = team.team.unwrap();
        let member = v2::CreateMemberRequest {
            team_id: team.id.clone(),
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            email: format!("ada.{}@example.org", unique()),
            status: v2::MemberStatus::Active.into(),
        };
        let member = server.v2.create_member(member).await.unwrap().into_inner();
        let member = member.member.unwrap();
        let task = app::CreateTaskRequest {
            team_id: team.id.clone(),
            title: "Write the note".into(),
            notes: "on the engine".into(),
            assignee_id: Some(member.id.clone()),
            due_time: Some(prost_types::Timestamp {
                seconds: 1_800_000_000,
                nanos: 0,
            }),
        };
        let task = server.tasks.create_task(task).await.unwrap().into_inner();
        let task = task.task.unwrap();
        Self { team, member, task }
    }
}

/// Everything the services can read (every team, and every member and task
/// of each, with their update times and etags), to show that nothing was
/// written.
pub async fn everything(server: &mut TestServer) -> Vec<String> {
    let teams = v1::ListTeamsRequest {
        offset: 0,
        limit: 100,
    };
    let teams = server
        .v1
        .list_teams(teams)
        .await
        .unwrap()
        .into_inner()
        .teams;
    let mut rows: Vec<String> = teams.iter().map(|team| format!("{team:?}")).collect();
    for team in &teams {
        let members = v2::ListMembersRequest {
            team_id: team.id.clone(),
            page_size: 100,
            ..Default::default()
        };
        let members = server.v2.list_members(members).await.unwrap();
        rows.extend(
            members
                .into_inner()
                .members
                .iter()
                .map(|m| format!("{m:?}")),
        );
        let tasks = app::ListTasksRequest {
            team_id: team.id.clone(),
            page_size: 100,
            ..Default::default()
        };
        let tasks = server.tasks.list_tasks(tasks).await.unwrap();
        rows.extend(tasks.into_inner().tasks.iter().map(|t| format!("{t:?}")));
    }
    rows
}
