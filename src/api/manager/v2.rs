//! `dbrepo.manager.v2.ManagerService`: split names, a status with
//! suspension, etags and keyset pagination, over the same rows as v1. The
//! mapping onto the stored member is `core::mapping`'s; this file converts.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::core::fields::{
    Description, Email, FamilyName, GivenName, MemberId, PageSize, TeamId, TeamName, check_no_nul,
};
use crate::core::mapping::{Etag, MemberStatus, NameWrite, Precondition, StatusWrite};
use crate::core::page::{CreatedCursor, NameCursor, PageRequest, PageStart};
use crate::core::sql::manager::{
    ManagerStore, Member, MemberPatch, MemberQuery, NamePatch, NewMember, NewTeam, Team,
};
use crate::core::{Error, Violation};
use crate::proto::manager::v2 as pb;

use super::super::page_token::{self, Position};
use super::super::{known_enum, timestamp};

const LIST_TEAMS: &str = "manager.v2.ListTeams";

/// The v2 service over a manager store.
#[derive(Debug)]
pub struct ManagerV2Service<M> {
    store: Arc<M>,
}

impl<M: ManagerStore> ManagerV2Service<M> {
    /// A service over `store` (shared with the other versions).
    pub fn new(store: Arc<M>) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl<M: ManagerStore> pb::manager_service_server::ManagerService for ManagerV2Service<M> {
    async fn create_team(
        &self,
        request: Request<pb::CreateTeamRequest>,
    ) -> Result<Response<pb::CreateTeamResponse>, Status> {
        let r = request.into_inner();
        let team = NewTeam {
            name: TeamName::parse(r.display_name).map_err(|v| v.on("display_name"))?,
            description: Description::parse(r.description).map_err(|v| v.on("description"))?,
        };
        let team = self.store.create_team(team).await?;
        Ok(Response::new(pb::CreateTeamResponse {
            team: Some(team_to_pb(team)),
        }))
    }

    async fn get_team(
        &self,
        request: Request<pb::GetTeamRequest>,
    ) -> Result<Response<pb::GetTeamResponse>, Status> {
        let id = TeamId::parse(&request.into_inner().id).map_err(|v| v.on("id"))?;
        let team = self.store.get_team(id).await?;
        Ok(Response::new(pb::GetTeamResponse {
            team: Some(team_to_pb(team)),
        }))
    }

    async fn list_teams(
        &self,
        request: Request<pb::ListTeamsRequest>,
    ) -> Result<Response<pb::ListTeamsResponse>, Status> {
        let r = request.into_inner();
        let size = PageSize::parse(r.page_size).map_err(|v| v.on("page_size"))?;
        let start = match page_token::decode(LIST_TEAMS, &r.page_token)? {
            None => PageStart::First,
            Some(p) => PageStart::After(NameCursor {
                name: p.name,
                id: TeamId(p.id),
            }),
        };
        let page = self.store.list_teams(PageRequest { start, size }).await?;
        let next_page_token = page_token::after(LIST_TEAMS, &page, |last| Position {
            name: last.name.clone(),
            time: time::OffsetDateTime::UNIX_EPOCH,
            id: last.id.0,
        });
        let teams = page.items.into_iter().map(team_to_pb).collect();
        Ok(Response::new(pb::ListTeamsResponse {
            teams,
            next_page_token,
        }))
    }

    async fn create_member(
        &self,
        request: Request<pb::CreateMemberRequest>,
    ) -> Result<Response<pb::CreateMemberResponse>, Status> {
        let r = request.into_inner();
        let status = match r.status {
            0 => MemberStatus::Active,
            n => status_from(n, "status")?,
        };
        let member = NewMember {
            team_id: TeamId::parse(&r.team_id).map_err(|v| v.on("team_id"))?,
            names: NameWrite::Split {
                given: GivenName::parse(r.given_name).map_err(|v| v.on("given_name"))?,
                family: FamilyName::parse(r.family_name).map_err(|v| v.on("family_name"))?,
            },
            email: Email::parse(r.email).map_err(|v| v.on("email"))?,
            status,
        };
        let member = self.store.create_member(member).await?;
        Ok(Response::new(pb::CreateMemberResponse {
            member: Some(member_to_pb(member)),
        }))
    }

    async fn get_member(
        &self,
        request: Request<pb::GetMemberRequest>,
    ) -> Result<Response<pb::GetMemberResponse>, Status> {
        let id = MemberId::parse(&request.into_inner().id).map_err(|v| v.on("id"))?;
        let member = self.store.get_member(id).await?;
        Ok(Response::new(pb::GetMemberResponse {
            member: Some(member_to_pb(member)),
        }))
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        let r = request.into_inner();
        let team_id = TeamId::parse(&r.team_id).map_err(|v| v.on("team_id"))?;
        let mut statuses = r
            .statuses
            .iter()
            .map(|&s| status_from(s, "statuses"))
            .collect::<Result<Vec<_>, _>>()?;
        statuses.sort();
        statuses.dedup();
        let size = PageSize::parse(r.page_size).map_err(|v| v.on("page_size"))?;
        let query_key = format!("manager.v2.ListMembers|team={team_id}|statuses={statuses:?}");
        let start = match page_token::decode(&query_key, &r.page_token)? {
            None => PageStart::First,
            Some(p) => PageStart::After(CreatedCursor {
                create_time: p.time,
                id: MemberId(p.id),
            }),
        };
        let page = self
            .store
            .list_members(MemberQuery {
                team_id,
                statuses,
                page: PageRequest { start, size },
            })
            .await?;
        let next_page_token = page_token::after(&query_key, &page, |last| Position {
            name: String::new(),
            time: last.create_time,
            id: last.id.0,
        });
        let members = page.items.into_iter().map(member_to_pb).collect();
        Ok(Response::new(pb::ListMembersResponse {
            members,
            next_page_token,
        }))
    }

    async fn update_member(
        &self,
        request: Request<pb::UpdateMemberRequest>,
    ) -> Result<Response<pb::UpdateMemberResponse>, Status> {
        let r = request.into_inner();
        let id = MemberId::parse(&r.id).map_err(|v| v.on("id"))?;
        let patch = MemberPatch {
            names: NamePatch::parts(
                r.given_name
                    .map(GivenName::parse)
                    .transpose()
                    .map_err(|v| v.on("given_name"))?,
                r.family_name
                    .map(FamilyName::parse)
                    .transpose()
                    .map_err(|v| v.on("family_name"))?,
            ),
            email: r
                .email
                .map(Email::parse)
                .transpose()
                .map_err(|v| v.on("email"))?,
            status: r
                .status
                .map(|s| status_from(s, "status"))
                .transpose()?
                .map(StatusWrite::Set),
        };
        let member = self
            .store
            .update_member(id, patch, precondition(r.etag)?)
            .await?;
        Ok(Response::new(pb::UpdateMemberResponse {
            member: Some(member_to_pb(member)),
        }))
    }

    async fn delete_member(
        &self,
        request: Request<pb::DeleteMemberRequest>,
    ) -> Result<Response<pb::DeleteMemberResponse>, Status> {
        let r = request.into_inner();
        let id = MemberId::parse(&r.id).map_err(|v| v.on("id"))?;
        self.store.delete_member(id, precondition(r.etag)?).await?;
        Ok(Response::new(pb::DeleteMemberResponse {}))
    }
}

/// An empty etag means unconditional; any other must be the current one.
/// An etag never reaches the database, but like every string field it may
/// not hold U+0000.
fn precondition(etag: String) -> Result<Precondition, Error> {
    if etag.is_empty() {
        return Ok(Precondition::None);
    }
    check_no_nul(&etag).map_err(|v| v.on("etag"))?;
    Ok(Precondition::Etag(Etag::from_client(etag)))
}

/// A v2 status number as a core status; UNSPECIFIED and unknown numbers are
/// violations of `field`.
fn status_from(value: i32, field: &'static str) -> Result<MemberStatus, Error> {
    match known_enum::<pb::MemberStatus>(value, field)? {
        pb::MemberStatus::Active => Ok(MemberStatus::Active),
        pb::MemberStatus::Suspended => Ok(MemberStatus::Suspended),
        pb::MemberStatus::Archived => Ok(MemberStatus::Archived),
        pb::MemberStatus::Unspecified => Err(Violation("must be specified".into()).on(field)),
    }
}

fn status_to_pb(status: MemberStatus) -> pb::MemberStatus {
    match status {
        MemberStatus::Active => pb::MemberStatus::Active,
        MemberStatus::Suspended => pb::MemberStatus::Suspended,
        MemberStatus::Archived => pb::MemberStatus::Archived,
    }
}

fn team_to_pb(team: Team) -> pb::Team {
    pb::Team {
        id: team.id.to_string(),
        display_name: team.name,
        description: team.description,
        create_time: Some(timestamp(team.create_time)),
    }
}

/// v2's view of a member: stored names, or the split of a v1-written name.
fn member_to_pb(member: Member) -> pb::Member {
    let (given_name, family_name) = member.names.v2_view();
    pb::Member {
        etag: member.etag().as_str().to_owned(),
        id: member.id.to_string(),
        team_id: member.team_id.to_string(),
        given_name,
        family_name,
        email: member.email,
        status: status_to_pb(member.status).into(),
        create_time: Some(timestamp(member.create_time)),
        update_time: Some(timestamp(member.update_time)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_reject_unspecified_and_unknown_numbers() {
        assert_eq!(status_from(2, "status").unwrap(), MemberStatus::Suspended);
        for bad in [0, 4, 99, -1] {
            let err = status_from(bad, "statuses").unwrap_err();
            assert!(err.to_string().starts_with("statuses:"), "{bad}");
        }
    }

    #[test]
    fn empty_etag_is_unconditional() {
        assert_eq!(precondition(String::new()).unwrap(), Precondition::None);
        assert!(matches!(
            precondition("abc".into()).unwrap(),
            Precondition::Etag(_)
        ));
        let err = precondition("a\0b".into()).unwrap_err();
        assert!(err.to_string().starts_with("etag:"), "{err}");
    }
}
