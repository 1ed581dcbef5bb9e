//! The current release as a client sees it: the shared test server over
//! the PostgreSQL stores, with a pool of its own, as a service started
//! after a migration would have.

use std::ops::{Deref, DerefMut};

use dbrepo::io::db::{PgManagerStore, PgTaskStore, Sessions};

use crate::support::{TestDatabase, pg_server, pg_stores};
use dbrepo_testkit::contract::Stores;
use dbrepo_testkit::served::TestServer;

/// A running server of the current release and its pool.
pub struct Served {
    server: TestServer,
    sessions: Sessions,
}

impl Served {
    /// Serves `db` through a new pool of the service's DML login.
    pub async fn start(db: &TestDatabase) -> Self {
        let sessions = db.sessions();
        let server = pg_server(&sessions).await;
        Self { server, sessions }
    }

    /// Fresh stores on the served database, for the contract suite.
    pub fn contract_stores(&self) -> Stores<PgManagerStore, PgTaskStore> {
        let (manager, tasks) = pg_stores(&self.sessions);
        Stores::new(manager, tasks)
    }

    /// Stops the server, then closes its pool (a later migration must not
    /// wait on its connections).
    pub async fn stop(self) {
        self.server.stop().await;
        self.sessions.close().await;
    }
}

impl Deref for Served {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.server
    }
}

impl DerefMut for Served {
    fn deref_mut(&mut self) -> &mut TestServer {
        &mut self.server
    }
}
