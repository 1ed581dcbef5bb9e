//! Members: creation through either version's names, lookup, and email
//! uniqueness.

use dbrepo::core::Error;
use dbrepo::core::fields::{MemberId, TeamId};
use dbrepo::core::mapping::MemberStatus;
use dbrepo::core::sql::app::TaskStore;
use dbrepo::core::sql::manager::{ManagerStore, MemberQuery, NewMember};

use super::Stores;
use super::support::{assert_not_found, email, first, member, new_member, team, unique, v1, v2};

pub async fn v1_created_member_is_trimmed_and_splits_for_v2<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "names").await;
    let cases = [
        (
            "Ada Lovelace",
            "Ada Lovelace",
            "Ada",
            "Lovelace",
            "two words",
        ),
        (
            "Mary Ann Smith",
            "Mary Ann Smith",
            "Mary",
            "Ann Smith",
            "split at the first space only",
        ),
        (
            "Madonna",
            "Madonna",
            "Madonna",
            "",
            "one word has no family name",
        ),
        (
            "\u{3000} Grace  Hopper\t",
            "Grace  Hopper",
            "Grace",
            "Hopper",
            "trimmed at both ends, inner space kept for v1",
        ),
    ];
    for (written, full, given, family, why) in cases {
        let created = member(&*stores.manager, team.id, v1(written), MemberStatus::Active).await;
        assert_eq!(
            created.names.full_name, full,
            "{why}: v1 reads back what it wrote"
        );
        let v2_view = (given.to_owned(), family.to_owned());
        assert_eq!(created.names.v2_view(), v2_view, "{why}: v2 sees the split");
        let read = stores.manager.get_member(created.id).await.unwrap();
        assert_eq!(
            read, created,
            "{why}: a read returns what the create returned"
        );
    }
}

pub async fn v2_created_member_reads_back_exactly_and_joins_for_v1<
    M: ManagerStore,
    T: TaskStore,
>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "names").await;
    let cases = [
        (
            "Mary Ann",
            "Smith",
            "Mary Ann Smith",
            "a given name with a space is not re-split",
        ),
        (
            "Madonna",
            "",
            "Madonna",
            "an empty family name adds no space",
        ),
        (
            "Ada",
            "de  la Cruz",
            "Ada de  la Cruz",
            "inner white space is kept",
        ),
    ];
    for (given, family, full, why) in cases {
        let created = member(
            &*stores.manager,
            team.id,
            v2(given, family),
            MemberStatus::Active,
        )
        .await;
        let read = stores.manager.get_member(created.id).await.unwrap();
        assert_eq!(read.names.v2_view(), (given.into(), family.into()), "{why}");
        assert_eq!(read.names.full_name, full, "{why}: v1 sees the join");
        assert_eq!(read, created, "{why}");
    }
}

pub async fn new_member_keeps_its_status<M: ManagerStore, T: TaskStore>(stores: Stores<M, T>) {
    let team = team(&*stores.manager, "status").await;
    for status in MemberStatus::ALL {
        let created = member(&*stores.manager, team.id, v2("Ada", ""), status).await;
        let read = stores.manager.get_member(created.id).await.unwrap();
        assert_eq!(read.status, status);
        assert_eq!(
            read.create_time, read.update_time,
            "a new member was never updated"
        );
    }
}

pub async fn member_in_unknown_team_is_not_found<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let unknown = TeamId::generate();
    let created = stores
        .manager
        .create_member(new_member(unknown, v1("Ada"), MemberStatus::Active))
        .await;
    assert_not_found!(created, Team);
}

pub async fn unknown_member_is_not_found<M: ManagerStore, T: TaskStore>(stores: Stores<M, T>) {
    assert_not_found!(
        stores.manager.get_member(MemberId::generate()).await,
        Member
    );
}

pub async fn emails_are_unique_within_a_team_case_insensitively<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let cases = [
        (
            "ada@example.org",
            "ada@example.org",
            true,
            false,
            "the same email in one team",
        ),
        (
            "ada@example.org",
            "ADA@Example.ORG",
            true,
            false,
            "emails compare case-insensitively",
        ),
        (
            "Ümit@example.org",
            "ümit@example.org",
            true,
            false,
            "non-ASCII case too",
        ),
        (
            "ada@example.org",
            "ada@example.org",
            false,
            true,
            "another team may use it",
        ),
        (
            "ada@example.org",
            "ada2@example.org",
            true,
            true,
            "a different email",
        ),
    ];
    for (existing, candidate, same_team, allowed, why) in cases {
        let tag = unique();
        let home = team(&*stores.manager, "emails").await;
        let other = team(&*stores.manager, "emails").await;
        let at = |address: &str| email(&address.replace('@', &format!(".{tag}@")));
        let first_member = NewMember {
            email: at(existing),
            ..new_member(home.id, v1("Ada"), MemberStatus::Active)
        };
        let stored = stores.manager.create_member(first_member).await.unwrap();
        assert_eq!(
            stored.email,
            at(existing).as_str(),
            "{why}: stored as written"
        );
        let target = if same_team { home.id } else { other.id };
        let second = NewMember {
            email: at(candidate),
            ..new_member(target, v1("Bea"), MemberStatus::Active)
        };
        match stores.manager.create_member(second).await {
            Ok(_) => assert!(allowed, "{why}: {candidate} was accepted"),
            Err(Error::AlreadyExists(_)) => assert!(!allowed, "{why}: {candidate} was refused"),
            Err(other) => panic!("{why}: unexpected {other:?}"),
        }
        let query = MemberQuery {
            team_id: target,
            statuses: vec![],
            page: first(100),
        };
        let listed = stores
            .manager
            .list_members(query)
            .await
            .unwrap()
            .items
            .len();
        let expected = usize::from(same_team) + usize::from(allowed);
        assert_eq!(listed, expected, "{why}: a refused create writes nothing");
    }
}
