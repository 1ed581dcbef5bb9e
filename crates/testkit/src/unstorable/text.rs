//! U+0000 in a string field: PostgreSQL's `text` cannot hold it and refuses
//! the whole statement (`invalid byte sequence for encoding "UTF8": 0x00`),
//! so the service must refuse it first, naming the field.

use dbrepo::proto::app::v1 as app;
use dbrepo::proto::manager::{v1, v2};

use super::{Call, Fixture, assert_invalid, everything, send, unique};
use crate::served::TestServer;

/// Every string field of every create and update (and the etag of v2
/// DeleteMember), each carrying U+0000 in an otherwise valid request.
pub async fn u0000_in_any_string_field_is_invalid_argument_and_writes_nothing(
    mut server: TestServer,
) {
    let f = Fixture::create(&mut server).await;
    let before = everything(&mut server).await;
    let mut cases = manager_v1_cases(&server, &f);
    cases.extend(manager_v2_cases(&server, &f));
    cases.extend(task_cases(&server, &f));
    for (call, field, why) in cases {
        assert_invalid(call.await, field, why);
    }
    assert_eq!(everything(&mut server).await, before, "nothing was written");
    server.stop().await;
}

/// A unique email with U+0000 in its local part.
fn nul_email() -> String {
    format!("ada\0{}@example.org", unique())
}

fn manager_v1_cases(server: &TestServer, f: &Fixture) -> Vec<(Call, &'static str, &'static str)> {
    let c = &server.v1;
    let team = |name: String, description: &str| v1::CreateTeamRequest {
        name,
        description: description.into(),
    };
    let member = |team_id: String, full_name: &str, email: String| v1::CreateMemberRequest {
        team_id,
        full_name: full_name.into(),
        email,
    };
    let update =
        |id: String, full_name: Option<&str>, email: Option<String>| v1::UpdateMemberRequest {
            id,
            full_name: full_name.map(Into::into),
            email,
            archived: None,
        };
    let (team_id, id) = (f.team.id.clone(), f.member.id.clone());
    let email = || format!("bea.{}@example.org", unique());
    vec![
        (
            send!(c.create_team(team(format!("Team\0{}", unique()), ""))),
            "name",
            "v1 CreateTeam",
        ),
        (
            send!(c.create_team(team(format!("T {}", unique()), "a\0b"))),
            "description",
            "v1 CreateTeam",
        ),
        (
            send!(c.create_member(member(format!("{team_id}\0"), "Bea", email()))),
            "team_id",
            "v1 CreateMember: an id with NUL is no UUID",
        ),
        (
            send!(c.create_member(member(team_id.clone(), "Bea\0Byron", email()))),
            "full_name",
            "v1 CreateMember",
        ),
        (
            send!(c.create_member(member(team_id.clone(), "Bea", nul_email()))),
            "email",
            "v1 CreateMember",
        ),
        (
            send!(c.update_member(update(format!("{id}\0"), Some("Bea"), None))),
            "id",
            "v1 UpdateMember: an id with NUL is no UUID",
        ),
        (
            send!(c.update_member(update(id.clone(), Some("Ada\0Byron"), None))),
            "full_name",
            "v1 UpdateMember",
        ),
        (
            send!(c.update_member(update(id.clone(), Some(" Ada\0 "), None))),
            "full_name",
            "v1 UpdateMember: NUL is no white space, trimming keeps it",
        ),
        (
            send!(c.update_member(update(id.clone(), None, Some(nul_email())))),
            "email",
            "v1 UpdateMember",
        ),
    ]
}

