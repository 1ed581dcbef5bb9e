//! The member queries too long to sit with the rest of the store: the
//! filtered, paged list and the locked read-modify-write update.

use sqlx::{PgConnection, PgExecutor};
use tracing::Instrument;

use super::{MemberRow, write_error};
use crate::core::fields::MemberId;
use crate::core::mapping::Precondition;
use crate::core::page::Page;
use crate::core::sql::manager::{Member, MemberPatch, MemberQuery};
use crate::core::{Entity, Error, Result};
use crate::io::db::{Sessions, created_bounds, statement, unexpected};

pub(super) async fn list_members(
    db: &mut PgConnection,
    query: MemberQuery,
) -> Result<Page<Member>> {
    let fetch = i64::from(query.page.size.get()) + 1;
    let (after_time, after_id, offset) = created_bounds(&query.page.start, |id| id.0);
    let statuses: Vec<String> = query
        .statuses
        .iter()
        .map(|s| s.as_stored().to_owned())
        .collect();
    let rows = sqlx::query_file!(
        "src/io/db/sql/list_members.sql",
        query.team_id.0,
        &statuses,
        after_time,
        after_id,
        fetch,
        offset,
    )
    .fetch_all(db)
    .instrument(statement("SELECT manager.members"))
    .await
    .map_err(unexpected)?;
    if rows.is_empty() {
        return Err(Error::not_found(Entity::Team, query.team_id));
    }
    let mut members = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(id), Some(team_id), Some(full_name), Some(email), Some(archived)) =
            (row.id, row.team_id, row.full_name, row.email, row.archived)
        else {
            continue; // the team has no member on this page
        };
        let (Some(created_at), Some(updated_at)) = (row.created_at, row.updated_at) else {
            continue;
        };
        members.push(Member::try_from(MemberRow {
            id,
            team_id,
            full_name,
            given_name: row.given_name,
            family_name: row.family_name,
            email,
            status: row.status,
            archived,
            created_at,
            updated_at,
        })?);
    }
    Ok(Page::from_overfetch(members, query.page.size))
}

/// How many times a read-modify-write update is tried before a row that
/// keeps changing under it is reported as a conflict (ABORTED).
const UPDATE_ATTEMPTS: usize = 8;

/// Reads the row, checks existence then the etag, applies the patch with
/// core's rules in Rust, and writes every column back only if the row is
/// still the version that was read (its `updated_at`, which every write
/// moves strictly forward); a lost race reads again. Two statements and no
/// explicit transaction: no lock is held between them, and no cancelled
/// call can leave a transaction open on a pooled connection. The patch is
/// computed in Rust because v2 may change one name part while the other
/// part of a never-backfilled row exists only as a derivation here.
pub(super) async fn update_member(
    sessions: &Sessions,
    id: MemberId,
    patch: &MemberPatch,
    precondition: &Precondition,
) -> Result<Member> {
    let mut conn = sessions.get().await?;
    for _ in 0..UPDATE_ATTEMPTS {
        let current = read_member(&mut *conn, id).await?;
        if let Precondition::Etag(etag) = precondition
            && !etag.matches(current.update_time)
        {
            return Err(Error::stale_etag());
        }
        if let Some(updated) =
            write_if_unchanged(&mut conn, &current, &patch.apply(&current)).await?
        {
            return Ok(updated);
        }
    }
    Err(Error::Conflict(
        format!("member {id} changed under {UPDATE_ATTEMPTS} update attempts in a row").into(),
    ))
}

/// One member by id, or NOT_FOUND.
pub(super) async fn read_member(db: impl PgExecutor<'_>, id: MemberId) -> Result<Member> {
    sqlx::query_as!(
        MemberRow,
        r#"SELECT id, team_id, full_name, given_name, family_name, email, status,
                  archived, created_at, updated_at
           FROM manager.members WHERE id = $1"#,
        id.0,
    )
    .fetch_optional(db)
    .instrument(statement("SELECT manager.members"))
    .await
    .map_err(unexpected)?
    .ok_or_else(|| Error::not_found(Entity::Member, id))?
    .try_into()
}

/// Writes `next` over `current`'s row if nobody changed the row since
/// `current` was read; `None` when somebody did (or deleted it).
async fn write_if_unchanged(
    conn: &mut PgConnection,
    current: &Member,
    next: &Member,
) -> Result<Option<Member>> {
    // updated_at is set by the members_v2_sync trigger: strictly later than
    // before, whichever release writes, so the etag always changes.
    sqlx::query_as!(
        MemberRow,
        r#"UPDATE manager.members
           SET full_name = $3, given_name = $4, family_name = $5, email = $6,
               status = $7, archived = $8
           WHERE id = $1 AND updated_at = $2
           RETURNING id, team_id, full_name, given_name, family_name, email, status,
                     archived, created_at, updated_at"#,
        current.id.0,
        current.update_time,
        next.names.full_name,
        next.names.given_name,
        next.names.family_name,
        next.email,
        next.status.as_stored(),
        next.status.is_archived(),
    )
    .fetch_optional(conn)
    .instrument(statement("UPDATE manager.members"))
    .await
    .map_err(|err| write_error(err, None))?
    .map(Member::try_from)
    .transpose()
}
