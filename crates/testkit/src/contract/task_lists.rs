//! Task lists: per team, filtered by assignee and state, paged by offset
//! or keyset without gaps or duplicates.

use dbrepo::core::Error;
use dbrepo::core::fields::{MemberId, TeamId};
use dbrepo::core::mapping::MemberStatus::Active;
use dbrepo::core::mapping::{Precondition, StatusWrite};
use dbrepo::core::page::{CreatedCursor, PageRequest};
use dbrepo::core::sql::app::{
    AssigneeFilter, NewTask, Task, TaskCursor, TaskPatch, TaskQuery, TaskState, TaskStore,
};
use dbrepo::core::sql::manager::{ManagerStore, MemberPatch};

use super::Stores;
use super::support::{
    assert_not_found, first, member, new_task, refusal, team, v1, walk_keyset, walk_offset,
};

/// A filter of a task list: assignee and state.
type Filter = (AssigneeFilter, Option<TaskState>);

/// The query of `team_id`'s tasks matching `filter`, for `page`.
fn query(team_id: TeamId, filter: Filter, page: PageRequest<TaskCursor>) -> TaskQuery {
    TaskQuery {
        team_id,
        assignee_id: filter.0,
        state: filter.1,
        page,
    }
}

/// The cursor a page ending at `task` hands on.
fn cursor(task: &Task) -> TaskCursor {
    CreatedCursor {
        create_time: task.create_time,
        id: task.id,
    }
}

/// The titles of `tasks`, in order.
fn titles(tasks: &[Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.title.as_str()).collect()
}

/// The titles of the tasks among `tasks` that `filter` keeps, in list order.
fn expected(tasks: &[Task], filter: Filter) -> Vec<String> {
    let mut kept: Vec<&Task> = tasks
        .iter()
        .filter(|t| match filter.0 {
            AssigneeFilter::Any => true,
            AssigneeFilter::Unassigned => t.assignee_id.is_none(),
            AssigneeFilter::Member(member) => t.assignee_id == Some(member),
        })
        .filter(|t| filter.1.is_none_or(|s| t.state == s))
        .collect();
    kept.sort_by_key(|t| (t.create_time, t.id));
    kept.into_iter().map(|t| t.title.clone()).collect()
}

/// Creates tasks of `team_id` titled `T0`, `T1`, … with the given assignee
/// and state each.
async fn tasks<T: TaskStore>(
    store: &T,
    team_id: TeamId,
    specs: &[(Option<MemberId>, TaskState)],
) -> Vec<Task> {
    let mut created = Vec::new();
    for (i, (assignee_id, state)) in specs.iter().enumerate() {
        let new = NewTask {
            assignee_id: *assignee_id,
            ..new_task(team_id, &format!("T{i}"))
        };
        let task = store.create_task(new).await.unwrap();
        let patch = TaskPatch {
            state: Some(*state),
            ..TaskPatch::default()
        };
        created.push(store.update_task(task.id, patch).await.unwrap());
    }
    created
}

pub async fn tasks_of_unknown_team_is_not_found<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let listed = stores
        .tasks
        .list_tasks(query(
            TeamId::generate(),
            (AssigneeFilter::Any, None),
            first(10),
        ))
        .await;
    assert_not_found!(listed, Team);
}

pub async fn task_filters_select_by_assignee_and_state<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    use TaskState::{Doing, Done, Todo};
    let team = team(&*stores.manager, "filters").await;
    let other = self::team(&*stores.manager, "filters").await;
    let ada = member(&*stores.manager, team.id, v1("Ada"), Active)
        .await
        .id;
    let bea = member(&*stores.manager, team.id, v1("Bea"), Active)
        .await
        .id;
    let specs = [
        (Some(ada), Todo),
        (None, Todo),
        (Some(bea), Doing),
        (Some(ada), Done),
        (None, Doing),
        (Some(ada), Doing),
    ];
    let created = tasks(&*stores.tasks, team.id, &specs).await;
    tasks(&*stores.tasks, other.id, &[(None, Todo)]).await;
    let cases: [(Filter, &str); 6] = [
        (
            (AssigneeFilter::Any, None),
            "no filter: every task of the team, none of another",
        ),
        ((AssigneeFilter::Member(ada), None), "one member's tasks"),
        ((AssigneeFilter::Unassigned, None), "only unassigned tasks"),
        ((AssigneeFilter::Any, Some(Doing)), "one state"),
        (
            (AssigneeFilter::Member(ada), Some(Doing)),
            "both filters together",
        ),
        (
            (AssigneeFilter::Unassigned, Some(Done)),
            "a combination nothing matches",
        ),
    ];
    for (filter, why) in cases {
        let listed = stores
            .tasks
            .list_tasks(query(team.id, filter, first(100)))
            .await
            .unwrap();
        assert_eq!(titles(&listed.items), expected(&created, filter), "{why}");
        assert!(!listed.has_more, "{why}");
    }
}

