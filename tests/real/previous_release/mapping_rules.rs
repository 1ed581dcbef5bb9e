//! DOMAIN.md's mapping rules 1–4 hold for rows the previous release wrote
//! (rule 5): before 0002, and after it, interleaved with the new release.

use dbrepo::core::Error;
use dbrepo::core::fields::{Email, FamilyName, GivenName, MemberId};
use dbrepo::core::mapping::{MemberStatus, Precondition, StatusWrite};
use dbrepo::core::sql::manager::{ManagerStore, Member, MemberPatch, NamePatch};
use dbrepo::io::db::PgManagerStore;
use uuid::Uuid;

use super::PreviousRelease;
use crate::support::TestDatabase;

pub use dbrepo_testkit::contract::support::full_name_patch as v1_name;

pub fn v2_names(given: &str, family: &str) -> MemberPatch {
    MemberPatch {
        names: NamePatch::parts(
            Some(GivenName::parse(given.into()).unwrap()),
            Some(FamilyName::parse(family.into()).unwrap()),
        ),
        ..MemberPatch::default()
    }
}

pub fn status(write: StatusWrite) -> MemberPatch {
    MemberPatch {
        status: Some(write),
        ..MemberPatch::default()
    }
}

async fn get(store: &PgManagerStore, id: Uuid) -> Member {
    store.get_member(MemberId(id)).await.expect("get member")
}

async fn patch(store: &PgManagerStore, id: Uuid, patch: MemberPatch) -> Member {
    let member = store.update_member(MemberId(id), patch, Precondition::None);
    member.await.expect("update member")
}

fn v2(member: &Member) -> (String, String) {
    member.names.v2_view()
}

fn pair(given: &str, family: &str) -> (String, String) {
    (given.into(), family.into())
}

#[tokio::test]
async fn rows_the_previous_release_wrote_before_0002_read_per_the_rules_after_it() {
    let db = TestDatabase::migrated_to(1).await;
    let old = PreviousRelease::new(db.pool().clone());
    let team = old.create_team().await;
    let cases = [
        (
            "Ada Lovelace",
            false,
            ("Ada", "Lovelace"),
            MemberStatus::Active,
        ),
        (
            "Mary Ann Smith",
            true,
            ("Mary", "Ann Smith"),
            MemberStatus::Archived,
        ),
        ("Madonna", false, ("Madonna", ""), MemberStatus::Active),
        (
            "Grace\u{3000}\tHopper",
            false,
            ("Grace", "Hopper"),
            MemberStatus::Active,
        ),
    ];
    let mut ids = Vec::new();
    for (full, archived, ..) in cases {
        ids.push(old.create_member(team, full, archived).await);
    }
    let owner = db.owner_pool().await;
    dbrepo_migrations::up(&owner).await.expect("up");
    owner.close().await;

    let store = PgManagerStore::new(db.sessions());
    for (id, (full, archived, (given, family), want)) in ids.iter().zip(cases) {
        let member = get(&store, *id).await;
        assert_eq!(member.names.full_name, full, "v1 reads back exactly");
        assert_eq!(v2(&member), pair(given, family), "{full:?} splits");
        assert_eq!(member.status, want, "{full:?}");
        assert_eq!(old.get(*id).await.archived, archived);
    }
    let visible = old.list(team, false).await;
    assert_eq!(
        visible.len(),
        3,
        "the previous release still hides archived"
    );
}

#[tokio::test]
async fn previous_release_renames_rederive_and_other_updates_keep_v2_names() {
    let db = TestDatabase::new().await;
    let (old, store) = (
        PreviousRelease::new(db.pool().clone()),
        PgManagerStore::new(db.sessions()),
    );
    let team = old.create_team().await;
    let id = old.create_member(team, "Ada Lovelace", false).await;
    assert_eq!(v2(&get(&store, id).await), pair("Ada", "Lovelace"));

    let written = patch(&store, id, v2_names("Augusta Ada", "King")).await;
    assert_eq!(
        written.names.full_name, "Augusta Ada King",
        "v1 reads the join"
    );
    old.rename(id, "Ada Lovelace").await;
    let renamed = get(&store, id).await;
    assert_eq!(renamed.names.full_name, "Ada Lovelace");
    assert_eq!(v2(&renamed), pair("Ada", "Lovelace"), "a rename re-derives");

    patch(&store, id, v2_names("Mary Ann", "Smith")).await;
    old.set_email(id, "Mary.Smith@example.org").await;
    let emailed = get(&store, id).await;
    assert_eq!(
        v2(&emailed),
        pair("Mary Ann", "Smith"),
        "email alone keeps names"
    );
    assert_eq!(emailed.email, "Mary.Smith@example.org");
    old.set_archived(id, false).await;
    assert_eq!(v2(&get(&store, id).await), pair("Mary Ann", "Smith"));

    let same = patch(&store, id, v1_name("Mary Ann Smith")).await;
    assert_eq!(
        v2(&same),
        pair("Mary Ann", "Smith"),
        "unchanged v1 name keeps"
    );
    let email = Email::parse("ada@example.org".into()).unwrap();
    let by_v1 = MemberPatch {
        email: Some(email),
        ..v1_name("Ada  King")
    };
    let v1_written = patch(&store, id, by_v1).await;
    assert_eq!(v1_written.names.full_name, "Ada  King");
    assert_eq!(v2(&v1_written), pair("Ada", "King"));
    assert_eq!(
        old.get(id).await.full_name,
        "Ada  King",
        "both releases agree"
    );
}

