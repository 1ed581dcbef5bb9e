//! INVALID_ARGUMENT from `dbrepo.manager.v2` for every kind of bad input,
//! naming the proto field, and proof that nothing was written.

use dbrepo::proto::manager::v2;

use super::{Call, call, expect_invalid, start, v1_member, v1_team};

#[tokio::test]
async fn manager_v2_bad_input_is_invalid_argument_naming_the_field() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "valid").await;
    let ada = v1_member(&mut grpc, &team.id, "Ada").await;
    let c = grpc.v2.clone();
    let create = |given: &str, family: String, status: i32| v2::CreateMemberRequest {
        team_id: team.id.clone(),
        given_name: given.into(),
        family_name: family,
        email: "bea@example.org".into(),
        status,
    };
    let update = |status: Option<i32>, given: Option<String>| v2::UpdateMemberRequest {
        id: ada.id.clone(),
        etag: String::new(),
        given_name: given,
        family_name: None,
        email: Some("new@example.org".into()),
        status,
    };
    let list = |page_size: i32, statuses: Vec<i32>| v2::ListMembersRequest {
        team_id: team.id.clone(),
        page_size,
        page_token: String::new(),
        statuses,
    };
    let cases: Vec<(Call, &str, &str)> = vec![
        (
            call!(c.create_team(v2::CreateTeamRequest {
                display_name: String::new(),
                description: String::new()
            })),
            "display_name",
            "empty display name",
        ),
        (
            call!(c.get_team(v2::GetTeamRequest { id: "1234".into() })),
            "id",
            "malformed id",
        ),
        (
            call!(c.list_teams(v2::ListTeamsRequest {
                page_size: 101,
                page_token: String::new()
            })),
            "page_size",
            "page size over 100",
        ),
        (
            call!(c.create_member(create("", String::new(), 1))),
            "given_name",
            "empty given name",
        ),
        (
            call!(c.create_member(create(&"g".repeat(101), String::new(), 1))),
            "given_name",
            "given name over 100",
        ),
        (
            call!(c.create_member(create("Bea", "f".repeat(101), 1))),
            "family_name",
            "family name over 100",
        ),
        (
            call!(c.create_member(create("Bea", String::new(), 99))),
            "status",
            "unknown enum value",
        ),
        (
            call!(c.update_member(update(Some(0), None))),
            "status",
            "UNSPECIFIED status in an update",
        ),
        (
            call!(c.update_member(update(Some(42), None))),
            "status",
            "unknown status in an update",
        ),
        (
            call!(c.update_member(update(None, Some(String::new())))),
            "given_name",
            "empty given name in an update",
        ),
        (
            call!(c.list_members(list(101, vec![]))),
            "page_size",
            "page size over 100",
        ),
        (
            call!(c.list_members(list(0, vec![7]))),
            "statuses",
            "unknown status filter",
        ),
        (
            call!(c.delete_member(v2::DeleteMemberRequest {
                id: "x".into(),
                etag: String::new()
            })),
            "id",
            "malformed id",
        ),
    ];
    expect_invalid(cases).await;
    assert_eq!(
        grpc.members_v1(&team.id, true).await,
        std::slice::from_ref(&ada),
        "no member was written"
    );
    assert_eq!(
        grpc.member_v1(&ada.id).await,
        ada,
        "no update was applied, not even the email"
    );
    grpc.stop().await;
}
