//! The interleaving properties on PostgreSQL: v1 and v2 writes through the
//! server, and the previous release's own statements on the same rows
//! (DOMAIN.md rule 5), checked against the model after every write.

use uuid::Uuid;

use crate::previous_release::PreviousRelease;
use crate::support::{TestDatabase, pg_server};
use dbrepo_testkit::interleavings::{PreviousWriter, check_interleavings};

/// Fewer cases than on the fake: every write is a round trip to the
/// database, and the fake run already covers the orders; this run adds the
/// schema, its trigger and the previous release.
const CASES: u32 = 32;

impl PreviousWriter for PreviousRelease {
    async fn create_member(
        &self,
        team_id: Uuid,
        full_name: &str,
        archived: bool,
    ) -> (Uuid, String) {
        let id = PreviousRelease::create_member(self, team_id, full_name, archived).await;
        // The previous release chose the address; read it back as it would.
        (id, self.get(id).await.email)
    }
    async fn rename(&self, id: Uuid, full_name: &str) {
        PreviousRelease::rename(self, id, full_name).await;
    }
    async fn set_archived(&self, id: Uuid, archived: bool) {
        PreviousRelease::set_archived(self, id, archived).await;
    }
    async fn set_email(&self, id: Uuid, email: &str) {
        PreviousRelease::set_email(self, id, email).await;
    }
}

#[test]
fn interleaved_writes_of_both_releases_keep_the_mapping_rules() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let database = runtime.block_on(TestDatabase::new());
    let pool = database.pool().clone();
    let previous = PreviousRelease::new(pool);
    let server = runtime.block_on(pg_server(&database.sessions()));
    check_interleavings(
        &runtime,
        server,
        Some(&previous),
        CASES,
        "tests/proptest-regressions/interleavings/postgres.txt",
    );
    // The database goes while the runtime that holds its pool still runs.
    runtime.block_on(async { drop((previous, database)) });
}
