//! Optimistic concurrency and deletes: the etag changes on every update,
//! a stale one is ABORTED and changes nothing, NOT_FOUND comes first.

use dbrepo::core::Error;
use dbrepo::core::fields::{Email, MemberId};
use dbrepo::core::mapping::MemberStatus::Active;
use dbrepo::core::mapping::{Etag, Precondition};
use dbrepo::core::sql::app::TaskStore;
use dbrepo::core::sql::manager::{ManagerStore, Member, MemberPatch, NewMember};

use super::Stores;
use super::support::{
    assert_err, assert_not_found, full_name_patch, member, new_member, team, unique_email, v1,
};

/// Applies `patch` unconditionally and returns the member after it.
async fn update<M: ManagerStore>(manager: &M, member: &Member, patch: MemberPatch) -> Member {
    manager
        .update_member(member.id, patch, Precondition::None)
        .await
        .unwrap()
}

pub async fn every_update_changes_update_time_and_etag<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "etags").await;
    let mut current = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let mut seen = vec![current.etag()];
    // Back-to-back updates land within one microsecond on a fast machine:
    // the etag must change anyway.
    for i in 0..5 {
        let next = update(
            &*stores.manager,
            &current,
            full_name_patch(&format!("Ada {i}")),
        )
        .await;
        assert!(
            next.update_time > current.update_time,
            "update {i}: time strictly increases"
        );
        assert_eq!(
            next.create_time, current.create_time,
            "update {i}: create time stays"
        );
        assert!(!seen.contains(&next.etag()), "update {i}: a new etag");
        seen.push(next.etag());
        current = next;
    }
}

pub async fn current_etag_allows_update_and_delete<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "etags").await;
    let created = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let etag = Precondition::Etag(Etag::from_client(created.etag().as_str().into()));
    let updated = stores
        .manager
        .update_member(created.id, full_name_patch("Ada L"), etag)
        .await
        .unwrap();
    assert_eq!(updated.names.full_name, "Ada L");
    let etag = Precondition::Etag(updated.etag());
    stores
        .manager
        .delete_member(created.id, etag)
        .await
        .unwrap();
    assert_not_found!(stores.manager.get_member(created.id).await, Member);
}

pub async fn stale_etag_is_aborted_and_changes_nothing<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "etags").await;
    let created = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let current = update(&*stores.manager, &created, full_name_patch("Ada L")).await;
    let stale = [
        (
            created.etag().as_str().to_owned(),
            "the etag before the last update",
        ),
        (
            String::new(),
            "an empty string at the store is no etag at all",
        ),
        (
            "not-an-etag".to_owned(),
            "a string this service never produced",
        ),
    ];
    for (etag, why) in stale {
        let etag = Precondition::Etag(Etag::from_client(etag));
        let patch = MemberPatch {
            email: Some(unique_email("ada")),
            ..full_name_patch("Eve")
        };
        let updated = stores
            .manager
            .update_member(created.id, patch, etag.clone())
            .await;
        assert_err!(updated, Error::Aborted(_));
        assert_err!(
            stores.manager.delete_member(created.id, etag).await,
            Error::Aborted(_)
        );
        let after = stores.manager.get_member(created.id).await.unwrap();
        assert_eq!(
            after, current,
            "{why}: nothing changed, the member is still there"
        );
    }
}

pub async fn unknown_member_is_not_found_before_a_stale_etag<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "etags").await;
    let other = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let unknown = MemberId::generate();
    for precondition in [Precondition::None, Precondition::Etag(other.etag())] {
        let updated = stores
            .manager
            .update_member(unknown, full_name_patch("Eve"), precondition.clone())
            .await;
        assert_not_found!(updated, Member);
        let deleted = stores.manager.delete_member(unknown, precondition).await;
        assert_not_found!(deleted, Member);
    }
}

pub async fn delete_removes_the_member_once<M: ManagerStore, T: TaskStore>(stores: Stores<M, T>) {
    let team = team(&*stores.manager, "delete").await;
    let gone = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let kept = member(&*stores.manager, team.id, v1("Bea"), Active).await;
    stores
        .manager
        .delete_member(gone.id, Precondition::None)
        .await
        .unwrap();
    assert_not_found!(stores.manager.get_member(gone.id).await, Member);
    let again = stores
        .manager
        .delete_member(gone.id, Precondition::None)
        .await;
    assert_not_found!(again, Member);
    assert_eq!(
        stores.manager.get_member(kept.id).await.unwrap(),
        kept,
        "teammates stay"
    );
    let reused = NewMember {
        email: Email::parse(gone.email.clone()).unwrap(),
        ..new_member(team.id, v1("Ada again"), Active)
    };
    let reused = stores.manager.create_member(reused).await;
    assert!(
        reused.is_ok(),
        "a deleted member's email is free again: {reused:?}"
    );
}
