//! `dbrepo.manager.v2.ManagerService`: every RPC through the wire, etags
//! and status filters.

use dbrepo::proto::manager::v2::{self, MemberStatus};
use tonic::Code;

use super::{assert_code, start, v2_member, v2_team};

/// An update of `id` under `etag` that changes nothing but the given name.
fn rename(id: &str, etag: &str, given_name: &str) -> v2::UpdateMemberRequest {
    v2::UpdateMemberRequest {
        id: id.into(),
        etag: etag.into(),
        given_name: Some(given_name.into()),
        family_name: None,
        email: None,
        status: None,
    }
}

#[tokio::test]
async fn v2_creates_gets_and_lists_teams() {
    let mut grpc = start().await;
    let team = v2_team(&mut grpc, "Team").await;
    let read = grpc
        .v2
        .get_team(v2::GetTeamRequest {
            id: team.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(read.into_inner().team, Some(team.clone()));
    let listed = grpc
        .v2
        .list_teams(v2::ListTeamsRequest {
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .unwrap();
    let listed = listed.into_inner();
    assert_eq!(
        (listed.teams, listed.next_page_token),
        (vec![team.clone()], String::new()),
        "one page, no token"
    );
    let again = v2::CreateTeamRequest {
        display_name: team.display_name.to_lowercase(),
        description: String::new(),
    };
    assert_code(grpc.v2.create_team(again).await, Code::AlreadyExists);
    grpc.stop().await;
}

#[tokio::test]
async fn v2_member_lifecycle_with_etags() {
    let mut grpc = start().await;
    let team = v2_team(&mut grpc, "Team").await;
    let unspecified = v2_member(
        &mut grpc,
        &team.id,
        "Mary Ann",
        "Smith",
        MemberStatus::Unspecified,
    )
    .await;
    assert_eq!(
        unspecified.status(),
        MemberStatus::Active,
        "UNSPECIFIED on create means ACTIVE"
    );
    assert_eq!(
        (
            unspecified.given_name.as_str(),
            unspecified.family_name.as_str()
        ),
        ("Mary Ann", "Smith")
    );
    assert!(!unspecified.etag.is_empty());
    assert_eq!(grpc.member_v2(&unspecified.id).await, unspecified);
    let renamed = grpc
        .v2
        .update_member(rename(&unspecified.id, &unspecified.etag, "Marianne"))
        .await
        .unwrap();
    let renamed = renamed.into_inner().member.unwrap();
    assert_eq!(
        (renamed.given_name.as_str(), renamed.family_name.as_str()),
        ("Marianne", "Smith")
    );
    assert_ne!(
        renamed.etag, unspecified.etag,
        "the etag changes on every update"
    );
    let stale = grpc
        .v2
        .update_member(rename(&unspecified.id, &unspecified.etag, "Eve"))
        .await;
    assert_code(stale, Code::Aborted);
    assert_eq!(
        grpc.member_v2(&unspecified.id).await,
        renamed,
        "a stale etag changes nothing"
    );
    let unconditional = grpc
        .v2
        .update_member(rename(&unspecified.id, "", "Mia"))
        .await
        .unwrap();
    assert_eq!(
        unconditional.into_inner().member.unwrap().given_name,
        "Mia",
        "an empty etag is unconditional"
    );
    let delete = |etag: &str| v2::DeleteMemberRequest {
        id: unspecified.id.clone(),
        etag: etag.into(),
    };
    assert_code(
        grpc.v2.delete_member(delete(&renamed.etag)).await,
        Code::Aborted,
    );
    let current = grpc.member_v2(&unspecified.id).await;
    grpc.v2.delete_member(delete(&current.etag)).await.unwrap();
    let gone = grpc
        .v2
        .get_member(v2::GetMemberRequest {
            id: unspecified.id.clone(),
        })
        .await;
    assert_code(gone, Code::NotFound);
    assert_code(
        grpc.v2.delete_member(delete(&current.etag)).await,
        Code::NotFound,
    );
    grpc.stop().await;
}

#[tokio::test]
async fn v2_unknown_member_is_not_found_even_with_a_stale_etag() {
    let mut grpc = start().await;
    let team = v2_team(&mut grpc, "Team").await;
    let other = v2_member(&mut grpc, &team.id, "Ada", "", MemberStatus::Active).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_code(
        grpc.v2
            .update_member(rename(&unknown, &other.etag, "Eve"))
            .await,
        Code::NotFound,
    );
    let delete = v2::DeleteMemberRequest {
        id: unknown.clone(),
        etag: "1".into(),
    };
    assert_code(grpc.v2.delete_member(delete).await, Code::NotFound);
    assert_code(
        grpc.v2
            .get_team(v2::GetTeamRequest {
                id: unknown.clone(),
            })
            .await,
        Code::NotFound,
    );
    let list = v2::ListMembersRequest {
        team_id: unknown,
        page_size: 0,
        page_token: String::new(),
        statuses: vec![],
    };
    assert_code(grpc.v2.list_members(list).await, Code::NotFound);
    grpc.stop().await;
}

#[tokio::test]
async fn v2_list_members_filters_by_status() {
    let mut grpc = start().await;
    let team = v2_team(&mut grpc, "Team").await;
    let mut ids = Vec::new();
    for status in [
        MemberStatus::Active,
        MemberStatus::Suspended,
        MemberStatus::Archived,
    ] {
        ids.push(v2_member(&mut grpc, &team.id, "M", "", status).await.id);
    }
    let cases: [(&[MemberStatus], &[usize], &str); 3] = [
        (&[], &[0, 1, 2], "empty statuses means all"),
        (&[MemberStatus::Suspended], &[1], "one status"),
        (
            &[MemberStatus::Archived, MemberStatus::Active],
            &[0, 2],
            "several statuses",
        ),
    ];
    for (statuses, expected, why) in cases {
        let request = v2::ListMembersRequest {
            team_id: team.id.clone(),
            page_size: 0,
            page_token: String::new(),
            statuses: statuses.iter().map(|s| *s as i32).collect(),
        };
        let listed = grpc
            .v2
            .list_members(request)
            .await
            .unwrap()
            .into_inner()
            .members;
        let listed: Vec<_> = listed.into_iter().map(|m| m.id).collect();
        let expected: Vec<_> = expected.iter().map(|i| ids[*i].clone()).collect();
        assert_eq!(listed, expected, "{why}");
    }
    grpc.stop().await;
}
