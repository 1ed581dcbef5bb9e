//! `dbrepo.manager.v1.ManagerService`: the original console API. v1 sees one
//! `full_name` and an `archived` flag; the mapping onto the stored member is
//! `core::mapping`'s, this file only converts.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::core::fields::{
    Description, Email, FullName, MemberId, Offset, PageSize, TeamId, TeamName,
};
use crate::core::mapping::{MemberStatus, NameWrite, Precondition, StatusWrite};
use crate::core::page::{PageRequest, PageStart};
use crate::core::sql::manager::{
    ManagerStore, Member, MemberPatch, MemberQuery, NamePatch, NewMember, NewTeam, Team,
};
use crate::core::{Error, OnField};
use crate::proto::manager::v1 as pb;

use super::super::{id_requests, timestamp};

/// The v1 service over a manager store.
#[derive(Debug)]
pub struct ManagerV1Service<M> {
    store: Arc<M>,
}

impl<M: ManagerStore> ManagerV1Service<M> {
    /// A service over `store` (shared with the other versions).
    pub fn new(store: Arc<M>) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl<M: ManagerStore> pb::manager_service_server::ManagerService for ManagerV1Service<M> {
    async fn create_team(
        &self,
        request: Request<pb::CreateTeamRequest>,
    ) -> Result<Response<pb::CreateTeamResponse>, Status> {
        let team = self
            .store
            .create_team(request.into_inner().try_into()?)
            .await?;
        Ok(Response::new(pb::CreateTeamResponse {
            team: Some(team_to_pb(team)),
        }))
    }

    async fn get_team(
        &self,
        request: Request<pb::GetTeamRequest>,
    ) -> Result<Response<pb::GetTeamResponse>, Status> {
        let team = self
            .store
            .get_team(request.into_inner().try_into()?)
            .await?;
        Ok(Response::new(pb::GetTeamResponse {
            team: Some(team_to_pb(team)),
        }))
    }

    async fn list_teams(
        &self,
        request: Request<pb::ListTeamsRequest>,
    ) -> Result<Response<pb::ListTeamsResponse>, Status> {
        let page = self
            .store
            .list_teams(request.into_inner().try_into()?)
            .await?;
        let teams = page.items.into_iter().map(team_to_pb).collect();
        Ok(Response::new(pb::ListTeamsResponse { teams }))
    }

    async fn create_member(
        &self,
        request: Request<pb::CreateMemberRequest>,
    ) -> Result<Response<pb::CreateMemberResponse>, Status> {
        let member = self
            .store
            .create_member(request.into_inner().try_into()?)
            .await?;
        Ok(Response::new(pb::CreateMemberResponse {
            member: Some(member_to_pb(member)),
        }))
    }

    async fn get_member(
        &self,
        request: Request<pb::GetMemberRequest>,
    ) -> Result<Response<pb::GetMemberResponse>, Status> {
        let member = self
            .store
            .get_member(request.into_inner().try_into()?)
            .await?;
        Ok(Response::new(pb::GetMemberResponse {
            member: Some(member_to_pb(member)),
        }))
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        let page = self
            .store
            .list_members(request.into_inner().try_into()?)
            .await?;
        let members = page.items.into_iter().map(member_to_pb).collect();
        Ok(Response::new(pb::ListMembersResponse { members }))
    }

    async fn update_member(
        &self,
        request: Request<pb::UpdateMemberRequest>,
    ) -> Result<Response<pb::UpdateMemberResponse>, Status> {
        let Update(id, patch) = request.into_inner().try_into()?;
        let member = self
            .store
            .update_member(id, patch, Precondition::None)
            .await?;
        Ok(Response::new(pb::UpdateMemberResponse {
            member: Some(member_to_pb(member)),
        }))
    }

    async fn delete_member(
        &self,
        request: Request<pb::DeleteMemberRequest>,
    ) -> Result<Response<pb::DeleteMemberResponse>, Status> {
        let id = request.into_inner().try_into()?;
        self.store.delete_member(id, Precondition::None).await?;
        Ok(Response::new(pb::DeleteMemberResponse {}))
    }
}

id_requests! {
    pb::GetTeamRequest => TeamId,
    pb::GetMemberRequest => MemberId,
    pb::DeleteMemberRequest => MemberId,
}

impl TryFrom<pb::CreateTeamRequest> for NewTeam {
    type Error = Error;

