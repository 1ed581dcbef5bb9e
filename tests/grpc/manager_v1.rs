//! `dbrepo.manager.v1.ManagerService`: every RPC through the wire.

use dbrepo::proto::manager::v1;
use tonic::Code;

use super::{assert_code, start, unique, v1_member, v1_team};

#[tokio::test]
async fn v1_creates_gets_and_lists_teams_by_name() {
    let mut grpc = start().await;
    let tag = unique();
    for name in ["b", "A", "c"] {
        let request = v1::CreateTeamRequest {
            name: format!("{tag} {name}"),
            description: "d".into(),
        };
        let team = grpc
            .v1
            .create_team(request)
            .await
            .unwrap()
            .into_inner()
            .team
            .unwrap();
        assert_eq!(team.name, format!("{tag} {name}"));
        assert!(team.create_time.is_some());
        let read = grpc
            .v1
            .get_team(v1::GetTeamRequest {
                id: team.id.clone(),
            })
            .await
            .unwrap();
        assert_eq!(read.into_inner().team, Some(team));
    }
    let listed = grpc
        .v1
        .list_teams(v1::ListTeamsRequest {
            offset: 0,
            limit: 0,
        })
        .await
        .unwrap();
    let names: Vec<_> = listed
        .into_inner()
        .teams
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(
        names,
        ["A", "b", "c"].map(|n| format!("{tag} {n}")),
        "ordered case-insensitively"
    );
    let page = grpc
        .v1
        .list_teams(v1::ListTeamsRequest {
            offset: 1,
            limit: 1,
        })
        .await
        .unwrap();
    let names: Vec<_> = page
        .into_inner()
        .teams
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, [format!("{tag} b")], "offset skips, limit bounds");
    grpc.stop().await;
}

#[tokio::test]
async fn v1_member_lifecycle_create_get_list_update_delete() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "lifecycle").await;
    let ada = v1_member(&mut grpc, &team.id, "  Ada Lovelace ").await;
    assert_eq!(
        (ada.full_name.as_str(), ada.archived),
        ("Ada Lovelace", false),
        "trimmed, not archived"
    );
    assert_eq!(grpc.member_v1(&ada.id).await, ada);
    let bea = v1_member(&mut grpc, &team.id, "Bea").await;
    let update = v1::UpdateMemberRequest {
        id: bea.id.clone(),
        full_name: None,
        email: Some(format!("bea.{}@example.org", unique())),
        archived: Some(true),
    };
    let bea = grpc
        .v1
        .update_member(update)
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert!(bea.archived);
    assert_eq!(bea.full_name, "Bea", "an absent field is left unchanged");
    let all = grpc.members_v1(&team.id, true).await;
    assert_eq!(all, [ada.clone(), bea.clone()], "create time order");
    let active = grpc.members_v1(&team.id, false).await;
    assert_eq!(
        active,
        std::slice::from_ref(&ada),
        "archived members hidden"
    );
    grpc.v1
        .delete_member(v1::DeleteMemberRequest { id: ada.id.clone() })
        .await
        .unwrap();
    let gone = grpc
        .v1
        .get_member(v1::GetMemberRequest { id: ada.id })
        .await;
    assert_code(gone, Code::NotFound);
    grpc.stop().await;
}

#[tokio::test]
async fn v1_duplicates_are_already_exists() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "Dup").await;
    let again = v1::CreateTeamRequest {
        name: team.name.to_uppercase(),
        description: String::new(),
    };
    assert_code(grpc.v1.create_team(again).await, Code::AlreadyExists);
    let ada = v1_member(&mut grpc, &team.id, "Ada").await;
    let twin = v1::CreateMemberRequest {
        team_id: team.id.clone(),
        full_name: "Twin".into(),
        email: ada.email.to_uppercase(),
    };
    let status = assert_code(grpc.v1.create_member(twin).await, Code::AlreadyExists);
    assert!(
        !status.message().to_lowercase().contains("constraint"),
        "no SQL detail: {status:?}"
    );
    grpc.stop().await;
}

#[tokio::test]
async fn v1_unknown_ids_are_not_found() {
    let mut grpc = start().await;
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_code(
        grpc.v1
            .get_team(v1::GetTeamRequest {
                id: unknown.clone(),
            })
            .await,
        Code::NotFound,
    );
    assert_code(
        grpc.v1
            .get_member(v1::GetMemberRequest {
                id: unknown.clone(),
            })
            .await,
        Code::NotFound,
    );
    let create = v1::CreateMemberRequest {
        team_id: unknown.clone(),
        full_name: "Ada".into(),
        email: "ada@example.org".into(),
    };
    assert_code(grpc.v1.create_member(create).await, Code::NotFound);
    let list = v1::ListMembersRequest {
        team_id: unknown.clone(),
        offset: 0,
        limit: 0,
        include_archived: true,
    };
    assert_code(grpc.v1.list_members(list).await, Code::NotFound);
    let update = v1::UpdateMemberRequest {
        id: unknown.clone(),
        full_name: Some("Eve".into()),
        email: None,
        archived: None,
    };
    assert_code(grpc.v1.update_member(update).await, Code::NotFound);
    assert_code(
        grpc.v1
            .delete_member(v1::DeleteMemberRequest { id: unknown })
            .await,
        Code::NotFound,
    );
    grpc.stop().await;
}
