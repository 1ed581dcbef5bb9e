//! `ManagerStore` on PostgreSQL: the `manager` schema (teams, members).
//!
//! Contract: implements `core::sql::manager::ManagerStore` exactly as the
//! shared contract suite states it. Reads derive the v2 view of rows that a
//! v1-only writer left without v2 columns (`StoredNames`, `from_stored`);
//! member updates read the row, compute the next state with
//! `MemberPatch::apply` and write all columns if the row is still the
//! version read, so the cross-version rules are Rust's, not re-implemented
//! in SQL. Writes that lose a deadlock or serialization race are retried
//! once. Must not import tonic, prost or `api`.

use time::OffsetDateTime;
use tracing::Instrument;
use uuid::Uuid;

mod members;

use members::{list_members, read_member, update_member};

use super::{Sessions, retry_once_on_conflict, statement, unexpected, violated_constraint};
use crate::core::fields::{MemberId, TeamId};
use crate::core::mapping::{MemberStatus, Precondition, StoredNames};
use crate::core::page::{Page, PageRequest, PageStart};
use crate::core::sql::manager::{
    ManagerStore, Member, MemberPatch, MemberQuery, NewMember, NewTeam, Team, TeamCursor,
};
use crate::core::{Entity, Error, Result};

/// The PostgreSQL store of teams and members.
#[derive(Debug, Clone)]
pub struct PgManagerStore {
    sessions: Sessions,
}

impl PgManagerStore {
    /// A store over `sessions`, which should be connected as the DML-only
    /// login.
    pub fn new(sessions: Sessions) -> Self {
        Self { sessions }
    }
}

/// A `manager.members` row as selected everywhere in this file.
struct MemberRow {
    id: Uuid,
    team_id: Uuid,
    full_name: String,
    given_name: Option<String>,
    family_name: Option<String>,
    email: String,
    status: Option<String>,
    archived: bool,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TryFrom<MemberRow> for Member {
    type Error = Error;

    fn try_from(row: MemberRow) -> Result<Self> {
        let status =
            MemberStatus::from_stored(row.status.as_deref(), row.archived).ok_or_else(|| {
                Error::Internal(format!("unknown member status {:?}", row.status).into())
            })?;
        Ok(Member {
            id: MemberId(row.id),
            team_id: TeamId(row.team_id),
            names: StoredNames {
                full_name: row.full_name,
                given_name: row.given_name,
                family_name: row.family_name,
            },
            email: row.email,
            status,
            create_time: row.created_at,
            update_time: row.updated_at,
        })
    }
}

/// A `manager.teams` row.
struct TeamRow {
    id: Uuid,
    name: String,
    description: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl From<TeamRow> for Team {
    fn from(row: TeamRow) -> Self {
        Team {
            id: TeamId(row.id),
            name: row.name,
            description: row.description,
            create_time: row.created_at,
            update_time: row.updated_at,
        }
    }
}

/// Maps a failed write by the constraint it broke; `team_id` names the team
/// a foreign-key violation could not find.
fn write_error(err: sqlx::Error, team_id: Option<TeamId>) -> Error {
    match (violated_constraint(&err), team_id) {
        (Some("teams_name_key"), _) => Error::team_name_taken(),
        (Some("members_team_email_key"), _) => Error::member_email_taken(),
        (Some("members_team_id_fkey"), Some(team_id)) => Error::not_found(Entity::Team, team_id),
        _ => unexpected(err),
    }
}

impl ManagerStore for PgManagerStore {
    async fn create_team(&self, team: NewTeam) -> Result<Team> {
        let (id, team) = (TeamId::generate(), &team);
        retry_once_on_conflict(move || async move {
            let row = sqlx::query_as!(
                TeamRow,
                r#"INSERT INTO manager.teams (id, name, description)
                   VALUES ($1, $2, $3)
                   RETURNING id, name, description, created_at, updated_at"#,
                id.0,
                team.name.as_str(),
                team.description.as_str(),
            )
            .fetch_one(&mut *self.sessions.get().await?)
            .instrument(statement("INSERT manager.teams"))
            .await
            .map_err(|err| write_error(err, None))?;
            Ok(row.into())
        })
        .await
    }

    async fn get_team(&self, id: TeamId) -> Result<Team> {
        sqlx::query_as!(
            TeamRow,
            r#"SELECT id, name, description, created_at, updated_at
               FROM manager.teams WHERE id = $1"#,
            id.0,
        )
        .fetch_optional(&mut *self.sessions.get().await?)
        .instrument(statement("SELECT manager.teams"))
        .await
        .map_err(unexpected)?
        .map(Team::from)
        .ok_or_else(|| Error::not_found(Entity::Team, id))
    }

