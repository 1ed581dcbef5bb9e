//! The assignee rule: only an ACTIVE member of the task's team, checked
//! on what a request writes; deleting a member unassigns its tasks.

use dbrepo::core::Error;
use dbrepo::core::fields::{MemberId, Title};
use dbrepo::core::mapping::MemberStatus::{Active, Archived, Suspended};
use dbrepo::core::mapping::{Precondition, StatusWrite};
use dbrepo::core::sql::app::{Change, NewTask, TaskPatch, TaskState, TaskStore};
use dbrepo::core::sql::manager::{ManagerStore, MemberPatch};

use super::Stores;
use super::support::{assert_err, member, new_task, refusal, task_count, team, v1};

pub async fn assignee_must_be_an_active_member_of_the_team<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "assign").await;
    let elsewhere = self::team(&*stores.manager, "assign").await;
    let m = &*stores.manager;
    let cases = [
        (
            member(m, team.id, v1("Sue"), Suspended).await.id,
            "a suspended member",
        ),
        (
            member(m, team.id, v1("Arch"), Archived).await.id,
            "an archived member",
        ),
        (
            member(m, elsewhere.id, v1("Otto"), Active).await.id,
            "an active member of another team",
        ),
        (
            MemberId::generate(),
            "an unknown member: a rule about the team, not a missing resource",
        ),
    ];
    let task = stores
        .tasks
        .create_task(new_task(team.id, "Existing"))
        .await
        .unwrap();
    for (assignee, why) in cases {
        let create = NewTask {
            assignee_id: Some(assignee),
            ..new_task(team.id, "Refused")
        };
        let created = stores.tasks.create_task(create).await;
        assert_eq!(
            refusal(&created),
            Error::assignee_not_active_member().to_string(),
            "{why}"
        );
        assert_err!(created, Error::FailedPrecondition(_));
        assert_eq!(
            task_count(&*stores.tasks, team.id).await,
            1,
            "{why}: nothing created"
        );
        let patch = TaskPatch {
            title: Some(Title::parse("Changed".into()).unwrap()),
            assignee_id: Change::Set(assignee),
            ..TaskPatch::default()
        };
        let updated = stores.tasks.update_task(task.id, patch).await;
        assert_eq!(
            refusal(&updated),
            Error::assignee_not_active_member().to_string(),
            "{why}"
        );
        assert_err!(updated, Error::FailedPrecondition(_));
        let after = stores.tasks.get_task(task.id).await.unwrap();
        assert_eq!(after, task, "{why}: a refused update changes nothing");
    }
}

pub async fn update_without_assignee_keeps_an_assignee_that_became_inactive<
    M: ManagerStore,
    T: TaskStore,
>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "inactive").await;
    let ada = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let create = NewTask {
        assignee_id: Some(ada.id),
        ..new_task(team.id, "T")
    };
    let task = stores.tasks.create_task(create).await.unwrap();
    let archive = MemberPatch {
        status: Some(StatusWrite::V1Archived(true)),
        ..MemberPatch::default()
    };
    stores
        .manager
        .update_member(ada.id, archive, Precondition::None)
        .await
        .unwrap();
    let patch = TaskPatch {
        state: Some(TaskState::Doing),
        ..TaskPatch::default()
    };
    let updated = stores.tasks.update_task(task.id, patch).await.unwrap();
    assert_eq!(
        updated.assignee_id,
        Some(ada.id),
        "the rule applies to what a request writes"
    );
    let reassign = TaskPatch {
        assignee_id: Change::Set(ada.id),
        ..TaskPatch::default()
    };
    let refused = stores.tasks.update_task(task.id, reassign).await;
    assert_err!(refused, Error::FailedPrecondition(_));
}

pub async fn deleting_a_member_unassigns_only_its_tasks<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "unassign").await;
    let ada = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let bea = member(&*stores.manager, team.id, v1("Bea"), Active).await;
    let mut tasks = Vec::new();
    for (title, assignee) in [
        ("A1", Some(ada.id)),
        ("A2", Some(ada.id)),
        ("B", Some(bea.id)),
        ("N", None),
    ] {
        let create = NewTask {
            assignee_id: assignee,
            ..new_task(team.id, title)
        };
        tasks.push(stores.tasks.create_task(create).await.unwrap());
    }
    stores
        .manager
        .delete_member(ada.id, Precondition::Etag(ada.etag()))
        .await
        .unwrap();
    for task in tasks {
        let after = stores.tasks.get_task(task.id).await.unwrap();
        let expected = task.assignee_id.filter(|a| *a != ada.id);
        assert_eq!(after.assignee_id, expected, "task {}", task.title);
        assert_eq!(
            after.update_time, task.update_time,
            "task {}: losing its assignee to a deletion is not an edit of the task",
            task.title
        );
        assert_eq!(
            (after.title, after.state),
            (task.title, task.state),
            "the task stays"
        );
    }
}
