//! v1 and v2 clients race on the same members through the real tonic
//! server while the backfill runs. Every acknowledged write must be
//! accounted for afterwards: replaying the acknowledged writes of a member
//! in update_time order (writes to one row are serialized) must predict
//! every response and the final views of both versions.
//!
//! The previous release only writes the members before the race: its
//! writes return nothing, so racing it on these members would leave the
//! replay with writes of unknown order. The test above this module races
//! it against the backfill.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dbrepo::proto::manager::v1::manager_service_client::ManagerServiceClient as V1Client;
use dbrepo::proto::manager::v2::manager_service_client::ManagerServiceClient as V2Client;
use dbrepo::proto::manager::{v1, v2};
use dbrepo_migrations::{BackfillOptions, BackfillReport};
use tokio::sync::Barrier;
use tonic::transport::Channel;

use super::{backfill, count_unfilled};
use crate::previous_release::PreviousRelease;
use crate::support::TestDatabase;
use dbrepo_testkit::interleavings::model::{v1_view, v2_view};

mod model;

use model::{Ack, Seeded, apply, seeded_model, v1_request, v2_request};

use dbrepo_testkit::served::TestServer;

/// Members written by the previous release before 0002.
const MEMBERS: usize = 200;
/// Clients of each version; all of them walk the members in the same order
/// from the same place, so they keep colliding on one member.
const CLIENTS_PER_VERSION: u32 = 2;
/// Rounds over all members each client makes at least; it goes on while
/// the backfill runs, so the two overlap on any machine.
const MIN_ROUNDS: u32 = 2;
/// Small batches, so the backfill spans many statements among the writes.
const BATCH: u32 = 7;

/// Deliverable 5: v1 and v2 clients update the same members while the
/// backfill runs; afterwards every acknowledged write is there and every
/// invariant holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_and_v2_clients_racing_on_the_same_members_during_a_backfill_lose_no_write() {
    let db = TestDatabase::migrated_to(1).await;
    let members = Arc::new(seed_with_previous_release(&db).await);
    let mut served = crate::support::pg_server(&db.sessions()).await;

    let outcome = race_during_backfill(&db, &served, &members).await;
    let first = &outcome.backfill;
    assert!(first.rows_updated > 0, "{first:?}");
    assert!(
        outcome.v1_writes_during_backfill > 0 && outcome.v2_writes_during_backfill > 0,
        "both versions raced the backfill"
    );
    let rerun = backfill(&db, 50, None).await;
    assert!(rerun.is_complete(), "{rerun:?}");
    assert!(rerun.rows_updated <= first.rows_left, "{first:?} {rerun:?}");
    assert_eq!(
        count_unfilled(db.pool()).await,
        0,
        "every member backfilled"
    );

    let mut touched_after_last_ack = 0;
    for (seeded, acks) in members.iter().zip(outcome.acks) {
        let now_v1 = served.member_v1(seeded.id).await;
        let now_v2 = served.member_v2(seeded.id).await;
        touched_after_last_ack += u64::from(verify(seeded, acks, &now_v1, &now_v2));
    }
    // The backfill is the only writer without acknowledgements, and it
    // writes a row at most once.
    assert!(touched_after_last_ack <= first.rows_updated + rerun.rows_updated);
    served.stop().await;
}

/// What the race left to check.
struct Outcome {
    /// The backfill that ran during the race.
    backfill: BackfillReport,
    /// Every acknowledged write, by member index.
    acks: Vec<Vec<Ack>>,
    /// v1 writes acknowledged before the backfill finished.
    v1_writes_during_backfill: usize,
    /// v2 writes acknowledged before the backfill finished.
    v2_writes_during_backfill: usize,
}

/// Starts every client, runs the backfill once all are ready, and collects
/// what the clients were told once they are done.
async fn race_during_backfill(
    db: &TestDatabase,
    served: &TestServer,
    members: &Arc<Vec<Seeded>>,
) -> Outcome {
    let start = Arc::new(Barrier::new(2 * CLIENTS_PER_VERSION as usize + 1));
    let backfilling = Arc::new(AtomicBool::new(true));
    let mut clients = Vec::new();
    for slot in 0..CLIENTS_PER_VERSION {
        for client in [
            Client::V1(V1Client::new(served.connect().await)),
            Client::V2(V2Client::new(served.connect().await)),
        ] {
            let race = race(client, slot, members.clone(), backfilling.clone());
            let start = start.clone();
            clients.push(tokio::spawn(async move {
                start.wait().await;
                race.await
            }));
        }
    }
    start.wait().await;
    let backfill = backfill_in_small_batches(db).await;
    backfilling.store(false, Ordering::SeqCst);
    let mut outcome = Outcome {
        backfill,
        acks: vec![Vec::new(); MEMBERS],
        v1_writes_during_backfill: 0,
        v2_writes_during_backfill: 0,
    };
    for client in clients {
        let raced = client.await.expect("client task");
        *match raced.version {
            1 => &mut outcome.v1_writes_during_backfill,
            _ => &mut outcome.v2_writes_during_backfill,
        } += raced.during_backfill;
        for (index, ack) in raced.acks {
            outcome.acks[index].push(ack);
        }
    }
    outcome
}