pub async fn task_filter_needs_a_member_of_the_team_of_any_status<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "filter").await;
    let other = self::team(&*stores.manager, "filter").await;
    let ada = member(&*stores.manager, team.id, v1("Ada"), Active)
        .await
        .id;
    let outsider = member(&*stores.manager, other.id, v1("Bea"), Active)
        .await
        .id;
    let created = tasks(&*stores.tasks, team.id, &[(Some(ada), TaskState::Todo)]).await;
    let archive = MemberPatch {
        status: Some(StatusWrite::V1Archived(true)),
        ..MemberPatch::default()
    };
    let archived = stores
        .manager
        .update_member(ada, archive, Precondition::None);
    archived.await.unwrap();
    let by_ada = query(team.id, (AssigneeFilter::Member(ada), None), first(10));
    let listed = stores.tasks.list_tasks(by_ada).await.unwrap();
    assert_eq!(
        titles(&listed.items),
        titles(&created),
        "an archived member's tasks"
    );
    for (stranger, why) in [
        (outsider, "another team's member"),
        (MemberId::generate(), "nobody"),
    ] {
        let by_stranger = query(team.id, (AssigneeFilter::Member(stranger), None), first(10));
        let listed = stores.tasks.list_tasks(by_stranger).await;
        let refused = matches!(listed, Err(Error::FailedPrecondition(_)));
        assert!(refused, "{why}: {listed:?}");
        assert_eq!(
            refusal(&listed),
            Error::assignee_filter_not_in_team().to_string(),
            "{why}"
        );
    }
}

pub async fn task_pages_visit_each_task_once_at_every_page_size<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "pages").await;
    let ada = member(&*stores.manager, team.id, v1("Ada"), Active)
        .await
        .id;
    let specs: Vec<_> = (0..7)
        .map(|i| (if i % 2 == 0 { Some(ada) } else { None }, TaskState::Todo))
        .collect();
    let created = tasks(&*stores.tasks, team.id, &specs).await;
    for filter in [
        (AssigneeFilter::Any, None),
        (AssigneeFilter::Member(ada), Some(TaskState::Todo)),
    ] {
        let want = expected(&created, filter);
        for n in [1, 2, 3, 4, 7, 100] {
            let fetch = async |page| stores.tasks.list_tasks(query(team.id, filter, page)).await;
            let by_keyset = walk_keyset(n, cursor, fetch).await;
            assert_eq!(
                titles(&by_keyset),
                want,
                "keyset, size {n}, filter {filter:?}"
            );
            let fetch = async |page| stores.tasks.list_tasks(query(team.id, filter, page)).await;
            let by_offset = walk_offset(n, fetch).await;
            assert_eq!(
                titles(&by_offset),
                want,
                "offset, size {n}, filter {filter:?}"
            );
        }
    }
    // A cursor stays a position after its task is gone.
    let all = stores
        .tasks
        .list_tasks(query(team.id, (AssigneeFilter::Any, None), first(100)))
        .await
        .unwrap()
        .items;
    stores.tasks.delete_task(all[2].id).await.unwrap();
    let rest = stores
        .tasks
        .list_tasks(query(
            team.id,
            (AssigneeFilter::Any, None),
            super::support::after(cursor(&all[2]), 100),
        ))
        .await
        .unwrap();
    assert_eq!(
        titles(&rest.items),
        titles(&all[3..]),
        "strictly after a deleted task's position"
    );
}
