//! Teams and members in memory, with the database's uniqueness, foreign-key
//! and etag behaviour.

use dbrepo::core::fields::{MemberId, TeamId};
use dbrepo::core::mapping::Precondition;
use dbrepo::core::page::Page;
use dbrepo::core::page::PageRequest;
use dbrepo::core::sql::manager::{
    ManagerStore, Member, MemberPatch, MemberQuery, NewMember, NewTeam, Team, TeamCursor,
};
use dbrepo::core::{Entity, Error, Result};

use super::{FakeManagerStore, Tables, page_rows};

/// The team order: lower-cased name compared byte-wise, then id.
fn team_key(name: &str, id: TeamId) -> (Vec<u8>, TeamId) {
    (name.to_lowercase().into_bytes(), id)
}

/// ALREADY_EXISTS unless no other member of `team_id` has `email`
/// case-insensitively (the unique index on `(team_id, lower(email))`).
fn check_email_free(
    tables: &Tables,
    team_id: TeamId,
    email: &str,
    except: Option<MemberId>,
) -> Result<()> {
    let wanted = email.to_lowercase();
    let taken = tables
        .members
        .values()
        .any(|m| m.team_id == team_id && Some(m.id) != except && m.email.to_lowercase() == wanted);
    if taken {
        return Err(Error::member_email_taken());
    }
    Ok(())
}

/// NOT_FOUND for an unknown member, else ABORTED for a stale etag: the
/// order in which the database's `SELECT … FOR UPDATE` sees them.
fn check_precondition(
    tables: &Tables,
    id: MemberId,
    precondition: &Precondition,
) -> Result<Member> {
    let current = tables
        .members
        .get(&id)
        .cloned()
        .ok_or_else(|| Error::not_found(Entity::Member, id))?;
    if let Precondition::Etag(etag) = precondition
        && !etag.matches(current.update_time)
    {
        return Err(Error::stale_etag());
    }
    Ok(current)
}

impl ManagerStore for FakeManagerStore {
    async fn create_team(&self, team: NewTeam) -> Result<Team> {
        let mut tables = self.0.lock();
        let wanted = team.name.as_str().to_lowercase();
        if tables
            .teams
            .values()
            .any(|t| t.name.to_lowercase() == wanted)
        {
            return Err(Error::team_name_taken());
        }
        let now = self.0.now();
        let team = Team {
            id: TeamId::generate(),
            name: team.name.into_inner(),
            description: team.description.into_inner(),
            create_time: now,
            update_time: now,
        };
        tables.teams.insert(team.id, team.clone());
        Ok(team)
    }

    async fn get_team(&self, id: TeamId) -> Result<Team> {
        let tables = self.0.lock();
        tables
            .teams
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(Entity::Team, id))
    }

    async fn list_teams(&self, page: PageRequest<TeamCursor>) -> Result<Page<Team>> {
        let rows = self.0.lock().teams.values().cloned().collect();
        let rows = page_rows(
            rows,
            |t: &Team| team_key(&t.name, t.id),
            &page.start,
            |c: &TeamCursor| team_key(&c.name, c.id),
            page.size.get(),
        );
        Ok(Page::from_overfetch(rows, page.size))
    }

    async fn create_member(&self, member: NewMember) -> Result<Member> {
        let mut tables = self.0.lock();
        if !tables.teams.contains_key(&member.team_id) {
            return Err(Error::not_found(Entity::Team, member.team_id));
        }
        check_email_free(&tables, member.team_id, member.email.as_str(), None)?;
        let now = self.0.now();
        let member = Member {
            id: MemberId::generate(),
            team_id: member.team_id,
            names: member.names.for_new_member(),
            email: member.email.as_str().to_owned(),
            status: member.status,
            create_time: now,
            update_time: now,
        };
        tables.members.insert(member.id, member.clone());
        Ok(member)
    }

    async fn get_member(&self, id: MemberId) -> Result<Member> {
        let tables = self.0.lock();
        tables
            .members
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::not_found(Entity::Member, id))
    }

    async fn list_members(&self, query: MemberQuery) -> Result<Page<Member>> {
        let tables = self.0.lock();
        if !tables.teams.contains_key(&query.team_id) {
            return Err(Error::not_found(Entity::Team, query.team_id));
        }
        let rows = tables
            .members
            .values()
            .filter(|m| m.team_id == query.team_id)
            .filter(|m| query.statuses.is_empty() || query.statuses.contains(&m.status))
            .cloned()
            .collect();
        drop(tables);
        let rows = page_rows(
            rows,
            |m: &Member| (m.create_time, m.id),
            &query.page.start,
            |c| (c.create_time, c.id),
            query.page.size.get(),
        );
        Ok(Page::from_overfetch(rows, query.page.size))
    }

    async fn update_member(
        &self,
        id: MemberId,
        patch: MemberPatch,
        precondition: Precondition,
    ) -> Result<Member> {
        let mut tables = self.0.lock();
        let current = check_precondition(&tables, id, &precondition)?;
        let mut next = patch.apply(&current);
        check_email_free(&tables, next.team_id, &next.email, Some(id))?;
        next.update_time = self.0.next_update_time(current.update_time);
        tables.members.insert(id, next.clone());
        Ok(next)
    }

    async fn delete_member(&self, id: MemberId, precondition: Precondition) -> Result<()> {
        let mut tables = self.0.lock();
        check_precondition(&tables, id, &precondition)?;
        tables.members.remove(&id);
        // As `ON DELETE SET NULL` does: the assignee goes, and nothing else
        // changes (`app.tasks` has no trigger moving `updated_at`).
        for task in tables.tasks.values_mut() {
            if task.assignee_id == Some(id) {
                task.assignee_id = None;
            }
        }
        Ok(())
    }
}
