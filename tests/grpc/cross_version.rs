//! One member seen through both manager versions: names, status and etags
//! follow DOMAIN.md's mapping whichever version wrote last.

use dbrepo::proto::manager::v1;
use dbrepo::proto::manager::v2::{self, MemberStatus};

use super::{start, v1_member, v1_team, v2_member};

/// A v1 update of `id` that writes only the fields given.
fn v1_update(id: &str, full_name: Option<&str>, archived: Option<bool>) -> v1::UpdateMemberRequest {
    v1::UpdateMemberRequest {
        id: id.into(),
        full_name: full_name.map(Into::into),
        email: None,
        archived,
    }
}

/// A v2 update of `id` that writes only the status.
fn v2_status(id: &str, status: MemberStatus) -> v2::UpdateMemberRequest {
    v2::UpdateMemberRequest {
        id: id.into(),
        etag: String::new(),
        given_name: None,
        family_name: None,
        email: None,
        status: Some(status.into()),
    }
}

#[tokio::test]
async fn v1_written_names_read_in_v2_split_at_the_first_white_space() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "names").await;
    let cases = [
        ("Ada Lovelace", "Ada", "Lovelace", "spec example"),
        (
            "Mary Ann Smith",
            "Mary",
            "Ann Smith",
            "only the first white space splits",
        ),
        (
            "Madonna",
            "Madonna",
            "",
            "one word has an empty family name",
        ),
    ];
    for (full, given, family, why) in cases {
        let written = v1_member(&mut grpc, &team.id, full).await;
        let seen = grpc.member_v2(&written.id).await;
        assert_eq!(
            (seen.given_name.as_str(), seen.family_name.as_str()),
            (given, family),
            "{why}"
        );
        assert_eq!(
            grpc.member_v1(&written.id).await.full_name,
            full,
            "{why}: v1 reads what it wrote"
        );
    }
    grpc.stop().await;
}

#[tokio::test]
async fn v2_written_names_read_in_v1_joined() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "names").await;
    let long = ("g".repeat(100), "f".repeat(100));
    let cases = [
        (
            "Mary Ann",
            "Smith",
            "Mary Ann Smith".to_owned(),
            "given and family joined by one space",
        ),
        (
            "Madonna",
            "",
            "Madonna".to_owned(),
            "just the given name when family is empty",
        ),
        (
            &long.0,
            &long.1,
            format!("{} {}", long.0, long.1),
            "reads return what is stored: 201 characters",
        ),
    ];
    for (given, family, full, why) in cases {
        let written = v2_member(&mut grpc, &team.id, given, family, MemberStatus::Active).await;
        assert_eq!(grpc.member_v1(&written.id).await.full_name, full, "{why}");
        let again = grpc.member_v2(&written.id).await;
        assert_eq!(
            (again.given_name.as_str(), again.family_name.as_str()),
            (given, family),
            "{why}"
        );
    }
    grpc.stop().await;
}

#[tokio::test]
async fn v1_update_with_unchanged_full_name_keeps_v2_names_and_changed_rederives() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "names").await;
    let member = v2_member(
        &mut grpc,
        &team.id,
        "Mary Ann",
        "Smith",
        MemberStatus::Active,
    )
    .await;
    let same = v1_update(&member.id, Some(" Mary Ann Smith "), None);
    grpc.v1.update_member(same).await.unwrap();
    let kept = grpc.member_v2(&member.id).await;
    assert_eq!(
        (kept.given_name.as_str(), kept.family_name.as_str()),
        ("Mary Ann", "Smith")
    );
    let changed = v1_update(&member.id, Some("Mary Ann Jones"), None);
    grpc.v1.update_member(changed).await.unwrap();
    let derived = grpc.member_v2(&member.id).await;
    assert_eq!(
        (derived.given_name.as_str(), derived.family_name.as_str()),
        ("Mary", "Ann Jones")
    );
    grpc.stop().await;
}

#[tokio::test]
async fn status_round_trips_between_versions() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "status").await;
    let member = v1_member(&mut grpc, &team.id, "Ada").await;
    let steps = [
        (
            None,
            Some(MemberStatus::Suspended),
            MemberStatus::Suspended,
            false,
            "v2 suspends; v1 sees not archived",
        ),
        (
            Some(false),
            None,
            MemberStatus::Suspended,
            false,
            "v1 archived=false keeps SUSPENDED",
        ),
        (
            Some(true),
            None,
            MemberStatus::Archived,
            true,
            "v1 archives",
        ),
        (
            Some(false),
            None,
            MemberStatus::Active,
            false,
            "v1 unarchives to ACTIVE",
        ),
        (
            None,
            Some(MemberStatus::Archived),
            MemberStatus::Archived,
            true,
            "v2 archives; v1 sees archived",
        ),
    ];
    for (v1_archived, v2_set, status, archived, why) in steps {
        if let Some(archived) = v1_archived {
            grpc.v1
                .update_member(v1_update(&member.id, None, Some(archived)))
                .await
                .unwrap();
        }
        if let Some(set) = v2_set {
            grpc.v2
                .update_member(v2_status(&member.id, set))
                .await
                .unwrap();
        }
        assert_eq!(grpc.member_v2(&member.id).await.status(), status, "{why}");
        assert_eq!(grpc.member_v1(&member.id).await.archived, archived, "{why}");
    }
    grpc.stop().await;
}

#[tokio::test]
async fn v1_include_archived_false_hides_only_archived() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "hide").await;
    let mut ids = Vec::new();
    for status in [
        MemberStatus::Active,
        MemberStatus::Suspended,
        MemberStatus::Archived,
    ] {
        ids.push(v2_member(&mut grpc, &team.id, "M", "", status).await.id);
    }
    let listed = grpc.members_v1(&team.id, false).await;
    let listed: Vec<_> = listed.into_iter().map(|m| m.id).collect();
    assert_eq!(
        listed,
        ids[..2],
        "the suspended member is listed, the archived one is not"
    );
    grpc.stop().await;
}

#[tokio::test]
async fn v1_update_changes_the_v2_etag() {
    let mut grpc = start().await;
    let team = v1_team(&mut grpc, "etag").await;
    let member = v2_member(&mut grpc, &team.id, "Ada", "", MemberStatus::Active).await;
    grpc.v1
        .update_member(v1_update(&member.id, Some("Ada Lovelace"), None))
        .await
        .unwrap();
    let after = grpc.member_v2(&member.id).await;
    assert_ne!(after.etag, member.etag, "v2 sees v1's update");
    let stale = v2::DeleteMemberRequest {
        id: member.id.clone(),
        etag: member.etag,
    };
    super::assert_code(grpc.v2.delete_member(stale).await, tonic::Code::Aborted);
    grpc.stop().await;
}
