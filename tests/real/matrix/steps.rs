//! What each [`Step`](super::Step) does to a case's database.

use std::num::NonZeroU32;
use std::time::Duration;

use dbrepo_migrations::BackfillOptions;
use sqlx::PgPool;

use super::checks::check;
use super::{LATEST, LOSSY_DOWN, Part, Run, Served, current_release_serves, served_at};
use crate::support::{TestDatabase, snapshot};

impl Run {
    /// Migrates up or down to `version`, as `dbrepo-migrations` would, and
    /// notes the detail a lossy down step drops.
    pub(super) async fn migrate(&mut self, version: i64) {
        let target = match version {
            LATEST => dbrepo_migrations::latest_version(),
            version => version,
        };
        let owner = self.db.owner_pool().await;
        if target > self.version {
            dbrepo_migrations::up_to(&owner, target).await.expect("up");
        } else {
            dbrepo_migrations::down_to(&owner, target)
                .await
                .expect("down");
        }
        let status = dbrepo_migrations::status(&owner).await.expect("status");
        assert_eq!(status.current_version(), target, "{}", self.label);
        owner.close().await;
        for lossy in LOSSY_DOWN {
            if self.version >= lossy.below && target < lossy.below {
                (lossy.forget)(&mut self.ledger);
            }
        }
        self.version = target;
    }

    /// Runs the backfill: stopped once it has filled half of what is left
    /// (as if killed there), or to the end (then nothing is left).
    pub(super) async fn backfill(&mut self, part: Part) {
        let owner = self.db.owner_pool().await;
        let before = unfilled(&owner).await;
        let max_batches = match part {
            Part::Half => {
                assert!(
                    before >= 2,
                    "{}: {before} rows cannot be halved",
                    self.label
                );
                Some(batches_filling(&owner, before / 2).await)
            }
            Part::Rest => None,
        };
        let options = BackfillOptions {
            batch_size: NonZeroU32::MIN,
            pause: Duration::ZERO,
            max_batches,
            ..BackfillOptions::default()
        };
        let report = dbrepo_migrations::backfill(&owner, &options).await;
        let report = report.expect("backfill");
        let after = unfilled(&owner).await;
        owner.close().await;
        match part {
            Part::Half => assert_eq!(after, before - before / 2, "{report:?}"),
            Part::Rest => {
                assert!(report.is_complete(), "{report:?}");
                assert_eq!(after, 0, "{report:?}");
            }
        }
    }

    /// Every release able to run writes the dataset.
    pub(super) async fn write(&mut self) {
        let apis = served_at(self.version);
        if current_release_serves(&apis) {
            let mut served = Served::start(&self.db).await;
            self.ledger.write(&apis, &self.old, Some(&mut served)).await;
            served.stop().await;
        } else {
            self.ledger.write(&apis, &self.old, None).await;
        }
    }

    /// Every served version checks the ledger; the current release, when
    /// it can run, also passes its contract suite here.
    pub(super) async fn serve(&mut self) {
        let apis = served_at(self.version);
        if !current_release_serves(&apis) {
            for api in apis {
                check(api, &self.ledger, &self.old, None).await;
            }
            return;
        }
        let mut served = Served::start(&self.db).await;
        for api in apis {
            check(api, &self.ledger, &self.old, Some(&mut served)).await;
        }
        let stores = || std::future::ready(served.contract_stores());
        dbrepo_testkit::contract::run_all(self.label, stores).await;
        served.stop().await;
    }

    /// The catalog equals that of a database given only a fresh `up`.
    pub(super) async fn schema_matches_fresh_up(&mut self) {
        let fresh = TestDatabase::new().await;
        let (ours, theirs) = (self.db.owner_pool().await, fresh.owner_pool().await);
        let (got, want) = (snapshot(&ours).await, snapshot(&theirs).await);
        ours.close().await;
        theirs.close().await;
        assert_eq!(got, want, "{}: schema differs from a fresh up", self.label);
    }
}

/// Members whose v2 columns the backfill has yet to fill.
async fn unfilled(pool: &PgPool) -> i64 {
    let sql = "SELECT count(*) FROM manager.members WHERE status IS NULL OR given_name IS NULL";
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("count unfilled")
}

/// How many batches of one id the backfill runs to fill exactly `rows`
/// unfilled members: it walks every member in id order.
async fn batches_filling(pool: &PgPool, rows: i64) -> u64 {
    let sql = "SELECT count(*) FROM manager.members WHERE id <= (\
        SELECT id FROM manager.members WHERE status IS NULL OR given_name IS NULL \
        ORDER BY id OFFSET $1 LIMIT 1)";
    let batches: i64 = sqlx::query_scalar(sql)
        .bind(rows - 1)
        .fetch_one(pool)
        .await
        .expect("count the batches");
    batches.try_into().unwrap()
}