    async fn list_teams(&self, page: PageRequest<TeamCursor>) -> Result<Page<Team>> {
        let fetch = i64::from(page.size.get()) + 1;
        let (after, after_id, offset) = match &page.start {
            PageStart::Offset(offset) => (None, None, i64::from(offset.get())),
            PageStart::First => (None, None, 0),
            PageStart::After(cursor) => (Some(cursor.name.as_str()), Some(cursor.id.0), 0),
        };
        // lower(name) is unique (teams_name_key), so stored teams never tie
        // on it and that index serves order and seek; the id only breaks the
        // tie with a cursor whose team was renamed meanwhile.
        let rows = sqlx::query_as!(
            TeamRow,
            r#"SELECT id, name, description, created_at, updated_at
               FROM manager.teams
               WHERE $1::text IS NULL
                  OR lower(name) COLLATE "C" > lower($1) COLLATE "C"
                  OR (lower(name) COLLATE "C" = lower($1) COLLATE "C" AND id > $2::uuid)
               ORDER BY lower(name) COLLATE "C", id
               LIMIT $3 OFFSET $4"#,
            after,
            after_id,
            fetch,
            offset,
        )
        .fetch_all(&mut *self.sessions.get().await?)
        .instrument(statement("SELECT manager.teams"))
        .await
        .map_err(unexpected)?;
        let teams = rows.into_iter().map(Team::from).collect();
        Ok(Page::from_overfetch(teams, page.size))
    }

    async fn create_member(&self, member: NewMember) -> Result<Member> {
        let (id, member) = (MemberId::generate(), &member);
        let names = &member.names.for_new_member();
        retry_once_on_conflict(move || async move {
            sqlx::query_as!(
                MemberRow,
                r#"INSERT INTO manager.members
                     (id, team_id, full_name, given_name, family_name, email, status, archived)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                   RETURNING id, team_id, full_name, given_name, family_name, email, status,
                             archived, created_at, updated_at"#,
                id.0,
                member.team_id.0,
                names.full_name,
                names.given_name,
                names.family_name,
                member.email.as_str(),
                member.status.as_stored(),
                member.status.is_archived(),
            )
            .fetch_one(&mut *self.sessions.get().await?)
            .instrument(statement("INSERT manager.members"))
            .await
            .map_err(|err| write_error(err, Some(member.team_id)))?
            .try_into()
        })
        .await
    }

    async fn get_member(&self, id: MemberId) -> Result<Member> {
        read_member(&mut *self.sessions.get().await?, id).await
    }

    async fn list_members(&self, query: MemberQuery) -> Result<Page<Member>> {
        list_members(&mut *self.sessions.get().await?, query).await
    }

    async fn update_member(
        &self,
        id: MemberId,
        patch: MemberPatch,
        precondition: Precondition,
    ) -> Result<Member> {
        let (patch, precondition) = (&patch, &precondition);
        retry_once_on_conflict(move || update_member(&self.sessions, id, patch, precondition)).await
    }

    async fn delete_member(&self, id: MemberId, precondition: Precondition) -> Result<()> {
        let (conditional, expected) = expected_update_time(&precondition);
        // One statement: the CTE tells an unknown id (NOT_FOUND) from a stale
        // etag (ABORTED). A concurrent update makes the DELETE re-check the
        // etag against the newer row, so a stale etag never deletes.
        let outcome = retry_once_on_conflict(move || async move {
            sqlx::query!(
                r#"WITH target AS (SELECT id FROM manager.members WHERE id = $1),
                    deleted AS (
                      DELETE FROM manager.members m USING target
                      WHERE m.id = target.id AND (NOT $2 OR m.updated_at = $3)
                      RETURNING m.id)
               SELECT EXISTS (SELECT 1 FROM target) AS "found!",
                      EXISTS (SELECT 1 FROM deleted) AS "deleted!""#,
                id.0,
                conditional,
                expected,
            )
            .fetch_one(&mut *self.sessions.get().await?)
            .instrument(statement("DELETE manager.members"))
            .await
            .map_err(unexpected)
        })
        .await?;
        match (outcome.found, outcome.deleted) {
            (false, _) => Err(Error::not_found(Entity::Member, id)),
            (true, false) => Err(Error::stale_etag()),
            (true, true) => Ok(()),
        }
    }
}

/// Whether a precondition applies, and the update time it requires. A
/// client etag this service never produced requires a time no row has.
fn expected_update_time(precondition: &Precondition) -> (bool, Option<OffsetDateTime>) {
    match precondition {
        Precondition::None => (false, None),
        Precondition::Etag(etag) => (true, etag.update_time()),
    }
}
