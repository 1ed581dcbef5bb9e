//! Member updates: the cross-version name and status rules and email
//! uniqueness, all-or-nothing.

use dbrepo::core::Error;
use dbrepo::core::fields::{Email, FamilyName, FullName, GivenName};
use dbrepo::core::mapping::MemberStatus::{Active, Archived, Suspended};
use dbrepo::core::mapping::{Precondition, StatusWrite};
use dbrepo::core::sql::app::TaskStore;
use dbrepo::core::sql::manager::{ManagerStore, Member, MemberPatch, NamePatch};

use super::Stores;
use super::support::{assert_err, full_name_patch, member, refusal, team, unique_email, v1, v2};

/// A patch that writes `email`.
fn email_patch(email: Email) -> MemberPatch {
    MemberPatch {
        email: Some(email),
        ..MemberPatch::default()
    }
}

/// Applies `patch` unconditionally and returns the member after it.
async fn update<M: ManagerStore>(manager: &M, member: &Member, patch: MemberPatch) -> Member {
    let updated = manager
        .update_member(member.id, patch, Precondition::None)
        .await
        .unwrap();
    assert_eq!(
        manager.get_member(member.id).await.unwrap(),
        updated,
        "reads see the update"
    );
    updated
}

pub async fn v1_update_keeps_v2_names_when_full_name_unchanged<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "names").await;
    let created = member(&*stores.manager, team.id, v2("Mary Ann", "Smith"), Active).await;
    for written in ["Mary Ann Smith", " \tMary Ann Smith\u{3000}"] {
        let after = update(&*stores.manager, &created, full_name_patch(written)).await;
        assert_eq!(
            after.names.v2_view(),
            ("Mary Ann".into(), "Smith".into()),
            "{written:?}"
        );
        assert_eq!(after.names.full_name, "Mary Ann Smith");
    }
}

pub async fn v1_update_that_changes_full_name_rederives_v2_names<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "names").await;
    let created = member(&*stores.manager, team.id, v2("Mary Ann", "Smith"), Active).await;
    let after = update(
        &*stores.manager,
        &created,
        full_name_patch("  Mary Ann Jones "),
    )
    .await;
    assert_eq!(
        after.names.full_name, "Mary Ann Jones",
        "v1 reads back what it wrote, trimmed"
    );
    assert_eq!(after.names.v2_view(), ("Mary".into(), "Ann Jones".into()));
    let after = update(&*stores.manager, &after, full_name_patch("Madonna")).await;
    assert_eq!(after.names.v2_view(), ("Madonna".into(), String::new()));
    // A v2 family name may end in white space, and so may its v1 join;
    // writing that join back through v1 trims it, which is a change.
    let spaced = member(&*stores.manager, team.id, v2("A", "- "), Active).await;
    assert_eq!(spaced.names.full_name, "A - ");
    let after = update(&*stores.manager, &spaced, full_name_patch("A - ")).await;
    assert_eq!(
        after.names.full_name, "A -",
        "v1 reads back what it wrote, trimmed"
    );
    assert_eq!(after.names.v2_view(), ("A".into(), "-".into()));
}

pub async fn v1_update_without_full_name_keeps_v2_names<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "names").await;
    let created = member(&*stores.manager, team.id, v2("Mary Ann", "Smith"), Active).await;
    let patch = MemberPatch {
        email: Some(unique_email("mary")),
        status: Some(StatusWrite::V1Archived(true)),
        ..MemberPatch::default()
    };
    let after = update(&*stores.manager, &created, patch).await;
    assert_eq!(after.names, created.names);
}

pub async fn v2_update_of_one_name_keeps_the_other<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "names").await;
    let created = member(&*stores.manager, team.id, v1("Mary Ann Smith"), Active).await;
    let given = MemberPatch {
        names: NamePatch::parts(Some(GivenName::parse("Marianne".into()).unwrap()), None),
        ..MemberPatch::default()
    };
    let after = update(&*stores.manager, &created, given).await;
    assert_eq!(
        after.names.v2_view(),
        ("Marianne".into(), "Ann Smith".into())
    );
    assert_eq!(
        after.names.full_name, "Marianne Ann Smith",
        "v1 sees the join"
    );
    let family = MemberPatch {
        names: NamePatch::parts(None, Some(FamilyName::parse(String::new()).unwrap())),
        ..MemberPatch::default()
    };
    let after = update(&*stores.manager, &after, family).await;
    assert_eq!(after.names.v2_view(), ("Marianne".into(), String::new()));
    assert_eq!(after.names.full_name, "Marianne");
}

pub async fn status_writes_follow_the_cross_version_rules<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    use StatusWrite::{Set, V1Archived};
    let team = team(&*stores.manager, "status").await;
    let cases = [
        (Active, V1Archived(true), Archived, "v1 archiving"),
        (
            Suspended,
            V1Archived(true),
            Archived,
            "v1 archiving a suspended member",
        ),
        (
            Archived,
            V1Archived(false),
            Active,
            "v1 unarchiving makes active",
        ),
        (
            Suspended,
            V1Archived(false),
            Suspended,
            "v1 archived=false keeps SUSPENDED",
        ),
        (
            Active,
            V1Archived(false),
            Active,
            "v1 archived=false keeps ACTIVE",
        ),
        (Active, Set(Suspended), Suspended, "v2 suspends"),
        (Archived, Set(Suspended), Suspended, "v2 sets any status"),
        (Suspended, Set(Active), Active, "v2 reactivates"),
    ];
    for (initial, write, expected, why) in cases {
        let created = member(&*stores.manager, team.id, v1("Ada"), initial).await;
        let patch = MemberPatch {
            status: Some(write),
            ..MemberPatch::default()
        };
        let after = update(&*stores.manager, &created, patch).await;
        assert_eq!(after.status, expected, "{why}");
    }
}

pub async fn email_update_may_change_case_but_not_take_a_teammates_email<
    M: ManagerStore,
    T: TaskStore,
>(
    stores: Stores<M, T>,
) {
    let team = team(&*stores.manager, "emails").await;
    let ada = member(&*stores.manager, team.id, v1("Ada"), Active).await;
    let bea = member(&*stores.manager, team.id, v1("Bea"), Active).await;
    let own_upper = Email::parse(ada.email.to_uppercase()).unwrap();
    let after = update(&*stores.manager, &ada, email_patch(own_upper.clone())).await;
    assert_eq!(
        after.email,
        own_upper.as_str(),
        "a member may re-case its own email"
    );
    let taken = Email::parse(bea.email.to_uppercase()).unwrap();
    let patch = MemberPatch {
        names: Some(NamePatch::FullName(FullName::parse("Ada L").unwrap())),
        ..email_patch(taken)
    };
    let refused = stores
        .manager
        .update_member(ada.id, patch, Precondition::None)
        .await;
    assert_eq!(refusal(&refused), Error::member_email_taken().to_string());
    assert_err!(refused, Error::AlreadyExists(_));
    let unchanged = stores.manager.get_member(ada.id).await.unwrap();
    assert_eq!(
        unchanged, after,
        "a refused update changes nothing, not even the name"
    );
}
