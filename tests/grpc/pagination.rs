//! Keyset pagination through opaque page tokens: walks, tokens reused with
//! another page size, and tokens refused for another query.

use dbrepo::proto::app::v1 as app;
use dbrepo::proto::manager::v2::{self, MemberStatus};

use super::{Grpc, assert_invalid, start, unique, v1_team, v2_member};

/// The v2 ListMembers request of `team_id` for one page.
fn members(team_id: &str, page_size: i32, page_token: &str) -> v2::ListMembersRequest {
    v2::ListMembersRequest {
        team_id: team_id.into(),
        page_size,
        page_token: page_token.into(),
        statuses: vec![],
    }
}

/// The ListTasks request of `team_id` for one page.
fn tasks(team_id: &str, page_size: i32, page_token: &str) -> app::ListTasksRequest {
    app::ListTasksRequest {
        team_id: team_id.into(),
        page_size,
        page_token: page_token.into(),
        ..Default::default()
    }
}

/// Creates `count` v2 members of `team_id`, returning their ids in order.
async fn some_members(grpc: &mut Grpc, team_id: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..count {
        ids.push(
            v2_member(grpc, team_id, "M", "", MemberStatus::Active)
                .await
                .id,
        );
    }
    ids
}

#[tokio::test]
async fn v2_list_teams_walks_every_page_in_order() {
    let mut grpc = start().await;
    let tag = unique();
    for name in ["e", "B", "d", "a", "C", "g", "F"] {
        let request = v2::CreateTeamRequest {
            display_name: format!("{tag} {name}"),
            description: String::new(),
        };
        grpc.v2.create_team(request).await.unwrap();
    }
    for page_size in [1, 3, 7] {
        let (mut names, mut token) = (Vec::new(), String::new());
        loop {
            let request = v2::ListTeamsRequest {
                page_size,
                page_token: token,
            };
            let page = grpc.v2.list_teams(request).await.unwrap().into_inner();
            assert!(page.teams.len() <= page_size as usize);
            names.extend(page.teams.into_iter().map(|t| t.display_name));
            token = page.next_page_token;
            if token.is_empty() {
                break;
            }
        }
        let expected = ["a", "B", "C", "d", "e", "F", "g"].map(|n| format!("{tag} {n}"));
        assert_eq!(
            names, expected,
            "page size {page_size}: every team once, in order"
        );
    }
    grpc.stop().await;
}

#[tokio::test]
async fn a_page_token_stays_valid_with_another_page_size() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "pages").await;
    let ids = some_members(&mut grpc, &team.id, 6).await;
    let first = grpc
        .v2
        .list_members(members(&team.id, 2, ""))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    let rest = grpc
        .v2
        .list_members(members(&team.id, 10, &first.next_page_token))
        .await
        .unwrap()
        .into_inner();
    let listed: Vec<_> = first
        .members
        .iter()
        .chain(&rest.members)
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(listed, ids, "no gap, no duplicate");
    assert!(
        rest.next_page_token.is_empty(),
        "the last page has no token"
    );
    let task_team = team.id.clone();
    for title in ["T1", "T2", "T3"] {
        let create = app::CreateTaskRequest {
            team_id: task_team.clone(),
            title: title.into(),
            ..Default::default()
        };
        grpc.tasks.create_task(create).await.unwrap();
    }
    let first = grpc
        .tasks
        .list_tasks(tasks(&task_team, 1, ""))
        .await
        .unwrap()
        .into_inner();
    let rest = grpc
        .tasks
        .list_tasks(tasks(&task_team, 5, &first.next_page_token))
        .await
        .unwrap()
        .into_inner();
    let titles: Vec<_> = first
        .tasks
        .iter()
        .chain(&rest.tasks)
        .map(|t| t.title.as_str())
        .collect();
    assert_eq!(titles, ["T1", "T2", "T3"]);
    grpc.stop().await;
}

#[tokio::test]
async fn a_page_token_of_another_query_is_invalid_argument() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "tokens").await;
    let other = v1_team(&mut grpc, "tokens").await;
    some_members(&mut grpc, &team.id, 3).await;
    some_members(&mut grpc, &other.id, 3).await;
    for title in ["T1", "T2"] {
        let create = app::CreateTaskRequest {
            team_id: team.id.clone(),
            title: title.into(),
            ..Default::default()
        };
        grpc.tasks.create_task(create).await.unwrap();
    }
    let member_token = grpc
        .v2
        .list_members(members(&team.id, 1, ""))
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    let task_token = grpc
        .tasks
        .list_tasks(tasks(&team.id, 1, ""))
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    let team_token = grpc
        .v2
        .list_teams(v2::ListTeamsRequest {
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    assert!(
        ![&member_token, &task_token, &team_token]
            .iter()
            .any(|t| t.is_empty())
    );

    assert_invalid(
        grpc.v2
            .list_members(members(&other.id, 1, &member_token))
            .await,
        "page_token",
    );
    let other_statuses = v2::ListMembersRequest {
        statuses: vec![MemberStatus::Archived.into()],
        ..members(&team.id, 1, &member_token)
    };
    assert_invalid(grpc.v2.list_members(other_statuses).await, "page_token");
    assert_invalid(
        grpc.tasks
            .list_tasks(tasks(&other.id, 1, &task_token))
            .await,
        "page_token",
    );
    let other_state = app::ListTasksRequest {
        state: Some(app::TaskState::Done.into()),
        ..tasks(&team.id, 1, &task_token)
    };
    assert_invalid(grpc.tasks.list_tasks(other_state).await, "page_token");
    assert_invalid(
        grpc.v2
            .list_members(members(&team.id, 1, &task_token))
            .await,
        "page_token",
    );
    assert_invalid(
        grpc.tasks
            .list_tasks(tasks(&team.id, 1, &member_token))
            .await,
        "page_token",
    );
    let teams_with = |page_token: &str| v2::ListTeamsRequest {
        page_size: 1,
        page_token: page_token.into(),
    };
    assert_invalid(
        grpc.v2.list_teams(teams_with(&member_token)).await,
        "page_token",
    );
    for forged in ["garbage", "AAAA", &format!("{member_token}x")] {
        assert_invalid(grpc.v2.list_teams(teams_with(forged)).await, "page_token");
        assert_invalid(
            grpc.v2.list_members(members(&team.id, 1, forged)).await,
            "page_token",
        );
        assert_invalid(
            grpc.tasks.list_tasks(tasks(&team.id, 1, forged)).await,
            "page_token",
        );
    }
    grpc.stop().await;
}
