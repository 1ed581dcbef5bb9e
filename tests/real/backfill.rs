//! `dbrepo_migrations::backfill` against a real server: batches, resuming
//! after an interruption, re-running as a no-op, and running beside writers
//! of both releases without losing any of their writes.

use std::num::NonZeroU32;
use std::time::Duration;

use dbrepo::core::fields::MemberId;
use dbrepo::core::mapping::{MemberStatus, Precondition, StatusWrite, join_names, split_full_name};
use dbrepo::core::sql::manager::{ManagerStore, Member, MemberPatch};
use dbrepo::io::db::PgManagerStore;
use dbrepo_migrations::{BackfillOptions, BackfillReport, Error};
use sqlx::PgPool;
use uuid::Uuid;

use crate::previous_release::PreviousRelease;
use crate::previous_release::mapping_rules::v2_names;
use crate::support::TestDatabase;

mod concurrent;
mod split;
mod stale;
mod transient;

const BATCH: u32 = 10;

/// Runs a backfill as the migrations binary would (owner login).
async fn backfill(db: &TestDatabase, batch: u32, max_batches: Option<u64>) -> BackfillReport {
    try_backfill(db, batch, max_batches)
        .await
        .expect("backfill")
}

async fn try_backfill(
    db: &TestDatabase,
    batch: u32,
    max_batches: Option<u64>,
) -> Result<BackfillReport, Error> {
    let owner = db.owner_pool().await;
    let options = BackfillOptions {
        batch_size: NonZeroU32::new(batch).unwrap(),
        pause: Duration::ZERO,
        max_batches,
        ..BackfillOptions::default()
    };
    let report = dbrepo_migrations::backfill(&owner, &options).await;
    owner.close().await;
    report
}

type Stored = (String, Option<String>, Option<String>);

