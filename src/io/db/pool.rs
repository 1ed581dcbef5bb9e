//! The service's pool of database sessions: a fixed number of connections,
//! each handed to one call at a time, with no database round trip of its
//! own on the way in or out.
//!
//! Contract:
//! - A call's statements are its only round trips. sqlx's own pool pings
//!   every connection it takes back, which doubled the round trips of a
//!   one-statement read; this pool does not. A connection whose call was
//!   cancelled mid-statement needs no ping either: sqlx's `PgConnection`
//!   finishes sending what it started and reads the abandoned replies up to
//!   their `ReadyForQuery` before its next statement. That holds because no
//!   service code opens a transaction (no `BEGIN`): an abandoned call never
//!   leaves one open.
//! - Broken connections are still found: a connection-level failure
//!   anywhere ([`suspect_all`]) makes every connection prove itself with a
//!   ping at its next checkout, and dead ones are replaced; so does health
//!   when the database answers again after an outage. Every connection is
//!   also replaced after [`MAX_LIFETIME`].
//! - A connection is never lost to a cancelled call. A login runs in a task
//!   of its own, and a connection whose caller gave up is kept for the next
//!   one (with short client deadlines, logins inside cancellable calls would
//!   otherwise never finish and the pool would never refill). The ping runs
//!   after deadpool has lent the connection, not in its `recycle`: deadpool
//!   drops a connection whose recycle was cancelled, so a storm of
//!   impatient calls right after a failure cost one login each. A ping cut
//!   off here leaves the connection lent, unproven, and it goes back to the
//!   pool to prove itself at its next checkout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use deadpool::Runtime;
use deadpool::managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult};
use prometheus_client::metrics::histogram::Histogram;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use crate::core::Error;

/// A connection older than this is closed at its next checkout and a new
/// one opened, so server-side memory and settings changes do not live
/// forever (sqlx's default).
pub const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// A pooled connection and when it last proved itself: the start of its
/// login or of its last successful ping.
#[derive(Debug)]
struct Pooled {
    connection: PgConnection,
    proven: Instant,
}

/// Opens the service's connections; see the module documentation.
#[derive(Debug)]
struct Connector {
    options: PgConnectOptions,
    /// Connections whose login finished after the call that asked for them
    /// was cancelled. deadpool does not count them in the pool's size until
    /// its next `create` takes one, so the server may briefly see up to
    /// that many sessions beyond the pool's size; each is used before any
    /// new login is made.
    spare: Arc<Mutex<Vec<Pooled>>>,
}

impl managed::Manager for Connector {
    type Type = Pooled;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Pooled, sqlx::Error> {
        if let Some(connection) = lock(&self.spare).pop() {
            return Ok(connection);
        }
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let (options, spare) = (self.options.clone(), Arc::clone(&self.spare));
        tokio::spawn(async move {
            let proven = Instant::now();
            let login = PgConnection::connect_with(&options)
                .await
                .map(|connection| Pooled { connection, proven });
            if let Err(Ok(orphan)) = sender.send(login) {
                lock(&spare).push(orphan);
            }
        });
        receiver.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    /// Only the lifetime: no await, so a cancelled call cannot cut it off
    /// (the ping is [`Sessions::proven`]'s).
    async fn recycle(&self, _: &mut Pooled, metrics: &Metrics) -> RecycleResult<sqlx::Error> {
        if metrics.age() > MAX_LIFETIME {
            return Err(RecycleError::message("past its lifetime"));
        }
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// When connections were last suspected, in nanoseconds after [`EPOCH`]
/// (0: never). Process-wide, because a connection-level failure is found
/// where the error is mapped, far from any pool; a second pool in the same
/// process (tests) only pays a ping per connection for it.
static SUSPECTED_AT: AtomicU64 = AtomicU64::new(0);
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Makes every connection of every pool ping at its next checkout (and be
/// replaced if it does not answer): called when a statement failed for a
/// reason that may have broken its connection, or the database came back
/// after an outage.
pub fn suspect_all() {
    let now = u64::try_from(EPOCH.elapsed().as_nanos()).unwrap_or(u64::MAX);
    SUSPECTED_AT.fetch_max(now.max(1), Ordering::Relaxed);
}

/// Whether connections were suspected after `proven`.
fn suspected_since(proven: Instant) -> bool {
    match SUSPECTED_AT.load(Ordering::Relaxed) {
        0 => false,
        at => *EPOCH + Duration::from_nanos(at) >= proven,
    }
}

/// Bounds of the acquire-wait histogram, in seconds: from an idle
/// connection (microseconds) to a full pool's wait limit (seconds).
const ACQUIRE_WAIT_BUCKETS: [f64; 10] = [
    0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0,
];

/// A pool of `size` database sessions; cheap to clone (shared).
#[derive(Clone)]
pub struct Sessions {
    pool: managed::Pool<Connector>,
    /// The most connections it opens.
    size: usize,
    /// How long a suspected connection has to answer its ping.
    ping_timeout: Duration,
    acquire_wait: Histogram,
}

/// How many connections a pool holds and lends, at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// The most it opens.
    pub max: usize,
    /// Open and waiting for a call.
    pub idle: usize,
    /// Lent to calls.
    pub in_use: usize,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("Sessions")
            .field("size", &status.max_size)
            .field("open", &status.size)
            .field("idle", &status.available)
            .finish()
    }
}

/// One connection, lent to one call; back to the pool when dropped.
pub struct Session(Object<Connector>);

impl std::ops::Deref for Session {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.0.connection
    }
}

impl std::ops::DerefMut for Session {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0.connection
    }
}

