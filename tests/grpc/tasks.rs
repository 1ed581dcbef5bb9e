//! `dbrepo.app.v1.TaskService`: every RPC through the wire, and the
//! assignee rule as FAILED_PRECONDITION.

use dbrepo::proto::app::v1::{self as app, TaskState};
use dbrepo::proto::manager::v2::MemberStatus;
use prost_types::Timestamp;
use tonic::Code;

use super::{Grpc, assert_code, start, v1_member, v1_team, v2_member};

/// A task of `team_id` titled `title`, optionally assigned.
fn create(team_id: &str, title: &str, assignee_id: Option<&str>) -> app::CreateTaskRequest {
    app::CreateTaskRequest {
        team_id: team_id.into(),
        title: title.into(),
        notes: String::new(),
        assignee_id: assignee_id.map(Into::into),
        due_time: None,
    }
}

/// An update of `id` that writes nothing yet.
fn update(id: &str) -> app::UpdateTaskRequest {
    app::UpdateTaskRequest {
        id: id.into(),
        ..app::UpdateTaskRequest::default()
    }
}

/// The titles of every task of `team_id`.
async fn titles(grpc: &mut Grpc, team_id: &str) -> Vec<String> {
    let request = app::ListTasksRequest {
        team_id: team_id.into(),
        ..app::ListTasksRequest::default()
    };
    let tasks = grpc
        .tasks
        .list_tasks(request)
        .await
        .unwrap()
        .into_inner()
        .tasks;
    tasks.into_iter().map(|t| t.title).collect()
}

#[tokio::test]
async fn task_lifecycle_create_get_list_update_delete() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "tasks").await;
    let ada = v1_member(&mut grpc, &team.id, "Ada").await;
    let due = Timestamp {
        seconds: 4_102_444_800,
        nanos: 123_456_000,
    };
    let request = app::CreateTaskRequest {
        due_time: Some(due),
        notes: "n".into(),
        ..create(&team.id, "Write", Some(&ada.id))
    };
    let task = grpc
        .tasks
        .create_task(request)
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    assert_eq!(
        (task.state(), task.assignee_id.as_str(), task.due_time),
        (TaskState::Todo, ada.id.as_str(), Some(due))
    );
    let read = grpc
        .tasks
        .get_task(app::GetTaskRequest {
            id: task.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(read.into_inner().task, Some(task.clone()));
    let done = app::UpdateTaskRequest {
        state: Some(TaskState::Done.into()),
        assignee_id: Some(String::new()),
        clear_due_time: true,
        ..update(&task.id)
    };
    let done = grpc
        .tasks
        .update_task(done)
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    assert_eq!(
        (done.state(), done.assignee_id.as_str(), done.due_time),
        (TaskState::Done, "", None),
        "unassigned, due time cleared"
    );
    assert_eq!(done.title, "Write", "absent fields stay");
    let redue = app::UpdateTaskRequest {
        due_time: Some(due),
        ..update(&task.id)
    };
    let redue = grpc
        .tasks
        .update_task(redue)
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    assert_eq!(redue.due_time, Some(due));
    assert_eq!(titles(&mut grpc, &team.id).await, ["Write"]);
    grpc.tasks
        .delete_task(app::DeleteTaskRequest {
            id: task.id.clone(),
        })
        .await
        .unwrap();
    assert_code(
        grpc.tasks
            .get_task(app::GetTaskRequest {
                id: task.id.clone(),
            })
            .await,
        Code::NotFound,
    );
    assert_code(
        grpc.tasks
            .delete_task(app::DeleteTaskRequest { id: task.id })
            .await,
        Code::NotFound,
    );
    grpc.stop().await;
}

#[tokio::test]
async fn assignee_must_be_an_active_member_of_the_team() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "assign").await;
    let other = v1_team(&mut grpc, "assign").await;
    let cases = [
        (
            v2_member(&mut grpc, &team.id, "Sue", "", MemberStatus::Suspended)
                .await
                .id,
            "suspended",
        ),
        (
            v2_member(&mut grpc, &team.id, "Arch", "", MemberStatus::Archived)
                .await
                .id,
            "archived",
        ),
        (
            v1_member(&mut grpc, &other.id, "Otto").await.id,
            "in another team",
        ),
        (
            uuid::Uuid::now_v7().to_string(),
            "unknown: FAILED_PRECONDITION, not NOT_FOUND",
        ),
    ];
    let task = grpc
        .tasks
        .create_task(create(&team.id, "Existing", None))
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    for (assignee, why) in cases {
        let by_assignee = app::ListTasksRequest {
            team_id: team.id.clone(),
            assignee_id: Some(assignee.clone()),
            ..app::ListTasksRequest::default()
        };
        let listed = grpc.tasks.list_tasks(by_assignee).await;
        if ["suspended", "archived"].contains(&why) {
            let tasks = listed.expect("a member of any status filters").into_inner();
            assert!(tasks.tasks.is_empty(), "{why}: filters");
        } else {
            assert_code(listed, Code::FailedPrecondition);
        }
        let refused = grpc
            .tasks
            .create_task(create(&team.id, "Refused", Some(&assignee)))
            .await;
        assert_code(refused, Code::FailedPrecondition);
        assert_eq!(
            titles(&mut grpc, &team.id).await,
            ["Existing"],
            "{why}: nothing created"
        );
        let assign = app::UpdateTaskRequest {
            title: Some("Changed".into()),
            assignee_id: Some(assignee),
            ..update(&task.id)
        };
        assert_code(
            grpc.tasks.update_task(assign).await,
            Code::FailedPrecondition,
        );
        let read = grpc
            .tasks
            .get_task(app::GetTaskRequest {
                id: task.id.clone(),
            })
            .await
            .unwrap();
        assert_eq!(
            read.into_inner().task.as_ref(),
            Some(&task),
            "{why}: nothing changed"
        );
    }
    grpc.stop().await;
}

