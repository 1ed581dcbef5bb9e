//! The in-memory stores: one shared database behind a [`ManagerStore`] and a
//! [`TaskStore`] handle, failing exactly where PostgreSQL does.
//!
//! What the fake mirrors of the real schema, and why it must:
//! - unique indexes on `lower(name)` for teams and `(team_id, lower(email))`
//!   for members: ALREADY_EXISTS;
//! - foreign keys: a member or task in an unknown team is NOT_FOUND, an
//!   unknown assignee is FAILED_PRECONDITION;
//! - timestamps stored in whole microseconds, and the `updated_at` trigger
//!   (`greatest(now(), old + 1µs)`), so the etag changes on every update;
//! - every write checks everything before it changes anything, as one
//!   transaction would.
//!
//! [`ManagerStore`]: dbrepo::core::sql::manager::ManagerStore
//! [`TaskStore`]: dbrepo::core::sql::app::TaskStore

mod app;
mod manager;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use dbrepo::core::fields::{MemberId, TaskId, TeamId};
use dbrepo::core::mapping::truncate_to_micros;
use dbrepo::core::page::PageStart;
use dbrepo::core::sql::app::Task;
use dbrepo::core::sql::manager::{Member, Team};
use time::{Duration, OffsetDateTime};

use dbrepo_testkit::contract::Stores;

/// Where the fake reads the time; tests of the fake itself freeze it.
type Clock = Box<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The rows of all three tables.
#[derive(Default)]
struct Tables {
    teams: HashMap<TeamId, Team>,
    members: HashMap<MemberId, Member>,
    tasks: HashMap<TaskId, Task>,
}

/// The database both handles share.
struct Shared {
    tables: Mutex<Tables>,
    clock: Clock,
}

impl Shared {
    /// Locks the tables. A panic while locked can only come from a bug in a
    /// test, so the poison is ignored rather than failing every later call.
    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `now()` as the database stores it: whole microseconds.
    fn now(&self) -> OffsetDateTime {
        truncate_to_micros((self.clock)())
    }

    /// The `updated_at` trigger: never earlier than one microsecond after
    /// the previous value, so two updates in one microsecond still differ.
    fn next_update_time(&self, previous: OffsetDateTime) -> OffsetDateTime {
        self.now().max(previous + Duration::microseconds(1))
    }
}

/// The [`ManagerStore`](dbrepo::core::sql::manager::ManagerStore) handle.
#[derive(Clone)]
pub struct FakeManagerStore(Arc<Shared>);

/// The [`TaskStore`](dbrepo::core::sql::app::TaskStore) handle.
#[derive(Clone)]
pub struct FakeTaskStore(Arc<Shared>);

/// Two handles on one fresh, empty database that reads the system clock.
pub fn fake_stores() -> (FakeManagerStore, FakeTaskStore) {
    with_clock(Box::new(OffsetDateTime::now_utc))
}

/// Two handles on one fresh database whose clock is `clock`.
fn with_clock(clock: Clock) -> (FakeManagerStore, FakeTaskStore) {
    let shared = Arc::new(Shared {
        tables: Mutex::new(Tables::default()),
        clock,
    });
    (FakeManagerStore(shared.clone()), FakeTaskStore(shared))
}

/// A fresh fake backend for one contract test.
pub async fn fake_backend() -> Stores<FakeManagerStore, FakeTaskStore> {
    let (manager, tasks) = fake_stores();
    Stores::new(Arc::new(manager), Arc::new(tasks))
}

/// A fresh fake backend whose clock is stopped at the moment of the call,
/// to show what the database does when writes land in one microsecond.
pub async fn frozen_backend() -> Stores<FakeManagerStore, FakeTaskStore> {
    let at = OffsetDateTime::now_utc();
    let (manager, tasks) = with_clock(Box::new(move || at));
    Stores::new(Arc::new(manager), Arc::new(tasks))
}

/// One page of `rows` (already filtered) in the order `key` defines: skips
/// by offset, or keeps the rows whose key is strictly after the cursor's;
/// fetches one extra row so the caller can build the page with
/// [`Page::from_overfetch`](dbrepo::core::page::Page::from_overfetch).
fn page_rows<R, K: Ord, C>(
    mut rows: Vec<R>,
    key: impl Fn(&R) -> K,
    start: &PageStart<C>,
    cursor_key: impl Fn(&C) -> K,
    size: u32,
) -> Vec<R> {
    rows.sort_by_key(|row| key(row));
    let take = size as usize + 1;
    match start {
        PageStart::First => rows.into_iter().take(take).collect(),
        PageStart::Offset(offset) => rows
            .into_iter()
            .skip(offset.get() as usize)
            .take(take)
            .collect(),
        PageStart::After(cursor) => {
            let after = cursor_key(cursor);
            rows.into_iter()
                .filter(|row| key(row) > after)
                .take(take)
                .collect()
        }
    }
}
