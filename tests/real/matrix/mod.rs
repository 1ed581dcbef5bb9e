//! The rollout and rollback matrix: each case brings one real database
//! through a sequence of schema states, as operators would (migrations up
//! and down, a backfill stopped halfway, releases writing side by side),
//! and at every serving step runs the checks of every API version the
//! releases able to run on that schema serve, plus, whenever the current
//! release can serve, its whole store contract suite.
//!
//! Everything here is data: [`RELEASES`] says which release serves which
//! versions on which schema, `dataset::ROWS` what is written and what each
//! version must read of it, [`LOSSY_DOWN`] what a down step may lose, and
//! the `cases!` table at the bottom the sequences. A new API version is a
//! line in `RELEASES` plus its check; a new migration is reached by every
//! `Migrate(LATEST)` and needs only a case that steps over it.

mod checks;
mod dataset;
mod ledger;
mod served;

use dataset::Api;
use ledger::Ledger;
use served::Served;

use crate::previous_release::PreviousRelease;
use crate::support::TestDatabase;

/// The latest schema version (resolved when a step runs).
const LATEST: i64 = i64::MAX;

/// One step of a case.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// `dbrepo-migrations up` or `down --to` this version.
    Migrate(i64),
    /// The backfill, as the migrations binary runs it.
    Backfill(Part),
    /// Every release able to run writes the dataset into a new team.
    Write,
    /// Every version served checks everything written so far, and the
    /// current release passes its contract suite on this database.
    Serve,
    /// The schema is the one a fresh `up` gives.
    SchemaMatchesFreshUp,
}

/// How much of the backfill a step runs.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// About half the rows, then stops (as if killed).
    Half,
    /// To the end.
    Rest,
}

use Part::{Half, Rest};
use Step::{Backfill, Migrate, SchemaMatchesFreshUp, Serve, Write};

/// A release and what it needs of the schema.
struct Release {
    /// The lowest schema version it runs on.
    needs: fn() -> i64,
    /// The API versions it serves.
    serves: &'static [Api],
}

/// The previous release reads and writes 0001's columns only, so it runs
/// on every schema from 0001 on (a rolling deploy, and after a rollback);
/// the current release's startup gate wants every migration it ships.
const RELEASES: &[Release] = &[
    Release {
        needs: || 1,
        serves: &[Api::PreviousManagerV1],
    },
    Release {
        needs: dbrepo_migrations::latest_version,
        serves: &[Api::ManagerV1, Api::ManagerV2, Api::AppV1],
    },
];

/// A down step that loses detail (its file header says what).
struct LossyDown {
    /// Going below this version loses it.
    below: i64,
    /// Marks the ledger's members as having lost it.
    forget: fn(&mut Ledger),
}

/// Going below 0002 drops v2's own names and SUSPENDED.
const LOSSY_DOWN: &[LossyDown] = &[LossyDown {
    below: 2,
    forget: Ledger::forget_v2_detail,
}];

/// The API versions served at schema `version`.
fn served_at(version: i64) -> Vec<Api> {
    RELEASES
        .iter()
        .filter(|release| version >= (release.needs)())
        .flat_map(|release| release.serves.iter().copied())
        .collect()
}

fn current_release_serves(apis: &[Api]) -> bool {
    apis.iter().any(|api| *api != Api::PreviousManagerV1)
}

/// One case's database, its writers and what they wrote.
struct Run {
    label: &'static str,
    db: TestDatabase,
    old: PreviousRelease,
    ledger: Ledger,
    version: i64,
}

impl Run {
    async fn new(label: &'static str) -> Self {
        let db = TestDatabase::unmigrated().await;
        let old = PreviousRelease::new(db.pool().clone());
        Self {
            label,
            db,
            old,
            ledger: Ledger::default(),
            version: 0,
        }
    }

    async fn step(&mut self, step: Step) {
        eprintln!("{}: {step:?} at schema {}", self.label, self.version);
        match step {
            Migrate(version) => self.migrate(version).await,
            Backfill(part) => self.backfill(part).await,
            Write => self.write().await,
            Serve => self.serve().await,
            SchemaMatchesFreshUp => self.schema_matches_fresh_up().await,
        }
    }
}

mod steps;

/// Stamps one test per case; each runs its steps in order.
macro_rules! cases {
    ($($(#[doc = $doc:literal])* $name:ident: [$($step:expr),* $(,)?],)*) => {
        $(
            $(#[doc = $doc])*
            #[tokio::test]
            async fn $name() {
                let mut run = Run::new(stringify!($name)).await;
                for step in [$($step),*] {
                    run.step(step).await;
                }
            }
        )*
    };
}

cases! {
    /// A new database at the latest version: every version's contract, and
    /// every writer's data read per the rules.
    fresh_database_at_the_latest_version: [Migrate(LATEST), Serve, Write, Serve],

    /// A rolling deploy: the previous release's data at 0001, `up`, the
    /// backfill killed halfway while both releases serve and write, then
    /// finished.
    previous_release_data_through_up_and_an_interrupted_backfill: [
        Migrate(1), Write, Serve, Migrate(LATEST), Serve, Backfill(Half), Serve,
        Write, Serve, Backfill(Rest), Serve,
    ],

    /// A rollback: v1 and v2 data at the latest version, down to 0001 (v1
    /// sees all of it, the previous release writes), up again (v2 reads per
    /// the rules), backfilled; the schema is a fresh up's again.
    v1_and_v2_data_down_to_0001_and_up_again: [
        Migrate(LATEST), Write, Serve, Migrate(1), Serve, Write, Serve,
        Migrate(LATEST), Serve, Backfill(Rest), Write, Serve, SchemaMatchesFreshUp,
    ],

    /// Every down step, one at a time, with data in place, then up.
    each_down_step_keeps_what_v1_sees: [
        Migrate(LATEST), Write, Migrate(4), Serve, Migrate(3), Serve, Migrate(2), Serve, Write,
        Migrate(1), Serve, Migrate(LATEST), Serve, SchemaMatchesFreshUp,
    ],

    /// up, down to nothing, up: the catalog equals a fresh up's.
    up_down_up_leaves_the_schema_of_a_fresh_up: [
        Migrate(LATEST), Migrate(0), Migrate(LATEST), SchemaMatchesFreshUp, Write, Serve,
    ],
}
