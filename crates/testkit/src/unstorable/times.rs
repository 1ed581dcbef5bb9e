//! Times outside protobuf Timestamp's range (0001-01-01T00:00:00Z to
//! 9999-12-31T23:59:59.999999999Z, nanos 0 to 999,999,999), as due times
//! and inside page tokens, and page tokens whose position holds a name with
//! U+0000. PostgreSQL stores no time before 4713 BC (`timestamp out of
//! range`) and no U+0000, so the service must refuse them first.

use dbrepo::api::page_token::{self, Position};
use dbrepo::proto::app::v1 as app;
use dbrepo::proto::manager::v2;
use prost_types::Timestamp;
use time::OffsetDateTime;
use tonic::Status;

use super::{Fixture, assert_invalid, everything};
use crate::served::TestServer;

/// 0001-01-01T00:00:00Z in seconds since the Unix epoch.
const FIRST_SECOND: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z in seconds since the Unix epoch.
const LAST_SECOND: i64 = 253_402_300_799;
/// Year -5000: valid for protobuf's encoding, before PostgreSQL's 4713 BC.
const YEAR_MINUS_5000: i64 = -219_951_955_440;

fn ts(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos })
}

/// CreateTask and UpdateTask refuse each time, naming `due_time`.
pub async fn due_times_outside_protobufs_range_are_invalid_argument(mut server: TestServer) {
    let f = Fixture::create(&mut server).await;
    let before = everything(&mut server).await;
    let cases = [
        (
            ts(YEAR_MINUS_5000, 0),
            "year -5000, which PostgreSQL cannot store",
        ),
        (
            ts(FIRST_SECOND - 1, 999_999_999),
            "the last instant of year 0 (1 BC)",
        ),
        (ts(LAST_SECOND + 1, 0), "year 10000"),
        (ts(i64::MIN, 0), "the most negative seconds"),
        (ts(0, -1), "negative nanos"),
        (ts(0, 1_000_000_000), "nanos of a whole second"),
    ];
    for (due_time, why) in cases {
        let create = app::CreateTaskRequest {
            team_id: f.team.id.clone(),
            title: "Due".into(),
            due_time,
            ..Default::default()
        };
        let created = server.tasks.create_task(create).await.map(drop);
        assert_invalid(created, "due_time", &format!("CreateTask: {why}"));
        let update = app::UpdateTaskRequest {
            id: f.task.id.clone(),
            due_time,
            ..Default::default()
        };
        let updated = server.tasks.update_task(update).await.map(drop);
        assert_invalid(updated, "due_time", &format!("UpdateTask: {why}"));
    }
    assert_eq!(everything(&mut server).await, before, "nothing was written");
    server.stop().await;
}

/// The first and last instants of the range are stored and read back, cut
/// to whole microseconds (the database's precision).
pub async fn due_times_at_the_edges_of_the_range_read_back(mut server: TestServer) {
    let f = Fixture::create(&mut server).await;
    let edges = [
        (ts(FIRST_SECOND, 0), ts(FIRST_SECOND, 0)),
        (ts(LAST_SECOND, 999_999_999), ts(LAST_SECOND, 999_999_000)),
    ];
    for (due_time, read) in edges {
        let create = app::CreateTaskRequest {
            team_id: f.team.id.clone(),
            title: "Edge".into(),
            due_time,
            ..Default::default()
        };
        let created = server.tasks.create_task(create).await.unwrap();
        let id = created.into_inner().task.unwrap().id;
        let got = server.tasks.get_task(app::GetTaskRequest { id }).await;
        assert_eq!(got.unwrap().into_inner().task.unwrap().due_time, read);
        let update = app::UpdateTaskRequest {
            id: f.task.id.clone(),
            due_time,
            ..Default::default()
        };
        let updated = server.tasks.update_task(update).await.unwrap();
        assert_eq!(updated.into_inner().task.unwrap().due_time, read);
    }
    server.stop().await;
}