fn manager_v2_cases(server: &TestServer, f: &Fixture) -> Vec<(Call, &'static str, &'static str)> {
    let c = &server.v2;
    let team = |display_name: String, description: &str| v2::CreateTeamRequest {
        display_name,
        description: description.into(),
    };
    let member =
        |team_id: String, given: &str, family: &str, email: String| v2::CreateMemberRequest {
            team_id,
            given_name: given.into(),
            family_name: family.into(),
            email,
            status: 0,
        };
    let update = |id: String, etag: &str| v2::UpdateMemberRequest {
        id,
        etag: etag.into(),
        ..Default::default()
    };
    let delete = |id: String, etag: &str| v2::DeleteMemberRequest {
        id,
        etag: etag.into(),
    };
    let (team_id, id, etag) = (
        f.team.id.clone(),
        f.member.id.clone(),
        f.member.etag.clone(),
    );
    let email = || format!("bea.{}@example.org", unique());
    vec![
        (
            send!(c.create_team(team(format!("Team\0{}", unique()), ""))),
            "display_name",
            "v2 CreateTeam",
        ),
        (
            send!(c.create_team(team(format!("T {}", unique()), "a\0b"))),
            "description",
            "v2 CreateTeam",
        ),
        (
            send!(c.create_member(member(format!("{team_id}\0"), "Bea", "", email()))),
            "team_id",
            "v2 CreateMember: an id with NUL is no UUID",
        ),
        (
            send!(c.create_member(member(team_id.clone(), "Bea\0", "", email()))),
            "given_name",
            "v2 CreateMember",
        ),
        (
            send!(c.create_member(member(team_id.clone(), "Bea", "By\0ron", email()))),
            "family_name",
            "v2 CreateMember",
        ),
        (
            send!(c.create_member(member(team_id.clone(), "Bea", "", nul_email()))),
            "email",
            "v2 CreateMember",
        ),
        (
            send!(c.update_member(v2::UpdateMemberRequest {
                given_name: Some("Eve".into()),
                ..update(format!("{id}\0"), &etag)
            })),
            "id",
            "v2 UpdateMember: an id with NUL is no UUID",
        ),
        (
            send!(c.update_member(v2::UpdateMemberRequest {
                given_name: Some("Eve".into()),
                ..update(id.clone(), &format!("{etag}\0"))
            })),
            "etag",
            "v2 UpdateMember: not stored, yet a string field",
        ),
        (
            send!(c.update_member(v2::UpdateMemberRequest {
                given_name: Some("E\0ve".into()),
                ..update(id.clone(), &etag)
            })),
            "given_name",
            "v2 UpdateMember",
        ),
        (
            send!(c.update_member(v2::UpdateMemberRequest {
                family_name: Some("\0".into()),
                ..update(id.clone(), &etag)
            })),
            "family_name",
            "v2 UpdateMember: NUL alone",
        ),
        (
            send!(c.update_member(v2::UpdateMemberRequest {
                email: Some(nul_email()),
                ..update(id.clone(), &etag)
            })),
            "email",
            "v2 UpdateMember",
        ),
        (
            send!(c.delete_member(delete(format!("{id}\0"), &etag))),
            "id",
            "v2 DeleteMember: an id with NUL is no UUID",
        ),
        (
            send!(c.delete_member(delete(id.clone(), &format!("{etag}\0")))),
            "etag",
            "v2 DeleteMember: not stored, yet a string field",
        ),
    ]
}

fn task_cases(server: &TestServer, f: &Fixture) -> Vec<(Call, &'static str, &'static str)> {
    let c = &server.tasks;
    let create =
        |team_id: String, title: &str, notes: &str, assignee: &str| app::CreateTaskRequest {
            team_id,
            title: title.into(),
            notes: notes.into(),
            assignee_id: Some(assignee.into()),
            due_time: None,
        };
    let update = |id: String| app::UpdateTaskRequest {
        id,
        ..Default::default()
    };
    let (team_id, id, member) = (f.team.id.clone(), f.task.id.clone(), f.member.id.clone());
    vec![
        (
            send!(c.create_task(create(format!("{team_id}\0"), "T", "", &member))),
            "team_id",
            "CreateTask: an id with NUL is no UUID",
        ),
        (
            send!(c.create_task(create(team_id.clone(), "T\0", "", &member))),
            "title",
            "CreateTask",
        ),
        (
            send!(c.create_task(create(team_id.clone(), "T", "a\0b", &member))),
            "notes",
            "CreateTask",
        ),
        (
            send!(c.create_task(create(team_id.clone(), "T", "", &format!("{member}\0")))),
            "assignee_id",
            "CreateTask: an id with NUL is no UUID",
        ),
        (
            send!(c.update_task(app::UpdateTaskRequest {
                title: Some("T".into()),
                ..update(format!("{id}\0"))
            })),
            "id",
            "UpdateTask: an id with NUL is no UUID",
        ),
        (
            send!(c.update_task(app::UpdateTaskRequest {
                title: Some("T\0".into()),
                ..update(id.clone())
            })),
            "title",
            "UpdateTask",
        ),
        (
            send!(c.update_task(app::UpdateTaskRequest {
                notes: Some("\0".into()),
                ..update(id.clone())
            })),
            "notes",
            "UpdateTask: NUL alone",
        ),
        (
            send!(c.update_task(app::UpdateTaskRequest {
                assignee_id: Some(format!("{member}\0")),
                ..update(id.clone())
            })),
            "assignee_id",
            "UpdateTask: an id with NUL is no UUID",
        ),
    ]
}
