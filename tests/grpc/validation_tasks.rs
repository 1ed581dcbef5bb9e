//! INVALID_ARGUMENT from `dbrepo.app.v1` for every kind of bad input,
//! naming the proto field, and proof that nothing was written.

use dbrepo::proto::app::v1 as app;
use prost_types::Timestamp;

use super::{Call, call, expect_invalid, start, v1_team};

#[tokio::test]
async fn task_service_bad_input_is_invalid_argument_naming_the_field() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "valid").await;
    let existing = app::CreateTaskRequest {
        team_id: team.id.clone(),
        title: "Existing".into(),
        ..Default::default()
    };
    let task = grpc
        .tasks
        .create_task(existing)
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    let c = grpc.tasks.clone();
    let create = |title: String, notes: String, assignee_id: Option<&str>| app::CreateTaskRequest {
        team_id: team.id.clone(),
        title,
        notes,
        assignee_id: assignee_id.map(Into::into),
        due_time: None,
    };
    let update = |state: Option<i32>| app::UpdateTaskRequest {
        id: task.id.clone(),
        title: Some("Changed".into()),
        state,
        ..Default::default()
    };
    let both_due = app::UpdateTaskRequest {
        due_time: Some(Timestamp {
            seconds: 1,
            nanos: 0,
        }),
        clear_due_time: true,
        ..update(None)
    };
    let list =
        |page_size: i32, state: Option<i32>, assignee_id: Option<&str>| app::ListTasksRequest {
            team_id: team.id.clone(),
            page_size,
            state,
            assignee_id: assignee_id.map(Into::into),
            page_token: String::new(),
        };
    let cases: Vec<(Call, &str, &str)> = vec![
        (
            call!(c.create_task(create(String::new(), String::new(), None))),
            "title",
            "empty title",
        ),
        (
            call!(c.create_task(create("t".repeat(201), String::new(), None))),
            "title",
            "title over 200",
        ),
        (
            call!(c.create_task(create("T".into(), "n".repeat(10_001), None))),
            "notes",
            "notes over 10,000",
        ),
        (
            call!(c.create_task(create("T".into(), String::new(), Some("bad")))),
            "assignee_id",
            "malformed assignee id",
        ),
        (
            call!(c.create_task(app::CreateTaskRequest {
                team_id: "bad".into(),
                ..create("T".into(), String::new(), None)
            })),
            "team_id",
            "malformed team id",
        ),
        (
            call!(c.get_task(app::GetTaskRequest { id: "bad".into() })),
            "id",
            "malformed id",
        ),
        (
            call!(c.update_task(update(Some(0)))),
            "state",
            "UNSPECIFIED state in an update",
        ),
        (
            call!(c.update_task(update(Some(9)))),
            "state",
            "unknown state",
        ),
        (
            call!(c.update_task(both_due)),
            "due_time",
            "due time set and cleared at once",
        ),
        (
            call!(c.list_tasks(list(101, None, None))),
            "page_size",
            "page size over 100",
        ),
        (
            call!(c.list_tasks(list(0, Some(9), None))),
            "state",
            "unknown state filter",
        ),
        (
            call!(c.list_tasks(list(0, None, Some("bad")))),
            "assignee_id",
            "malformed assignee filter",
        ),
        (
            call!(c.delete_task(app::DeleteTaskRequest { id: String::new() })),
            "id",
            "empty id",
        ),
    ];
    expect_invalid(cases).await;
    let all = app::ListTasksRequest {
        team_id: team.id,
        ..Default::default()
    };
    assert_eq!(
        grpc.tasks.list_tasks(all).await.unwrap().into_inner().tasks,
        std::slice::from_ref(&task),
        "nothing was written"
    );
    grpc.stop().await;
}
