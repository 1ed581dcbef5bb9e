//! One check per API version: everything the case has written, read
//! through that version, equals what the mapping rules say it must be.

use std::collections::{BTreeMap, BTreeSet};

use dbrepo::proto::app::v1 as app;
use dbrepo::proto::manager::{v1, v2};
use uuid::Uuid;

use super::dataset::Api;
use super::ledger::Ledger;
use super::served::Served;
use crate::previous_release::PreviousRelease;

/// Runs the check of `api` on everything in `ledger`.
pub async fn check(api: Api, ledger: &Ledger, old: &PreviousRelease, current: Option<&mut Served>) {
    let current = || current.expect("the current release serves this version");
    match api {
        Api::PreviousManagerV1 => previous_manager_v1(ledger, old).await,
        Api::ManagerV1 => manager_v1(ledger, current()).await,
        Api::ManagerV2 => manager_v2(ledger, current()).await,
        Api::AppV1 => app_v1(ledger, current()).await,
    }
}

/// The previous release's reads: every member as v1 saw it, lists hiding
/// exactly the archived ones.
async fn previous_manager_v1(ledger: &Ledger, old: &PreviousRelease) {
    for member in &ledger.members {
        let row = old.get(member.id).await;
        let got = (row.full_name, row.email, row.archived);
        assert_eq!(
            got,
            member.v1(),
            "previous release reads {}",
            member.label()
        );
    }
    for &team in &ledger.teams {
        for include_archived in [false, true] {
            let listed = old.list(team, include_archived).await;
            let listed: BTreeSet<Uuid> = listed.into_iter().map(|row| row.id).collect();
            let want = expected_v1_list(ledger, team, include_archived);
            assert_eq!(listed, want, "previous release lists team {team}");
        }
    }
}

fn expected_v1_list(ledger: &Ledger, team: Uuid, include_archived: bool) -> BTreeSet<Uuid> {
    ledger
        .members_of(team)
        .filter(|m| include_archived || !m.v1().2)
        .map(|m| m.id)
        .collect()
}

/// manager v1 of the current release: GetTeam, GetMember, ListMembers.
async fn manager_v1(ledger: &Ledger, current: &mut Served) {
    for member in &ledger.members {
        let got = current.member_v1(member.id).await;
        let got = (got.full_name, got.email, got.archived);
        assert_eq!(got, member.v1(), "v1 reads {}", member.label());
    }
    for &team in &ledger.teams {
        let request = v1::GetTeamRequest {
            id: team.to_string(),
        };
        let got = current.v1.get_team(request).await.expect("v1 GetTeam");
        let name = got.into_inner().team.unwrap().name;
        assert_eq!(name, PreviousRelease::team_name(team));
        for include_archived in [false, true] {
            let request = v1::ListMembersRequest {
                team_id: team.to_string(),
                offset: 0,
                limit: 100,
                include_archived,
            };
            let listed = current
                .v1
                .list_members(request)
                .await
                .expect("v1 ListMembers");
            let listed = listed.into_inner().members.into_iter();
            let listed: BTreeSet<Uuid> = listed.map(|m| m.id.parse().unwrap()).collect();
            let want = expected_v1_list(ledger, team, include_archived);
            assert_eq!(
                listed, want,
                "v1 lists team {team}, archived {include_archived}"
            );
        }
    }
}

/// manager v2 of the current release: GetTeam, GetMember, ListMembers
/// (with the same etag as GetMember).
async fn manager_v2(ledger: &Ledger, current: &mut Served) {
    let mut etags = BTreeMap::new();
    for member in &ledger.members {
        let got = current.member_v2(member.id).await;
        let (given, family, status) = member.v2();
        let want = (
            given.into(),
            family.into(),
            member.email.clone(),
            status.into(),
        );
        let view = (got.given_name, got.family_name, got.email, got.status);
        assert_eq!(view, want, "v2 reads {}", member.label());
        etags.insert(member.id, got.etag);
    }
    for &team in &ledger.teams {
        let request = v2::GetTeamRequest {
            id: team.to_string(),
        };
        let got = current.v2.get_team(request).await.expect("v2 GetTeam");
        let name = got.into_inner().team.unwrap().display_name;
        assert_eq!(name, PreviousRelease::team_name(team));
        let request = v2::ListMembersRequest {
            team_id: team.to_string(),
            page_size: 100,
            ..Default::default()
        };
        let listed = current
            .v2
            .list_members(request)
            .await
            .expect("v2 ListMembers");
        let listed: BTreeMap<Uuid, (i32, String)> = listed
            .into_inner()
            .members
            .into_iter()
            .map(|m| (m.id.parse().unwrap(), (m.status, m.etag)))
            .collect();
        let want: BTreeMap<Uuid, (i32, String)> = ledger
            .members_of(team)
            .map(|m| (m.id, (m.v2().2.into(), etags[&m.id].clone())))
            .collect();
        assert_eq!(listed, want, "v2 lists team {team}");
    }
}

/// app v1 of the current release: every task, with its assignee, by
/// GetTask and in its team's list.
async fn app_v1(ledger: &Ledger, current: &mut Served) {
    for task in &ledger.tasks {
        let request = app::GetTaskRequest {
            id: task.id.to_string(),
        };
        let got = current
            .tasks
            .get_task(request)
            .await
            .expect("app v1 GetTask");
        let got = got.into_inner().task.unwrap();
        assert_eq!(got.state(), app::TaskState::Todo, "task {}", task.id);
        let assignee = task.assignee.map(|id| id.to_string()).unwrap_or_default();
        let want = (task.team.to_string(), task.title.clone(), assignee);
        assert_eq!(
            (got.team_id, got.title, got.assignee_id),
            want,
            "task {}",
            task.id
        );
    }
    for &team in &ledger.teams {
        let request = app::ListTasksRequest {
            team_id: team.to_string(),
            page_size: 100,
            ..Default::default()
        };
        let listed = current
            .tasks
            .list_tasks(request)
            .await
            .expect("app v1 ListTasks");
        let listed = listed.into_inner().tasks.into_iter();
        let listed: BTreeSet<Uuid> = listed.map(|t| t.id.parse().unwrap()).collect();
        let want: BTreeSet<Uuid> = ledger
            .tasks
            .iter()
            .filter(|t| t.team == team)
            .map(|t| t.id)
            .collect();
        assert_eq!(listed, want, "app v1 lists the tasks of team {team}");
    }
}
