//! Tasks in memory, with the database's foreign keys and the assignee rule.

use dbrepo::core::fields::{MemberId, TaskId, TeamId};
use dbrepo::core::mapping::{MemberStatus, truncate_to_micros};
use dbrepo::core::page::Page;
use dbrepo::core::sql::app::{
    AssigneeFilter, Change, NewTask, Task, TaskPatch, TaskQuery, TaskState, TaskStore,
};
use dbrepo::core::{Entity, Error, Result};

use super::{FakeTaskStore, Tables, page_rows};

/// FAILED_PRECONDITION unless `assignee` is an ACTIVE member of `team_id`.
/// An unknown member is a broken rule about the team, not a missing
/// resource, so it is FAILED_PRECONDITION as well.
fn check_assignee(tables: &Tables, team_id: TeamId, assignee: MemberId) -> Result<()> {
    match tables.members.get(&assignee) {
        Some(member) if member.team_id == team_id && member.status == MemberStatus::Active => {
            Ok(())
        }
        _ => Err(Error::assignee_not_active_member()),
    }
}

impl TaskStore for FakeTaskStore {
    async fn create_task(&self, task: NewTask) -> Result<Task> {
        let mut tables = self.0.lock();
        if !tables.teams.contains_key(&task.team_id) {
            return Err(Error::not_found(Entity::Team, task.team_id));
        }
        if let Some(assignee) = task.assignee_id {
            check_assignee(&tables, task.team_id, assignee)?;
        }
        let now = self.0.now();
        let task = Task {
            id: TaskId::generate(),
            team_id: task.team_id,
            title: task.title.into_inner(),
            notes: task.notes.into_inner(),
            state: TaskState::Todo,
            assignee_id: task.assignee_id,
            // `timestamptz` keeps whole microseconds of what it is sent.
            due_time: task.due_time.map(truncate_to_micros),
            create_time: now,
            update_time: now,
        };
        tables.tasks.insert(task.id, task.clone());
        Ok(task)
    }

    async fn get_task(&self, id: TaskId) -> Result<Task> {
        let tables = self.0.lock();
        tables
            .tasks
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(Entity::Task, id))
    }

    async fn list_tasks(&self, query: TaskQuery) -> Result<Page<Task>> {
        let tables = self.0.lock();
        if !tables.teams.contains_key(&query.team_id) {
            return Err(Error::not_found(Entity::Team, query.team_id));
        }
        if let AssigneeFilter::Member(assignee) = query.assignee_id {
            let member = tables.members.get(&assignee);
            if member.is_none_or(|m| m.team_id != query.team_id) {
                return Err(Error::assignee_filter_not_in_team());
            }
        }
        let rows = tables
            .tasks
            .values()
            .filter(|t| t.team_id == query.team_id)
            .filter(|t| query.assignee_id.admits(t.assignee_id))
            .filter(|t| query.state.is_none_or(|s| t.state == s))
            .cloned()
            .collect();
        drop(tables);
        let rows = page_rows(
            rows,
            |t: &Task| (t.create_time, t.id),
            &query.page.start,
            |c| (c.create_time, c.id),
            query.page.size.get(),
        );
        Ok(Page::from_overfetch(rows, query.page.size))
    }

    async fn update_task(&self, id: TaskId, patch: TaskPatch) -> Result<Task> {
        let mut tables = self.0.lock();
        let current = tables
            .tasks
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(Entity::Task, id))?;
        // The rule applies to what the request writes: a patch that leaves
        // the assignee alone keeps one that has become inactive meanwhile.
        if let Change::Set(assignee) = patch.assignee_id {
            check_assignee(&tables, current.team_id, assignee)?;
        }
        let mut next = current.clone();
        if let Some(title) = patch.title {
            next.title = title.into_inner();
        }
        if let Some(notes) = patch.notes {
            next.notes = notes.into_inner();
        }
        if let Some(state) = patch.state {
            next.state = state;
        }
        next.assignee_id = patch.assignee_id.apply(next.assignee_id);
        next.due_time = patch.due_time.map(truncate_to_micros).apply(next.due_time);
        next.update_time = self.0.next_update_time(current.update_time);
        tables.tasks.insert(id, next.clone());
        Ok(next)
    }

    async fn delete_task(&self, id: TaskId) -> Result<()> {
        let mut tables = self.0.lock();
        tables
            .tasks
            .remove(&id)
            .map(drop)
            .ok_or_else(|| Error::not_found(Entity::Task, id))
    }
}