impl Sessions {
    /// A pool of at most `size` connections opened with `options`; a call
    /// waits at most `wait` for a free one (then UNAVAILABLE), and opening
    /// or checking one is bounded by `wait` too. Opens nothing yet: see
    /// [`Sessions::fill`].
    pub fn new(options: PgConnectOptions, size: u32, wait: Duration) -> Self {
        let connector = Connector {
            options,
            spare: Arc::default(),
        };
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let pool = managed::Pool::builder(connector)
            .max_size(size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(wait))
            .create_timeout(Some(wait))
            .build()
            .expect("a runtime and timeouts are configured");
        Self {
            pool,
            size,
            ping_timeout: wait,
            acquire_wait: Histogram::new(ACQUIRE_WAIT_BUCKETS),
        }
    }

    /// Opens connections until the pool holds its full size, so no call
    /// pays for a login. Returns the first failure.
    pub async fn fill(&self) -> Result<(), PoolError<sqlx::Error>> {
        let missing = self.pool.status().max_size - self.pool.status().size;
        // Held until the end, so each `get` has to open a new connection.
        let mut held = Vec::with_capacity(missing);
        for _ in 0..missing {
            held.push(self.pool.get().await?);
        }
        Ok(())
    }

    /// A connection for one call: an idle one, or a new one while the pool
    /// is below its size; UNAVAILABLE when none is free in time or the pool
    /// is closed.
    pub(crate) async fn get(&self) -> crate::core::Result<Session> {
        let asked = Instant::now();
        let got = self.proven().await;
        self.acquire_wait.observe(asked.elapsed().as_secs_f64());
        got
    }

    /// A lent connection that has proved itself since connections were
    /// last suspected. One that fails to (no answer to a ping in time) is
    /// taken out of the pool and the next one tried; a pool whose every
    /// connection and a fresh one fail gives up (UNAVAILABLE).
    async fn proven(&self) -> crate::core::Result<Session> {
        // Each failed check takes one connection out, so the pool's size
        // plus a fresh login bounds the tries.
        for _ in 0..=self.size {
            let mut lent = self.pool.get().await.map_err(unavailable)?;
            if !suspected_since(lent.proven) {
                return Ok(Session(lent));
            }
            let started = Instant::now();
            match tokio::time::timeout(self.ping_timeout, lent.connection.ping()).await {
                Ok(Ok(())) => {
                    lent.proven = started;
                    return Ok(Session(lent));
                }
                Ok(Err(err)) => tracing::info!(error = %err, "a pooled connection is replaced"),
                Err(_) => tracing::info!("a pooled connection did not answer; it is replaced"),
            }
            drop(Object::take(lent));
        }
        super::count_error("unreachable");
        Err(Error::Unavailable(
            "no database connection answered its check".into(),
        ))
    }

    /// How many connections are open, idle and lent now.
    pub fn status(&self) -> PoolStatus {
        let status = self.pool.status();
        PoolStatus {
            max: status.max_size,
            idle: status.available,
            in_use: status.size.saturating_sub(status.available),
        }
    }

    /// How long each call waited for its connection (shared, for metrics).
    pub fn acquire_wait(&self) -> Histogram {
        self.acquire_wait.clone()
    }

    /// Stops lending connections and closes the idle ones politely; lent
    /// ones are dropped when their calls end.
    pub async fn close(&self) {
        let idle = self.pool.retain(|_, _| false).removed;
        self.pool.close();
        for pooled in idle {
            let _ = pooled.connection.close().await;
        }
    }
}

/// The error of a call that got no connection from deadpool.
fn unavailable(err: PoolError<sqlx::Error>) -> Error {
    match err {
        PoolError::Timeout(_) => {
            super::count_error("pool_exhausted");
            Error::Unavailable("no database connection became free in time".into())
        }
        PoolError::Closed => Error::Unavailable("the service is shutting down".into()),
        PoolError::Backend(err) => {
            super::count_error("unreachable");
            Error::Unavailable(format!("cannot open a database session: {err}").into())
        }
        other => Error::Internal(other.to_string().into()),
    }
}
