//! Tasks: creation, lookup, updates of each field, deletion.

use dbrepo::core::fields::{Notes, TaskId, TeamId, Title};
use dbrepo::core::mapping::MemberStatus::Active;
use dbrepo::core::mapping::truncate_to_micros;
use dbrepo::core::sql::app::{Change, NewTask, TaskPatch, TaskState, TaskStore};
use dbrepo::core::sql::manager::ManagerStore;
use time::{Duration, OffsetDateTime};

use super::Stores;
use super::support::{assert_not_found, member, new_task, task_count, team, v1};

/// A due time with a sub-microsecond part, a week from now.
fn due_in_a_week() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(7) + Duration::nanoseconds(1_234_567_891)
}

pub async fn new_task_is_todo_and_reads_back<M: ManagerStore, T: TaskStore>(stores: Stores<M, T>) {
    let team = team(&*stores.manager, "tasks").await;
    let ada = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let plain = stores
        .tasks
        .create_task(new_task(team.id, "Plain"))
        .await
        .unwrap();
    assert_eq!(
        (plain.state, plain.assignee_id, plain.due_time),
        (TaskState::Todo, None, None)
    );
    assert_eq!(
        (plain.title.as_str(), plain.notes.as_str()),
        ("Plain", "notes of Plain")
    );
    assert_eq!(plain.create_time, plain.update_time);
    let due = due_in_a_week();
    let full = NewTask {
        assignee_id: Some(ada.id),
        due_time: Some(due),
        ..new_task(team.id, "Full")
    };
    let full = stores.tasks.create_task(full).await.unwrap();
    assert_eq!(full.assignee_id, Some(ada.id));
    assert_eq!(
        full.due_time,
        Some(truncate_to_micros(due)),
        "stored in whole microseconds"
    );
    for task in [plain, full] {
        assert_eq!(
            stores.tasks.get_task(task.id).await.unwrap(),
            task,
            "reads see the create"
        );
    }
}

pub async fn task_in_unknown_team_is_not_found<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let created = stores
        .tasks
        .create_task(new_task(TeamId::generate(), "Lost"))
        .await;
    assert_not_found!(created, Team);
}

pub async fn unknown_task_is_not_found<M: ManagerStore, T: TaskStore>(stores: Stores<M, T>) {
    let id = TaskId::generate();
    assert_not_found!(stores.tasks.get_task(id).await, Task);
    let updated = stores.tasks.update_task(id, TaskPatch::default()).await;
    assert_not_found!(updated, Task);
    assert_not_found!(stores.tasks.delete_task(id).await, Task);
}

pub async fn update_changes_only_the_given_fields<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "update").await;
    let ada = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let due = due_in_a_week();
    let create = NewTask {
        assignee_id: Some(ada.id),
        due_time: Some(due),
        ..new_task(team.id, "T")
    };
    let mut current = stores.tasks.create_task(create).await.unwrap();
    let patches = [
        TaskPatch {
            title: Some(Title::parse("T2".into()).unwrap()),
            ..TaskPatch::default()
        },
        TaskPatch {
            notes: Some(Notes::parse(String::new()).unwrap()),
            ..TaskPatch::default()
        },
        TaskPatch {
            state: Some(TaskState::Doing),
            ..TaskPatch::default()
        },
        TaskPatch {
            state: Some(TaskState::Done),
            ..TaskPatch::default()
        },
        TaskPatch::default(),
    ];
    for patch in patches {
        let mut expected = current.clone();
        expected.title = patch
            .title
            .clone()
            .map_or(expected.title, Title::into_inner);
        expected.notes = patch
            .notes
            .clone()
            .map_or(expected.notes, Notes::into_inner);
        expected.state = patch.state.unwrap_or(expected.state);
        let updated = stores
            .tasks
            .update_task(current.id, patch.clone())
            .await
            .unwrap();
        assert!(
            updated.update_time > current.update_time,
            "{patch:?}: update time moves"
        );
        expected.update_time = updated.update_time;
        assert_eq!(updated, expected, "{patch:?}: only the given fields change");
        assert_eq!(stores.tasks.get_task(current.id).await.unwrap(), updated);
        current = updated;
    }
}

pub async fn update_can_unassign_and_set_and_clear_due_time<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "update").await;
    let ada = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let task = stores
        .tasks
        .create_task(new_task(team.id, "T"))
        .await
        .unwrap();
    let due = due_in_a_week();
    let cases = [
        (
            Change::Set(ada.id),
            Change::Keep,
            Some(ada.id),
            None,
            "assign an active member",
        ),
        (
            Change::Keep,
            Change::Set(due),
            Some(ada.id),
            Some(due),
            "set a due time, keep the assignee",
        ),
        (
            Change::Clear,
            Change::Keep,
            None,
            Some(due),
            "unassign, keep the due time",
        ),
        (
            Change::Keep,
            Change::Clear,
            None,
            None,
            "clear the due time",
        ),
    ];
    for (assignee_id, due_time, want_assignee, want_due, why) in cases {
        let patch = TaskPatch {
            assignee_id,
            due_time,
            ..TaskPatch::default()
        };
        let updated = stores.tasks.update_task(task.id, patch).await.unwrap();
        assert_eq!(updated.assignee_id, want_assignee, "{why}");
        assert_eq!(updated.due_time, want_due.map(truncate_to_micros), "{why}");
        assert_eq!(
            stores.tasks.get_task(task.id).await.unwrap(),
            updated,
            "{why}"
        );
    }
}

pub async fn delete_removes_the_task_once<M: ManagerStore, T: TaskStore>(stores: Stores<M, T>) {
    let team = team(&*stores.manager, "delete").await;
    let gone = stores
        .tasks
        .create_task(new_task(team.id, "Gone"))
        .await
        .unwrap();
    let kept = stores
        .tasks
        .create_task(new_task(team.id, "Kept"))
        .await
        .unwrap();
    stores.tasks.delete_task(gone.id).await.unwrap();
    assert_not_found!(stores.tasks.get_task(gone.id).await, Task);
    assert_not_found!(stores.tasks.delete_task(gone.id).await, Task);
    assert_eq!(stores.tasks.get_task(kept.id).await.unwrap(), kept);
    assert_eq!(task_count(&*stores.tasks, team.id).await, 1);
}
