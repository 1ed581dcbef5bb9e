//! What a case has written so far, through which version, and what every
//! version must read of it at each later step.

use dbrepo::proto::app::v1 as app;
use dbrepo::proto::manager::v2::MemberStatus as Status;
use dbrepo::proto::manager::{v1, v2};
use uuid::Uuid;

use super::dataset::{Api, Change, Create, ROWS, Row, V2View};
use super::served::Served;
use crate::previous_release::PreviousRelease;

/// A member the case wrote.
#[derive(Debug)]
pub struct WrittenMember {
    /// Its id.
    pub id: Uuid,
    /// Its team.
    pub team: Uuid,
    /// The email as written.
    pub email: String,
    /// The dataset row it was written from.
    pub row: &'static Row,
    /// True once a down step dropped its v2-only detail.
    pub lost_v2_detail: bool,
}

impl WrittenMember {
    /// What v1 must read: full name, email, archived.
    pub fn v1(&self) -> (String, String, bool) {
        let (full_name, archived) = self.row.v1;
        (full_name.into(), self.email.clone(), archived)
    }

    /// What v2 must read.
    pub fn v2(&self) -> V2View {
        match self.row.v2_after_loss {
            Some(view) if self.lost_v2_detail => view,
            _ => self.row.v2,
        }
    }

    /// A label for assertion messages.
    pub fn label(&self) -> String {
        format!("{} ({})", self.row.why, self.id)
    }
}

/// A task the case wrote.
#[derive(Debug)]
pub struct WrittenTask {
    /// Its id.
    pub id: Uuid,
    /// Its team.
    pub team: Uuid,
    /// Its title.
    pub title: String,
    /// Its assignee, an ACTIVE member when written.
    pub assignee: Option<Uuid>,
}

/// Everything a case has written.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Teams, each written by the previous release.
    pub teams: Vec<Uuid>,
    /// Members, in creation order.
    pub members: Vec<WrittenMember>,
    /// Tasks, in creation order.
    pub tasks: Vec<WrittenTask>,
}

impl Ledger {
    /// A down step below 0002 dropped every member's v2-only detail.
    pub fn forget_v2_detail(&mut self) {
        for member in &mut self.members {
            member.lost_v2_detail = true;
        }
    }

    /// The members of `team`.
    pub fn members_of(&self, team: Uuid) -> impl Iterator<Item = &WrittenMember> {
        self.members.iter().filter(move |m| m.team == team)
    }

    /// Writes a new team and every dataset row whose writers are `served`,
    /// then (when app v1 is served) a task for each ACTIVE one and one
    /// unassigned task. `current` serves the current release, if it runs.
    pub async fn write(
        &mut self,
        served: &[Api],
        old: &PreviousRelease,
        mut current: Option<&mut Served>,
    ) {
        if !served.contains(&Api::PreviousManagerV1) {
            return;
        }
        let team = old.create_team().await;
        self.teams.push(team);
        for row in ROWS.iter().filter(|row| row.writable_with(served)) {
            let (id, email) = create(&row.create, team, old, current.as_deref_mut()).await;
            if let Some(change) = &row.change {
                apply(change, id, old, current.as_deref_mut()).await;
            }
            self.members.push(WrittenMember {
                id,
                team,
                email,
                row,
                lost_v2_detail: false,
            });
        }
        if let (true, Some(current)) = (served.contains(&Api::AppV1), current) {
            self.write_tasks(team, current).await;
        }
    }

    async fn write_tasks(&mut self, team: Uuid, current: &mut Served) {
        let active: Vec<Uuid> = self
            .members_of(team)
            .filter(|m| m.v2().2 == Status::Active)
            .map(|m| m.id)
            .collect();
        for assignee in active.into_iter().map(Some).chain([None]) {
            let title = format!("task {}", Uuid::new_v4());
            let request = app::CreateTaskRequest {
                team_id: team.to_string(),
                title: title.clone(),
                assignee_id: assignee.map(|id| id.to_string()),
                ..Default::default()
            };
            let task = current.tasks.create_task(request).await;
            let task = task.expect("app v1 CreateTask").into_inner().task.unwrap();
            self.tasks.push(WrittenTask {
                id: task.id.parse().unwrap(),
                team,
                title,
                assignee,
            });
        }
    }
}

fn current_release(current: Option<&mut Served>) -> &mut Served {
    current.expect("a row the current release writes, written without it")
}

/// Creates the member; returns its id and email.
async fn create(
    create: &Create,
    team: Uuid,
    old: &PreviousRelease,
    current: Option<&mut Served>,
) -> (Uuid, String) {
    let email = format!("M.{}@Example.org", Uuid::new_v4().simple());
    let member_id = |id: String| id.parse::<Uuid>().expect("member id");
    match *create {
        Create::Previous {
            full_name,
            archived,
        } => {
            let id = old.create_member(team, full_name, archived).await;
            (id, PreviousRelease::email(id))
        }
        Create::V1 { full_name } => {
            let request = v1::CreateMemberRequest {
                team_id: team.to_string(),
                full_name: full_name.into(),
                email: email.clone(),
            };
            let created = current_release(current).v1.create_member(request).await;
            let member = created.expect("v1 CreateMember").into_inner().member;
            (member_id(member.unwrap().id), email)
        }
        Create::V2 {
            given,
            family,
            status,
        } => {
            let request = v2::CreateMemberRequest {
                team_id: team.to_string(),
                given_name: given.into(),
                family_name: family.into(),
                email: email.clone(),
                status: status.into(),
            };
            let created = current_release(current).v2.create_member(request).await;
            let member = created.expect("v2 CreateMember").into_inner().member;
            (member_id(member.unwrap().id), email)
        }
    }
}

/// Applies the change to member `id`.
async fn apply(change: &Change, id: Uuid, old: &PreviousRelease, current: Option<&mut Served>) {
    match *change {
        Change::PreviousRename(full_name) => old.rename(id, full_name).await,
        Change::PreviousArchived(archived) => old.set_archived(id, archived).await,
        Change::V1 {
            full_name,
            archived,
        } => {
            let request = v1::UpdateMemberRequest {
                id: id.to_string(),
                full_name: full_name.map(Into::into),
                email: None,
                archived,
            };
            let updated = current_release(current).v1.update_member(request).await;
            updated.expect("v1 UpdateMember");
        }
        Change::V2 {
            given,
            family,
            status,
        } => {
            let request = v2::UpdateMemberRequest {
                id: id.to_string(),
                etag: String::new(),
                given_name: given.map(Into::into),
                family_name: family.map(Into::into),
                email: None,
                status: status.map(Into::into),
            };
            let updated = current_release(current).v2.update_member(request).await;
            updated.expect("v2 UpdateMember");
        }
    }
}
