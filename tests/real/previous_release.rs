//! The previous dbrepo release, as far as the database sees it: the SQL it
//! shipped, which knew only 0001's columns. During a rolling deploy it runs
//! beside the new release on the same rows; DOMAIN.md rule 5 says the
//! mapping rules must hold for whatever it writes.
//!
//! These statements are a fixture of what is already deployed. They must
//! never be rewritten to help the new release (no v2 column, no new
//! constraint name, no RETURNING it did not have): the point is that the
//! schema and its trigger cope with them as they are. They run through
//! `sqlx::query` (checked at run time) on purpose: they target an older
//! schema than the one `.sqlx/` describes.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

pub mod mapping_rules;

/// Previous release: create a team.
pub const INSERT_TEAM: &str = "INSERT INTO manager.teams (id, name, description, created_at, updated_at) \
     VALUES ($1, $2, $3, now(), now())";
/// Previous release: create a member (v1 CreateMember).
pub const INSERT_MEMBER: &str = "INSERT INTO manager.members (id, team_id, full_name, email, archived, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, now(), now())";
/// Previous release: v1 UpdateMember of full_name.
pub const UPDATE_FULL_NAME: &str =
    "UPDATE manager.members SET full_name = $2, updated_at = now() WHERE id = $1";
/// Previous release: v1 UpdateMember of email.
pub const UPDATE_EMAIL: &str =
    "UPDATE manager.members SET email = $2, updated_at = now() WHERE id = $1";
/// Previous release: v1 UpdateMember of archived.
pub const UPDATE_ARCHIVED: &str =
    "UPDATE manager.members SET archived = $2, updated_at = now() WHERE id = $1";
/// Previous release: v1 DeleteMember.
pub const DELETE_MEMBER: &str = "DELETE FROM manager.members WHERE id = $1";
/// Previous release: v1 GetMember.
pub const SELECT_MEMBER: &str = "SELECT id, team_id, full_name, email, archived, created_at, updated_at \
     FROM manager.members WHERE id = $1";
/// Previous release: v1 ListMembers (ordered by create time, then id).
pub const LIST_MEMBERS: &str = "SELECT id, team_id, full_name, email, archived, created_at, updated_at \
     FROM manager.members WHERE team_id = $1 AND ($2 OR NOT archived) \
     ORDER BY created_at, id LIMIT $3 OFFSET $4";

/// A member as the previous release read it (v1's columns only).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct V1Row {
    /// The member's id.
    pub id: Uuid,
    /// The member's team.
    pub team_id: Uuid,
    /// v1's name.
    pub full_name: String,
    /// The email as written.
    pub email: String,
    /// v1's status.
    pub archived: bool,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last update time.
    pub updated_at: OffsetDateTime,
}

/// Runs the previous release's statements, as its store would have.
#[derive(Debug, Clone)]
pub struct PreviousRelease {
    pool: PgPool,
}

impl PreviousRelease {
    /// The previous release over `pool` (the DML login, as in production).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Creates a team with a unique name; returns its id.
    pub async fn create_team(&self) -> Uuid {
        let id = Uuid::new_v4();
        self.run(INSERT_TEAM, |q| {
            q.bind(id).bind(Self::team_name(id)).bind("")
        })
        .await;
        id
    }

    /// Creates a member with a unique email; returns its id.
    pub async fn create_member(&self, team_id: Uuid, full_name: &str, archived: bool) -> Uuid {
        let id = Uuid::new_v4();
        let email = Self::email(id);
        self.run(INSERT_MEMBER, |q| {
            q.bind(id)
                .bind(team_id)
                .bind(full_name)
                .bind(email)
                .bind(archived)
        })
        .await;
        id
    }

    /// The name [`Self::create_team`] gives team `id`.
    pub fn team_name(id: Uuid) -> String {
        format!("team {id}")
    }

    /// The email [`Self::create_member`] gives member `id`.
    pub fn email(id: Uuid) -> String {
        format!("{}@example.org", id.simple())
    }

    /// v1 UpdateMember(full_name).
    pub async fn rename(&self, id: Uuid, full_name: &str) {
        self.run(UPDATE_FULL_NAME, |q| q.bind(id).bind(full_name))
            .await;
    }

    /// v1 UpdateMember(email).
    pub async fn set_email(&self, id: Uuid, email: &str) {
        self.run(UPDATE_EMAIL, |q| q.bind(id).bind(email)).await;
    }

    /// v1 UpdateMember(archived).
    pub async fn set_archived(&self, id: Uuid, archived: bool) {
        self.run(UPDATE_ARCHIVED, |q| q.bind(id).bind(archived))
            .await;
    }

    /// v1 DeleteMember.
    pub async fn delete(&self, id: Uuid) {
        self.run(DELETE_MEMBER, |q| q.bind(id)).await;
    }

    /// v1 GetMember.
    pub async fn get(&self, id: Uuid) -> V1Row {
        sqlx::query_as(SELECT_MEMBER)
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{SELECT_MEMBER}: {e}"))
    }

    /// v1 ListMembers, first page of 100.
    pub async fn list(&self, team_id: Uuid, include_archived: bool) -> Vec<V1Row> {
        sqlx::query_as(LIST_MEMBERS)
            .bind(team_id)
            .bind(include_archived)
            .bind(100_i64)
            .bind(0_i64)
            .fetch_all(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{LIST_MEMBERS}: {e}"))
    }

    async fn run<'q>(
        &self,
        sql: &'static str,
        bind: impl FnOnce(
            sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
        )
            -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) {
        bind(sqlx::query(sql))
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}
