//! INVALID_ARGUMENT from `dbrepo.manager.v1` for every kind of bad input,
//! naming the proto field, and proof that nothing was written.

use dbrepo::proto::manager::v1;

use super::{Call, call, expect_invalid, start, v1_member, v1_team};

#[tokio::test]
async fn manager_v1_bad_input_is_invalid_argument_naming_the_field() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "valid").await;
    let ada = v1_member(&mut grpc, &team.id, "Ada").await;
    let c = grpc.v1.clone();
    let team_req = |name: String, description: String| v1::CreateTeamRequest { name, description };
    let member_req = |team_id: &str, full_name: &str, email: String| v1::CreateMemberRequest {
        team_id: team_id.into(),
        full_name: full_name.into(),
        email,
    };
    let update = |full_name: Option<&str>, email: Option<String>| v1::UpdateMemberRequest {
        id: ada.id.clone(),
        full_name: full_name.map(Into::into),
        email,
        archived: Some(true),
    };
    let long_email = format!("{}@example.org", "a".repeat(243));
    let cases: Vec<(Call, &str, &str)> = vec![
        (
            call!(c.create_team(team_req(String::new(), String::new()))),
            "name",
            "empty required string",
        ),
        (
            call!(c.create_team(team_req("x".repeat(201), String::new()))),
            "name",
            "over-long name",
        ),
        (
            call!(c.create_team(team_req("Ok".into(), "d".repeat(10_001)))),
            "description",
            "over-long description",
        ),
        (
            call!(c.get_team(v1::GetTeamRequest {
                id: "not-a-uuid".into()
            })),
            "id",
            "malformed id",
        ),
        (
            call!(c.list_teams(v1::ListTeamsRequest {
                offset: 0,
                limit: 101
            })),
            "limit",
            "limit over 100",
        ),
        (
            call!(c.list_teams(v1::ListTeamsRequest {
                offset: -1,
                limit: 0
            })),
            "offset",
            "negative offset",
        ),
        (
            call!(c.create_member(member_req("x", "Bea", "bea@example.org".into()))),
            "team_id",
            "malformed team id",
        ),
        (
            call!(c.create_member(member_req(&team.id, " \t ", "bea@example.org".into()))),
            "full_name",
            "blank full name",
        ),
        (
            call!(c.create_member(member_req(&team.id, "Bea", "bea.example.org".into()))),
            "email",
            "email without @",
        ),
        (
            call!(c.create_member(member_req(&team.id, "Bea", "bea@example".into()))),
            "email",
            "email without a dot after @",
        ),
        (
            call!(c.create_member(member_req(&team.id, "Bea", long_email))),
            "email",
            "email over 254 characters",
        ),
        (
            call!(c.update_member(update(Some("   "), None))),
            "full_name",
            "blank full name in an update",
        ),
        (
            call!(c.update_member(update(None, Some("a@b@example.org".into())))),
            "email",
            "two @ in an update",
        ),
        (
            call!(c.list_members(v1::ListMembersRequest {
                team_id: team.id.clone(),
                offset: 0,
                limit: 101,
                include_archived: true
            })),
            "limit",
            "limit over 100",
        ),
        (
            call!(c.delete_member(v1::DeleteMemberRequest { id: String::new() })),
            "id",
            "empty id",
        ),
    ];
    expect_invalid(cases).await;
    let teams = grpc
        .v1
        .list_teams(v1::ListTeamsRequest {
            offset: 0,
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .teams;
    assert_eq!(teams, std::slice::from_ref(&team), "no team was written");
    assert_eq!(
        grpc.members_v1(&team.id, true).await,
        std::slice::from_ref(&ada),
        "no member was written"
    );
    assert_eq!(
        grpc.member_v1(&ada.id).await,
        ada,
        "no update was applied, not even archived"
    );
    grpc.stop().await;
}