/// Checks one member: the acknowledged writes, replayed in update_time
/// order, predict every response and both final views. Returns whether a
/// write nobody acknowledged (the backfill) came after the last one.
fn verify(seeded: &Seeded, mut acks: Vec<Ack>, now_v1: &v1::Member, now_v2: &v2::Member) -> bool {
    let id = seeded.id;
    acks.sort_by_key(Ack::update_time);
    let times: Vec<_> = acks.iter().map(Ack::update_time).collect();
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "{id}: shared update_time"
    );
    let etags: Vec<_> = acks.iter().filter_map(Ack::etag).collect();
    assert_eq!(
        etags.iter().collect::<HashSet<_>>().len(),
        etags.len(),
        "{id}"
    );
    let mut model = seeded_model(seeded);
    for ack in &acks {
        apply(&mut model, ack);
        ack.assert_predicted_by(&model, id);
    }
    let last = acks.last().unwrap_or_else(|| panic!("{id}: never written"));
    last.assert_same_view(now_v1, now_v2, id);
    assert_eq!(v1_view(now_v1), model.v1_view(), "{id}: final v1");
    assert_eq!(v2_view(now_v2), model.v2_view(), "{id}: final v2");
    model::assert_views_agree(now_v1, now_v2, id);

    let now = model::time_key(now_v2.update_time.as_ref());
    assert_eq!(model::time_key(now_v1.update_time.as_ref()), now, "{id}");
    assert!(now >= last.update_time(), "{id}: update_time went back");
    if now == last.update_time()
        && let Some(etag) = last.etag()
    {
        assert_eq!(&now_v2.etag, etag, "{id}: etag of the last write");
    }
    now > last.update_time()
}

/// The previous release writes the members at 0001, then 0002+ is applied;
/// returns each member as written.
async fn seed_with_previous_release(db: &TestDatabase) -> Vec<Seeded> {
    let old = PreviousRelease::new(db.pool().clone());
    let team = old.create_team().await;
    let mut members = Vec::new();
    for i in 0..MEMBERS {
        let id = old
            .create_member(team, &format!("Old{i} Timer"), i % 5 == 0)
            .await;
        let row = old.get(id).await;
        members.push(Seeded {
            id,
            full_name: row.full_name,
            email: row.email,
            archived: row.archived,
        });
    }
    let owner = db.owner_pool().await;
    dbrepo_migrations::up(&owner).await.expect("up");
    owner.close().await;
    members
}

/// A backfill as the migrations binary runs it, in small batches.
async fn backfill_in_small_batches(db: &TestDatabase) -> BackfillReport {
    let owner = db.owner_pool().await;
    let options = BackfillOptions {
        batch_size: NonZeroU32::new(BATCH).expect("non-zero"),
        pause: Duration::from_millis(5),
        ..BackfillOptions::default()
    };
    let report = dbrepo_migrations::backfill(&owner, &options).await;
    owner.close().await;
    report.expect("backfill")
}

/// A client of one version, on a connection of its own.
enum Client {
    V1(V1Client<Channel>),
    V2(V2Client<Channel>),
}

/// What one client did: every acknowledged write, by member index.
struct Raced {
    version: u8,
    acks: Vec<(usize, Ack)>,
    during_backfill: usize,
}

/// Walks all members in order, round after round, updating
/// each, until it made `MIN_ROUNDS` and the backfill is over. Each request
/// carries the round-and-slot number `n`, unique per member and version,
/// so every request changes something and must get a new update_time.
async fn race(
    mut client: Client,
    slot: u32,
    members: Arc<Vec<Seeded>>,
    backfilling: Arc<AtomicBool>,
) -> Raced {
    let version = match client {
        Client::V1(_) => 1,
        Client::V2(_) => 2,
    };
    let (mut acks, mut during_backfill) = (Vec::new(), 0);
    for round in 0.. {
        if round >= MIN_ROUNDS && !backfilling.load(Ordering::SeqCst) {
            break;
        }
        let n = round * CLIENTS_PER_VERSION + slot + 1;
        for index in 0..MEMBERS {
            let kind = (index as u32 + round) % 2;
            let ack = client.update(&members[index], n, kind).await;
            during_backfill += usize::from(backfilling.load(Ordering::SeqCst));
            acks.push((index, ack));
        }
    }
    Raced {
        version,
        acks,
        during_backfill,
    }
}

impl Client {
    /// Sends one UpdateMember of `kind` and returns what was acknowledged.
    async fn update(&mut self, member: &Seeded, n: u32, kind: u32) -> Ack {
        match self {
            Self::V1(client) => {
                let sent = v1_request(member, n, kind);
                let got = client.update_member(sent.clone()).await;
                let got = got.expect("v1 update").into_inner().member;
                Ack::V1 {
                    sent,
                    got: got.expect("v1 member"),
                }
            }
            Self::V2(client) => {
                let sent = v2_request(member, n, kind);
                let got = client.update_member(sent.clone()).await;
                let got = got.expect("v2 update").into_inner().member;
                Ack::V2 {
                    sent,
                    got: got.expect("v2 member"),
                }
            }
        }
    }
}
