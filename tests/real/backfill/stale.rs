//! The two races of a window's read and write, made deterministic: a row
//! renamed after the read is never given the split of its old name, and a
//! row a writer holds is skipped, never waited for.

use std::cell::RefCell;
use std::sync::Once;
use std::time::Duration;

use sqlx::PgPool;
use tracing::Level;
use tracing::field::{Field, Visit};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use uuid::Uuid;

use super::{BATCH, backfill, stored_names};
use crate::previous_release::PreviousRelease;
use crate::support::TestDatabase;

thread_local! {
    /// The hook of the test running on this thread, if it set one.
    static HOOK: RefCell<Option<Box<dyn FnOnce()>>> = RefCell::new(None);
}

/// Runs `hook` once, at this thread's next "backfill window read" event:
/// after a window was read and before its split is written.
///
/// One global subscriber serves every test of this binary and each test
/// keeps its hook on its own thread (a `#[tokio::test]` runs the backfill
/// on the test's thread). A scoped subscriber (`set_default`) is not enough:
/// while it is the only one registered, tracing-core caches a callsite's
/// interest from the default of whichever thread reaches it first
/// (tokio-rs/tracing#3611), so a parallel test that runs a backfill without
/// a subscriber silences these events for every thread.
fn between_read_and_write(hook: impl FnOnce() + 'static) {
    static GLOBAL: Once = Once::new();
    GLOBAL.call_once(|| {
        let backfill_only = Targets::new().with_target("dbrepo_migrations::backfill", Level::DEBUG);
        let subscriber = tracing_subscriber::registry().with(WindowRead.with_filter(backfill_only));
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
    });
    HOOK.with(|slot| *slot.borrow_mut() = Some(Box::new(hook)));
}

/// Calls this thread's hook when the backfill reports a window read.
struct WindowRead;

impl<S: tracing::Subscriber> Layer<S> for WindowRead {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut message = Message::default();
        event.record(&mut message);
        if message.0 == "backfill window read"
            && let Some(hook) = HOOK.with(|slot| slot.borrow_mut().take())
        {
            hook();
        }
    }
}

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// A rename by the previous release on a connection of its own, run to
/// completion from inside the backfill's event (it blocks the backfill,
/// which holds no lock between its read and its write).
fn rename_by_previous_release(url: String, id: Uuid, full_name: &'static str) -> impl FnOnce() {
    move || {
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let pool = PgPool::connect(&url).await.expect("connect");
                PreviousRelease::new(pool.clone())
                    .rename(id, full_name)
                    .await;
                pool.close().await;
            });
        })
        .join()
        .expect("rename");
    }
}

#[tokio::test]
async fn a_row_renamed_between_the_read_and_the_write_gets_the_split_of_its_new_name() {
    let db = TestDatabase::new().await;
    let old = PreviousRelease::new(db.pool().clone());
    let team = old.create_team().await;
    let renamed = old.create_member(team, "Stale Name", false).await;
    let untouched = old.create_member(team, "Ada Lovelace", false).await;
    let fresh = "Fresh\u{3000}Name  Here";
    between_read_and_write(rename_by_previous_release(db.service_url(), renamed, fresh));
    let report = backfill(&db, BATCH, None).await;

    let (full, given, family) = stored_names(db.pool(), renamed).await;
    assert_eq!(full, fresh, "the rename happened between read and write");
    assert_eq!(
        (given.as_deref(), family.as_deref()),
        (Some("Fresh"), Some("Name  Here")),
        "never the stale split (\"Stale\", \"Name\") beside the new name"
    );
    let (_, given, family) = stored_names(db.pool(), untouched).await;
    assert_eq!(
        (given.as_deref(), family.as_deref()),
        (Some("Ada"), Some("Lovelace"))
    );
    assert_eq!(
        (report.batches, report.rows_updated, report.rows_left),
        (2, 2, 0),
        "the window wrote one row; the retry re-read the renamed one: {report:?}"
    );
}

#[tokio::test]
async fn a_row_a_writer_holds_is_skipped_never_waited_for() {
    let db = TestDatabase::new().await;
    let old = PreviousRelease::new(db.pool().clone());
    let team = old.create_team().await;
    let held = old.create_member(team, "Held Row", false).await;
    let free = old.create_member(team, "Free Row", false).await;
    let mut writer = db.pool().begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM manager.members WHERE id = $1 FOR UPDATE")
        .bind(held)
        .execute(&mut *writer)
        .await
        .expect("hold the row");

    let run = backfill(&db, BATCH, None);
    let report = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the backfill never waits for a writer's lock");
    assert_eq!(
        (report.rows_updated, report.rows_left),
        (1, 1),
        "{report:?}"
    );
    assert!(!report.is_complete());
    assert_eq!(
        stored_names(db.pool(), held).await.1,
        None,
        "left for later"
    );
    assert_eq!(
        stored_names(db.pool(), free).await.1.as_deref(),
        Some("Free")
    );

    writer.rollback().await.expect("rollback");
    let rest = backfill(&db, BATCH, None).await;
    assert_eq!(rest.rows_updated, 1);
    assert!(rest.is_complete(), "{rest:?}");
    assert_eq!(
        stored_names(db.pool(), held).await.1.as_deref(),
        Some("Held")
    );
}