#[tokio::test]
async fn deleting_a_member_unassigns_its_tasks_through_any_version() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "unassign").await;
    let ada = v1_member(&mut grpc, &team.id, "Ada").await;
    let task = grpc
        .tasks
        .create_task(create(&team.id, "T", Some(&ada.id)))
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    let by_assignee = app::ListTasksRequest {
        team_id: team.id.clone(),
        assignee_id: Some(String::new()),
        ..app::ListTasksRequest::default()
    };
    assert!(
        grpc.tasks
            .list_tasks(by_assignee.clone())
            .await
            .unwrap()
            .into_inner()
            .tasks
            .is_empty()
    );
    let delete = dbrepo::proto::manager::v1::DeleteMemberRequest { id: ada.id };
    grpc.v1.delete_member(delete).await.unwrap();
    let unassigned = grpc
        .tasks
        .list_tasks(by_assignee)
        .await
        .unwrap()
        .into_inner()
        .tasks;
    assert_eq!(
        unassigned.len(),
        1,
        "an empty assignee_id filter lists unassigned tasks"
    );
    assert_eq!(
        (
            unassigned[0].id.as_str(),
            unassigned[0].assignee_id.as_str()
        ),
        (task.id.as_str(), "")
    );
    grpc.stop().await;
}

#[tokio::test]
async fn task_unknown_ids_are_not_found() {
    let mut grpc = start().await;
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_code(
        grpc.tasks.create_task(create(&unknown, "T", None)).await,
        Code::NotFound,
    );
    assert_code(
        grpc.tasks
            .get_task(app::GetTaskRequest {
                id: unknown.clone(),
            })
            .await,
        Code::NotFound,
    );
    assert_code(
        grpc.tasks.update_task(update(&unknown)).await,
        Code::NotFound,
    );
    let list = app::ListTasksRequest {
        team_id: unknown,
        ..app::ListTasksRequest::default()
    };
    assert_code(grpc.tasks.list_tasks(list).await, Code::NotFound);
    grpc.stop().await;
}