async fn stored_names(pool: &PgPool, id: Uuid) -> Stored {
    sqlx::query_as("SELECT full_name, given_name, family_name FROM manager.members WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn count_unfilled(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM manager.members WHERE given_name IS NULL OR status IS NULL",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Stored names are either v1's split (v1 wrote last) or v2's exact names
/// whose join is the full name (v2 wrote last); never anything else.
fn assert_names_consistent(member: &Member) {
    let names = &member.names;
    if let (Some(given), Some(family)) = (&names.given_name, &names.family_name) {
        let split = split_full_name(&names.full_name);
        let joined = join_names(given, family);
        assert!(
            (given, family) == (&split.0, &split.1) || joined == names.full_name,
            "{names:?}"
        );
    }
}

#[tokio::test]
async fn backfill_refuses_before_0002() {
    let db = TestDatabase::migrated_to(1).await;
    let error = try_backfill(&db, BATCH, None)
        .await
        .expect_err("no columns");
    assert!(
        matches!(error, Error::BackfillNeedsVersion { version: 2 }),
        "{error}"
    );
}

#[tokio::test]
async fn a_second_backfill_is_refused_while_one_runs() {
    let db = TestDatabase::new().await;
    let owner = db.owner_pool().await;
    let mut holder = owner.acquire().await.unwrap();
    sqlx::query(
        "SELECT pg_advisory_lock(hashtext('dbrepo'), hashtext('manager.members backfill'))",
    )
    .execute(&mut *holder)
    .await
    .unwrap();
    let error = try_backfill(&db, BATCH, None).await.expect_err("locked");
    assert!(matches!(error, Error::BackfillRunning), "{error}");
    holder.close().await.unwrap();
    owner.close().await;
    assert!(backfill(&db, BATCH, None).await.is_complete(), "free again");
}

#[tokio::test]
async fn an_interrupted_backfill_reads_right_resumes_and_reruns_as_a_no_op() {
    let db = TestDatabase::migrated_to(1).await;
    let old = PreviousRelease::new(db.pool().clone());
    let team = old.create_team().await;
    let mut ids = Vec::new();
    for i in 0..35 {
        ids.push(
            old.create_member(team, &format!("Given{i} Family {i}"), i % 4 == 0)
                .await,
        );
    }
    let owner = db.owner_pool().await;
    dbrepo_migrations::up(&owner).await.expect("up");
    owner.close().await;
    let store = PgManagerStore::new(db.sessions());
    let before = all(&store, &ids).await;

    let first = backfill(&db, BATCH, Some(1)).await;
    assert_eq!((first.batches, first.rows_updated), (1, 10));
    assert!(first.stopped_early && !first.is_complete());
    assert_eq!(
        count_unfilled(db.pool()).await,
        25,
        "killed after one batch"
    );
    let halfway = all(&store, &ids).await;
    for (was, now) in before.iter().zip(&halfway) {
        assert_eq!(
            now.names.v2_view(),
            was.names.v2_view(),
            "same view either way"
        );
        assert_eq!(
            (&now.names.full_name, now.status),
            (&was.names.full_name, was.status)
        );
    }

    let rest = backfill(&db, BATCH, None).await;
    assert_eq!((rest.rows_scanned, rest.rows_updated), (35, 25));
    assert!(rest.is_complete());
    let after = all(&store, &ids).await;
    for (i, (was, now)) in before.iter().zip(&after).enumerate() {
        let (given, family) = (format!("Given{i}"), format!("Family {i}"));
        assert_eq!(now.names.given_name.as_deref(), Some(given.as_str()));
        assert_eq!(now.names.family_name.as_deref(), Some(family.as_str()));
        let want = if i % 4 == 0 {
            MemberStatus::Archived
        } else {
            MemberStatus::Active
        };
        assert_eq!(now.status, want);
        assert_ne!(
            now.etag(),
            was.etag(),
            "accepted: a backfilled etag changes once"
        );
    }

    let again = backfill(&db, BATCH, None).await;
    assert_eq!((again.rows_updated, again.rows_scanned), (0, 35), "a no-op");
    assert_eq!(all(&store, &ids).await, after, "not even updated_at moves");
}

async fn all(store: &PgManagerStore, ids: &[Uuid]) -> Vec<Member> {
    let mut members = Vec::new();
    for id in ids {
        members.push(store.get_member(MemberId(*id)).await.unwrap());
    }
    members
}

/// What a writer was told it wrote, checked after the backfill.
#[derive(Debug, Clone, PartialEq)]
struct Acknowledged {
    full_name: String,
    v2: (String, String),
    status: MemberStatus,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_of_both_releases_keep_every_write_made_during_a_backfill() {
    let db = TestDatabase::migrated_to(1).await;
    let old = PreviousRelease::new(db.pool().clone());
    let team = old.create_team().await;
    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push(
            old.create_member(team, &format!("Old{i} Timer"), false)
                .await,
        );
    }
    let owner = db.owner_pool().await;
    dbrepo_migrations::up(&owner).await.expect("up");
    owner.close().await;
    let store = PgManagerStore::new(db.sessions());

    let writer = {
        let (store, old, ids) = (store.clone(), old.clone(), ids.clone());
        tokio::spawn(async move { write_while_backfilling(&store, &old, &ids).await })
    };
    let report = backfill(&db, 7, None).await;
    let acknowledged = writer.await.expect("writer");

    assert!(report.rows_updated > 0, "{report:?}");
    for (id, want) in &acknowledged {
        let member = store.get_member(MemberId(*id)).await.unwrap();
        let got = Acknowledged {
            full_name: member.names.full_name.clone(),
            v2: member.names.v2_view(),
            status: member.status,
        };
        assert_eq!(&got, want, "{id}");
        assert_names_consistent(&member);
    }
    let last = backfill(&db, 50, None).await;
    assert!(last.is_complete(), "{last:?}");
    assert_eq!(count_unfilled(db.pool()).await, 0);
    for id in &ids {
        assert_names_consistent(&store.get_member(MemberId(*id)).await.unwrap());
    }
}

/// Cycles through the members writing as v2 (new release), as v1 (the
/// previous release) and setting statuses; returns what each was told.
async fn write_while_backfilling(
    store: &PgManagerStore,
    old: &PreviousRelease,
    ids: &[Uuid],
) -> Vec<(Uuid, Acknowledged)> {
    let mut acknowledged = Vec::new();
    for (i, id) in ids.iter().copied().enumerate() {
        let want = match i % 4 {
            0 => {
                let given = format!("New{i}");
                let patch = MemberPatch {
                    status: Some(StatusWrite::Set(MemberStatus::Suspended)),
                    ..v2_names(&given, "Writer")
                };
                let m = store.update_member(MemberId(id), patch, Precondition::None);
                let m = m.await.expect("v2 write");
                assert_eq!(m.names.v2_view(), (given.clone(), "Writer".into()));
                (m.names.full_name, (given, "Writer".into()), m.status)
            }
            1 => {
                old.rename(id, &format!("Renamed{i}\u{3000}By  Old")).await;
                let full = format!("Renamed{i}\u{3000}By  Old");
                (
                    full,
                    (format!("Renamed{i}"), "By  Old".into()),
                    MemberStatus::Active,
                )
            }
            2 => {
                old.set_archived(id, true).await;
                (
                    format!("Old{i} Timer"),
                    (format!("Old{i}"), "Timer".into()),
                    MemberStatus::Archived,
                )
            }
            _ => continue,
        };
        let (full_name, v2, status) = want;
        acknowledged.push((
            id,
            Acknowledged {
                full_name,
                v2,
                status,
            },
        ));
        tokio::task::yield_now().await;
    }
    acknowledged
}
