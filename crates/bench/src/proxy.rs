//! A counting TCP proxy between a dbrepo instance and PostgreSQL.
//!
//! It counts database round trips as request bursts: a burst is what the
//! client sends after the server last answered, so a pipelined
//! Bind/Execute/Sync is one round trip and sqlx's pre-acquire ping is
//! another. On demand it also records the statements executed (exact text
//! and parameter values) and the first row each returned, which become
//! pgbench's script.
//!
//! Only the probe instance goes through it: a proxy hop adds latency and
//! CPU, so timed segments use an instance connected directly.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::wire::{Backend, Executed, Frontend, Reply};

/// Statements sent and replies received while capturing, in order, each
/// with the number of the connection it travelled on.
#[derive(Default)]
struct Captured {
    sent: Vec<(u64, anyhow::Result<Executed>)>,
    replies: Vec<(u64, Reply)>,
}

/// What the proxy shares with its connection tasks.
#[derive(Default)]
struct Shared {
    bursts: AtomicU64,
    connections: AtomicU64,
    capture: Mutex<Option<Captured>>,
}

impl Shared {
    /// Runs `record` on the capture, if one is under way.
    fn record(&self, record: impl FnOnce(&mut Captured)) {
        let mut capture = self.capture.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(captured) = capture.as_mut() {
            record(captured);
        }
    }
}

/// A running proxy; stops accepting when dropped.
pub struct Proxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let for_task = shared.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let shared = for_task.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        relay(client, server, shared).await;
                    }
                });
            }
        });
        Ok(Self {
            address,
            shared,
            accept,
        })
    }

    /// Where clients connect.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Round trips seen so far, over all connections.
    pub fn bursts(&self) -> u64 {
        self.shared.bursts.load(Ordering::Relaxed)
    }

    /// Starts recording executed statements.
    pub fn start_capture(&self) {
        *self.lock() = Some(Captured::default());
    }

    /// Stops recording and returns what was executed meanwhile, in order,
    /// each with the first row it returned. A connection's replies come in
    /// the order of its statements; where their counts differ, no rows are
    /// matched on that connection.
    pub fn take_capture(&self) -> anyhow::Result<Vec<Executed>> {
        let captured = self.lock().take().unwrap_or_default();
        let mut replies: HashMap<u64, VecDeque<Reply>> = HashMap::new();
        for (connection, reply) in captured.replies {
            replies.entry(connection).or_default().push_back(reply);
        }
        let mut sent_on: HashMap<u64, usize> = HashMap::new();
        for (connection, _) in &captured.sent {
            *sent_on.entry(*connection).or_default() += 1;
        }
        replies.retain(|connection, queue| sent_on.get(connection) == Some(&queue.len()));
        let mut statements = Vec::with_capacity(captured.sent.len());
        for (connection, executed) in captured.sent {
            let mut executed = executed?;
            if let Some(Reply(row)) = replies.get_mut(&connection).and_then(VecDeque::pop_front) {
                executed.returned = row;
            }
            statements.push(executed);
        }
        Ok(statements)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Captured>> {
        self.shared
            .capture
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn relay(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let connection = shared.connections.fetch_add(1, Ordering::Relaxed);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    // True once the server has answered since the client last sent.
    let answered = AtomicBool::new(true);
    let up = client_to_server(client_read, server_write, &shared, connection, &answered);
    let down = server_to_client(server_read, client_write, &shared, connection, &answered);
    tokio::select! { () = up => {}, () = down => {} }
}

async fn client_to_server(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    shared: &Shared,
    connection: u64,
    answered: &AtomicBool,
) {
    let mut frontend = Frontend::default();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut seen = Vec::new();
    while let Ok(n @ 1..) = from.read(&mut buffer).await {
        if answered.swap(false, Ordering::AcqRel) {
            shared.bursts.fetch_add(1, Ordering::Relaxed);
        }
        frontend.feed(&buffer[..n], &mut seen);
        if !seen.is_empty() {
            let seen = seen.drain(..).map(|executed| (connection, executed));
            shared.record(|captured| captured.sent.extend(seen));
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

async fn server_to_client(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    shared: &Shared,
    connection: u64,
    answered: &AtomicBool,
) {
    let mut backend = Backend::default();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut replies = Vec::new();
    while let Ok(n @ 1..) = from.read(&mut buffer).await {
        // Recorded before forwarding: the client's next statement cannot
        // be seen before the reply it waited for.
        backend.feed(&buffer[..n], &mut replies);
        if !replies.is_empty() {
            let replies = replies.drain(..).map(|reply| (connection, reply));
            shared.record(|captured| captured.replies.extend(replies));
        }
        answered.store(true, Ordering::Release);
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