/// The keyset lists whose tokens carry a position.
#[derive(Debug, Clone, Copy)]
enum List {
    Teams,
    Members,
    Tasks,
}

impl List {
    /// The query key the service fingerprints into this list's tokens
    /// (checked below: a token with a possible position is accepted).
    fn query(self, team_id: &str) -> String {
        match self {
            Self::Teams => "manager.v2.ListTeams".into(),
            Self::Members => format!("manager.v2.ListMembers|team={team_id}|statuses=[]"),
            Self::Tasks => format!("app.v1.ListTasks|team={team_id}|assignee=None|state=None"),
        }
    }

    /// The first page after `token`.
    async fn call(
        self,
        server: &mut TestServer,
        team_id: &str,
        token: String,
    ) -> Result<(), Status> {
        match self {
            Self::Teams => {
                let request = v2::ListTeamsRequest {
                    page_size: 0,
                    page_token: token,
                };
                server.v2.list_teams(request).await.map(drop)
            }
            Self::Members => {
                let request = v2::ListMembersRequest {
                    team_id: team_id.into(),
                    page_token: token,
                    ..Default::default()
                };
                server.v2.list_members(request).await.map(drop)
            }
            Self::Tasks => {
                let request = app::ListTasksRequest {
                    team_id: team_id.into(),
                    page_token: token,
                    ..Default::default()
                };
                server.tasks.list_tasks(request).await.map(drop)
            }
        }
    }
}

/// A token the service itself could have built (its own encoder, checksum
/// and query fingerprint), holding `name` and `time`.
fn token(list: List, team_id: &str, name: &str, time: OffsetDateTime) -> String {
    let position = Position {
        name: name.into(),
        time,
        id: uuid::Uuid::now_v7(),
    };
    page_token::encode(&list.query(team_id), &position)
}

/// v2 ListTeams, v2 ListMembers and ListTasks refuse a token whose position
/// no row can have, as they refuse any malformed token.
pub async fn page_tokens_holding_impossible_positions_are_invalid_argument(mut server: TestServer) {
    let f = Fixture::create(&mut server).await;
    let team_id = f.team.id.as_str();
    let at = |seconds| OffsetDateTime::from_unix_timestamp(seconds).unwrap();
    let (epoch, now) = (at(0), at(OffsetDateTime::now_utc().unix_timestamp()));
    for list in [List::Teams, List::Members, List::Tasks] {
        let possible = token(list, team_id, "a", now);
        let accepted = list.call(&mut server, team_id, possible).await;
        assert!(
            accepted.is_ok(),
            "{list:?}: a possible position is accepted: {accepted:?}"
        );
    }
    let cases = [
        (List::Teams, "a\0b", epoch, "a team name with U+0000"),
        (
            List::Teams,
            "a",
            at(YEAR_MINUS_5000),
            "a time the team list ignores, yet impossible",
        ),
        (
            List::Members,
            "",
            at(YEAR_MINUS_5000),
            "a create time of year -5000",
        ),
        (
            List::Members,
            "",
            at(FIRST_SECOND - 1),
            "a create time in year 0",
        ),
        (
            List::Members,
            "\0",
            now,
            "a name with U+0000, which the member list ignores",
        ),
        (
            List::Tasks,
            "",
            at(YEAR_MINUS_5000),
            "a create time of year -5000",
        ),
        (
            List::Tasks,
            "",
            at(FIRST_SECOND - 1),
            "a create time in year 0",
        ),
        (
            List::Tasks,
            "\0",
            now,
            "a name with U+0000, which the task list ignores",
        ),
    ];
    for (list, name, time, why) in cases {
        let hostile = token(list, team_id, name, time);
        let result = list.call(&mut server, team_id, hostile).await;
        let why = format!("{list:?}: {why}");
        let status = assert_invalid(result, "page_token", &why);
        assert!(
            !status.message().contains("another query"),
            "{why}: {status:?}"
        );
    }
    server.stop().await;
}