    fn try_from(r: pb::CreateTeamRequest) -> Result<Self, Error> {
        Ok(NewTeam {
            name: TeamName::parse(r.name).field("name")?,
            description: Description::parse(r.description).field("description")?,
        })
    }
}

impl<C> TryFrom<pb::ListTeamsRequest> for PageRequest<C> {
    type Error = Error;

    fn try_from(r: pb::ListTeamsRequest) -> Result<Self, Error> {
        offset_page(r.offset, r.limit)
    }
}

impl TryFrom<pb::CreateMemberRequest> for NewMember {
    type Error = Error;

    fn try_from(r: pb::CreateMemberRequest) -> Result<Self, Error> {
        Ok(NewMember {
            team_id: TeamId::parse(&r.team_id).field("team_id")?,
            names: NameWrite::FullName(FullName::parse(&r.full_name).field("full_name")?),
            email: Email::parse(r.email).field("email")?,
            status: MemberStatus::Active,
        })
    }
}

/// v1 lists active and suspended members, or every member with
/// `include_archived`.
impl TryFrom<pb::ListMembersRequest> for MemberQuery {
    type Error = Error;

    fn try_from(r: pb::ListMembersRequest) -> Result<Self, Error> {
        let statuses = if r.include_archived {
            Vec::new()
        } else {
            vec![MemberStatus::Active, MemberStatus::Suspended]
        };
        Ok(MemberQuery {
            team_id: TeamId::parse(&r.team_id).field("team_id")?,
            statuses,
            page: offset_page(r.offset, r.limit)?,
        })
    }
}

/// Which member an update changes, and how.
struct Update(MemberId, MemberPatch);

impl TryFrom<pb::UpdateMemberRequest> for Update {
    type Error = Error;

    fn try_from(r: pb::UpdateMemberRequest) -> Result<Self, Error> {
        let id = MemberId::parse(&r.id).field("id")?;
        let full_name = r.full_name.as_deref().map(FullName::parse).transpose();
        let patch = MemberPatch {
            names: full_name.field("full_name")?.map(NamePatch::FullName),
            email: r.email.map(Email::parse).transpose().field("email")?,
            status: r.archived.map(StatusWrite::V1Archived),
        };
        Ok(Update(id, patch))
    }
}

/// v1's offset/limit as a core page request.
fn offset_page<C>(offset: i32, limit: i32) -> Result<PageRequest<C>, Error> {
    Ok(PageRequest {
        start: PageStart::Offset(Offset::parse(offset).field("offset")?),
        size: PageSize::parse(limit).field("limit")?,
    })
}

fn team_to_pb(team: Team) -> pb::Team {
    pb::Team {
        id: team.id.to_string(),
        name: team.name,
        description: team.description,
        create_time: Some(timestamp(team.create_time)),
    }
}

/// v1's view of a member: the stored full name, archived iff ARCHIVED.
fn member_to_pb(member: Member) -> pb::Member {
    pb::Member {
        id: member.id.to_string(),
        team_id: member.team_id.to_string(),
        full_name: member.names.full_name,
        email: member.email,
        archived: member.status.is_archived(),
        create_time: Some(timestamp(member.create_time)),
        update_time: Some(timestamp(member.update_time)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::mapping::StoredNames;

    #[test]
    fn suspended_members_read_as_not_archived() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let member = Member {
            id: MemberId::generate(),
            team_id: TeamId::generate(),
            names: StoredNames {
                full_name: "Mary Ann Smith".into(),
                given_name: Some("Mary Ann".into()),
                family_name: Some("Smith".into()),
            },
            email: "mary@example.org".into(),
            status: MemberStatus::Suspended,
            create_time: now,
            update_time: now,
        };
        let pb = member_to_pb(member);
        assert!(!pb.archived);
        assert_eq!(pb.full_name, "Mary Ann Smith");
    }

    #[test]
    fn negative_offsets_and_large_limits_name_their_field() {
        let err = offset_page::<()>(-1, 10).unwrap_err();
        assert!(err.to_string().starts_with("offset:"));
        let err = offset_page::<()>(0, 101).unwrap_err();
        assert!(err.to_string().starts_with("limit:"));
    }
}
