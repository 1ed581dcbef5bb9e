//! Member lists: per team, ordered by create time then id, filtered by
//! status, paged by offset or keyset without gaps or duplicates.

use dbrepo::core::fields::TeamId;
use dbrepo::core::mapping::MemberStatus::{self, Active, Archived, Suspended};
use dbrepo::core::page::{CreatedCursor, PageRequest};
use dbrepo::core::sql::app::TaskStore;
use dbrepo::core::sql::manager::{ManagerStore, Member, MemberCursor, MemberQuery};

use super::Stores;
use super::support::{assert_not_found, first, member, team, v1, walk_keyset, walk_offset};

/// The query of `team_id`'s members with `statuses`, for `page`.
fn query(
    team_id: TeamId,
    statuses: &[MemberStatus],
    page: PageRequest<MemberCursor>,
) -> MemberQuery {
    MemberQuery {
        team_id,
        statuses: statuses.to_vec(),
        page,
    }
}

/// The cursor a page ending at `member` hands on.
fn cursor(member: &Member) -> MemberCursor {
    CreatedCursor {
        create_time: member.create_time,
        id: member.id,
    }
}

/// The ids of `members`, in order.
fn ids(members: &[Member]) -> Vec<String> {
    members.iter().map(|m| m.id.to_string()).collect()
}

/// Creates one member of `team_id` per status in `statuses`, in that order.
async fn members<M: ManagerStore>(
    manager: &M,
    team_id: TeamId,
    statuses: &[MemberStatus],
) -> Vec<Member> {
    let mut created = Vec::new();
    for (i, status) in statuses.iter().enumerate() {
        created.push(member(manager, team_id, v1(&format!("Member {i}")), *status).await);
    }
    created
}

/// `members` in the list order: create time, then id.
fn in_list_order(mut members: Vec<Member>) -> Vec<Member> {
    members.sort_by_key(|m| (m.create_time, m.id));
    members
}

pub async fn members_of_unknown_team_is_not_found<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let listed = stores
        .manager
        .list_members(query(TeamId::generate(), &[], first(10)))
        .await;
    assert_not_found!(listed, Team);
}

pub async fn members_list_by_create_time_then_id_within_their_team<
    M: ManagerStore,
    T: TaskStore,
>(
    stores: Stores<M, T>,
) {
    let home = team(&*stores.manager, "list").await;
    let other = team(&*stores.manager, "list").await;
    let created = members(&*stores.manager, home.id, &[Active; 6]).await;
    members(&*stores.manager, other.id, &[Active; 2]).await;
    let listed = stores
        .manager
        .list_members(query(home.id, &[], first(100)))
        .await
        .unwrap();
    assert_eq!(
        ids(&listed.items),
        ids(&in_list_order(created)),
        "only this team, in order"
    );
    assert!(!listed.has_more);
    let empty = team(&*stores.manager, "list").await;
    let none = stores
        .manager
        .list_members(query(empty.id, &[], first(100)))
        .await
        .unwrap();
    assert!(
        none.items.is_empty() && !none.has_more,
        "a team without members lists none"
    );
}

pub async fn member_status_filter_keeps_only_the_listed_statuses<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "filter").await;
    let created = members(
        &*stores.manager,
        team.id,
        &[Active, Suspended, Archived, Active],
    )
    .await;
    let cases: [(&[MemberStatus], &str); 5] = [
        (&[], "no statuses means all"),
        (&[Active], "only active"),
        (
            &[Active, Suspended],
            "everything v1 shows without include_archived",
        ),
        (&[Archived], "only archived"),
        (
            &[Suspended, Archived],
            "the order of statuses does not matter",
        ),
    ];
    for (statuses, why) in cases {
        let wanted = created
            .iter()
            .filter(|m| statuses.is_empty() || statuses.contains(&m.status))
            .cloned()
            .collect();
        let listed = stores
            .manager
            .list_members(query(team.id, statuses, first(100)))
            .await
            .unwrap();
        assert_eq!(ids(&listed.items), ids(&in_list_order(wanted)), "{why}");
    }
}

pub async fn member_pages_visit_each_member_once_at_every_page_size<
    M: ManagerStore,
    T: TaskStore,
>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "pages").await;
    let statuses = [
        Active, Archived, Active, Suspended, Active, Archived, Active,
    ];
    let created = members(&*stores.manager, team.id, &statuses).await;
    for filter in [&[][..], &[Active, Suspended][..]] {
        let wanted: Vec<Member> = created
            .iter()
            .filter(|m| filter.is_empty() || filter.contains(&m.status))
            .cloned()
            .collect();
        let expected = ids(&in_list_order(wanted));
        for n in [1, 2, 3, 5, 7, 100] {
            let fetch = async |page| {
                stores
                    .manager
                    .list_members(query(team.id, filter, page))
                    .await
            };
            let by_keyset = walk_keyset(n, cursor, fetch).await;
            assert_eq!(
                ids(&by_keyset),
                expected,
                "keyset, size {n}, filter {filter:?}"
            );
            let fetch = async |page| {
                stores
                    .manager
                    .list_members(query(team.id, filter, page))
                    .await
            };
            let by_offset = walk_offset(n, fetch).await;
            assert_eq!(
                ids(&by_offset),
                expected,
                "offset, size {n}, filter {filter:?}"
            );
        }
    }
}