#[tokio::test]
async fn previous_release_archived_flag_follows_the_status_rules() {
    let db = TestDatabase::new().await;
    let (old, store) = (
        PreviousRelease::new(db.pool().clone()),
        PgManagerStore::new(db.sessions()),
    );
    let team = old.create_team().await;
    let id = old.create_member(team, "Alan Turing", false).await;

    patch(
        &store,
        id,
        status(StatusWrite::Set(MemberStatus::Suspended)),
    )
    .await;
    old.set_archived(id, false).await;
    assert_eq!(
        get(&store, id).await.status,
        MemberStatus::Suspended,
        "false over false"
    );
    assert!(
        !old.get(id).await.archived,
        "v1 sees SUSPENDED as not archived"
    );
    let listed = old.list(team, false).await;
    assert_eq!(
        listed.len(),
        1,
        "SUSPENDED is not hidden by include_archived=false"
    );

    old.set_archived(id, true).await;
    assert_eq!(get(&store, id).await.status, MemberStatus::Archived);
    assert!(old.list(team, false).await.is_empty(), "ARCHIVED is hidden");
    old.set_archived(id, false).await;
    assert_eq!(
        get(&store, id).await.status,
        MemberStatus::Active,
        "unarchive makes ACTIVE"
    );

    patch(&store, id, status(StatusWrite::Set(MemberStatus::Archived))).await;
    old.set_archived(id, false).await;
    assert_eq!(get(&store, id).await.status, MemberStatus::Active);

    patch(
        &store,
        id,
        status(StatusWrite::Set(MemberStatus::Suspended)),
    )
    .await;
    let kept = patch(&store, id, status(StatusWrite::V1Archived(false))).await;
    assert_eq!(
        kept.status,
        MemberStatus::Suspended,
        "new release's v1 agrees"
    );
}

#[tokio::test]
async fn previous_release_updates_change_the_etag() {
    let db = TestDatabase::new().await;
    let (old, store) = (
        PreviousRelease::new(db.pool().clone()),
        PgManagerStore::new(db.sessions()),
    );
    let team = old.create_team().await;
    let id = old.create_member(team, "Edsger Dijkstra", false).await;
    let mut etag = get(&store, id).await.etag();
    for step in 0..3 {
        match step {
            0 => old.rename(id, "Edsger W. Dijkstra").await,
            1 => old.set_email(id, "ewd@example.org").await,
            _ => old.set_archived(id, true).await,
        }
        let next = get(&store, id).await.etag();
        assert_ne!(next, etag, "step {step}");
        let stale = store.update_member(MemberId(id), v2_names("E", "D"), Precondition::Etag(etag));
        assert!(matches!(stale.await, Err(Error::Aborted(_))), "step {step}");
        etag = next;
    }
    let fresh = store.update_member(MemberId(id), v2_names("E", "D"), Precondition::Etag(etag));
    assert_eq!(v2(&fresh.await.expect("current etag")), pair("E", "D"));
}

#[tokio::test]
async fn previous_release_reads_and_deletes_what_the_new_release_wrote() {
    let db = TestDatabase::new().await;
    let (old, store) = (
        PreviousRelease::new(db.pool().clone()),
        PgManagerStore::new(db.sessions()),
    );
    let team = old.create_team().await;
    let id = old.create_member(team, "Barbara Liskov", false).await;
    patch(&store, id, v2_names("Barbara", "Liskov-Huberman")).await;
    patch(
        &store,
        id,
        status(StatusWrite::Set(MemberStatus::Suspended)),
    )
    .await;

    let row = old.get(id).await;
    assert_eq!(
        (row.full_name.as_str(), row.archived),
        ("Barbara Liskov-Huberman", false)
    );
    old.delete(id).await;
    let gone = store.get_member(MemberId(id)).await;
    assert!(matches!(gone, Err(Error::NotFound { .. })), "{gone:?}");
}
