//! `dbrepo.manager.v2.ManagerService`: split names, a status with
//! suspension, etags and keyset pagination, over the same rows as v1. The
//! mapping onto the stored member is `core::mapping`'s; this file converts.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::core::fields::{
    Description, Email, FamilyName, GivenName, MemberId, PageSize, TeamId, TeamName, check_no_nul,
};
use crate::core::mapping::{Etag, MemberStatus, NameWrite, Precondition, StatusWrite};
use crate::core::page::{CreatedCursor, NameCursor, PageRequest};
use crate::core::sql::manager::{
    ManagerStore, Member, MemberPatch, MemberQuery, NamePatch, NewMember, NewTeam, Team,
};
use crate::core::{Error, OnField, Violation};
use crate::proto::manager::v2 as pb;

use super::super::page_token::{self, Listing};
use super::super::{id_requests, known_enum, timestamp};

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
        let Listing { query, key } = request.into_inner().try_into()?;
        let page = self.store.list_teams(query).await?;
        let next_page_token = page_token::next(&key, &page, |last| NameCursor {
            name: last.name.clone(),
            id: last.id,
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
        let Listing { query, key } = request.into_inner().try_into()?;
        let page = self.store.list_members(query).await?;
        let next_page_token = page_token::next(&key, &page, |last| CreatedCursor {
            create_time: last.create_time,
            id: last.id,
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
        let Update(id, patch, precondition) = request.into_inner().try_into()?;
        let member = self.store.update_member(id, patch, precondition).await?;
        Ok(Response::new(pb::UpdateMemberResponse {
            member: Some(member_to_pb(member)),
        }))
    }

    async fn delete_member(
        &self,
        request: Request<pb::DeleteMemberRequest>,
    ) -> Result<Response<pb::DeleteMemberResponse>, Status> {
        let Delete(id, precondition) = request.into_inner().try_into()?;
        self.store.delete_member(id, precondition).await?;
        Ok(Response::new(pb::DeleteMemberResponse {}))
    }
}

id_requests! {
    pb::GetTeamRequest => TeamId,
    pb::GetMemberRequest => MemberId,
}

impl TryFrom<pb::CreateTeamRequest> for NewTeam {
    type Error = Error;

    fn try_from(r: pb::CreateTeamRequest) -> Result<Self, Error> {
        Ok(NewTeam {
            name: TeamName::parse(r.display_name).field("display_name")?,
            description: Description::parse(r.description).field("description")?,
        })
    }
}

impl TryFrom<pb::ListTeamsRequest> for Listing<PageRequest<NameCursor<TeamId>>> {
    type Error = Error;

    fn try_from(r: pb::ListTeamsRequest) -> Result<Self, Error> {
        let size = PageSize::parse(r.page_size).field("page_size")?;
        let start = page_token::start(LIST_TEAMS, &r.page_token)?;
        let query = PageRequest { start, size };
        Ok(Listing {
            query,
            key: LIST_TEAMS.to_owned(),
        })
    }
}

/// A v2 create sets both name parts; an unset status means ACTIVE.
impl TryFrom<pb::CreateMemberRequest> for NewMember {
    type Error = Error;

    fn try_from(r: pb::CreateMemberRequest) -> Result<Self, Error> {
        let status = match r.status {
            0 => MemberStatus::Active,
            n => status_from(n, "status")?,
        };
        Ok(NewMember {
            team_id: TeamId::parse(&r.team_id).field("team_id")?,
            names: NameWrite::Split {
                given: GivenName::parse(r.given_name).field("given_name")?,
                family: FamilyName::parse(r.family_name).field("family_name")?,
            },
            email: Email::parse(r.email).field("email")?,
            status,
        })
    }
}

/// The statuses filter is a set: order and repeats do not change the
/// query, nor its page tokens.
impl TryFrom<pb::ListMembersRequest> for Listing<MemberQuery> {
    type Error = Error;

    fn try_from(r: pb::ListMembersRequest) -> Result<Self, Error> {
        let team_id = TeamId::parse(&r.team_id).field("team_id")?;
        let mut statuses = r
            .statuses
            .iter()
            .map(|&s| status_from(s, "statuses"))
            .collect::<Result<Vec<_>, _>>()?;
        statuses.sort();
        statuses.dedup();
        let size = PageSize::parse(r.page_size).field("page_size")?;
        let key = list_members_key(team_id, &statuses);
        let start = page_token::start(&key, &r.page_token)?;
        let query = MemberQuery {
            team_id,
            statuses,
            page: PageRequest { start, size },
        };
        Ok(Listing { query, key })
    }
}

/// Which member an update changes, how, and on which condition.
struct Update(MemberId, MemberPatch, Precondition);

impl TryFrom<pb::UpdateMemberRequest> for Update {
    type Error = Error;

    fn try_from(r: pb::UpdateMemberRequest) -> Result<Self, Error> {
        let id = MemberId::parse(&r.id).field("id")?;
        let patch = MemberPatch {
            names: NamePatch::parts(
                r.given_name
                    .map(GivenName::parse)
                    .transpose()
                    .field("given_name")?,
                r.family_name
                    .map(FamilyName::parse)
                    .transpose()
                    .field("family_name")?,
            ),
            email: r.email.map(Email::parse).transpose().field("email")?,
            status: r
                .status
                .map(|s| status_from(s, "status"))
                .transpose()?
                .map(StatusWrite::Set),
        };
        Ok(Update(id, patch, precondition(r.etag)?))
    }
}

/// Which member a delete removes, and on which condition.
struct Delete(MemberId, Precondition);

impl TryFrom<pb::DeleteMemberRequest> for Delete {
    type Error = Error;

    fn try_from(r: pb::DeleteMemberRequest) -> Result<Self, Error> {
        let id = MemberId::parse(&r.id).field("id")?;
        Ok(Delete(id, precondition(r.etag)?))
    }
}

/// The text ListMembers tokens fingerprint, spelled exactly as the first
/// release spelled it (the `Debug` text of the sorted statuses; pinned by a
/// test), so a token survives an upgrade or a rollback mid-listing.
fn list_members_key(team: TeamId, statuses: &[MemberStatus]) -> String {
    let statuses: Vec<&str> = statuses
        .iter()
        .map(|status| match status {
            MemberStatus::Active => "Active",
            MemberStatus::Suspended => "Suspended",
            MemberStatus::Archived => "Archived",
        })
        .collect();
    format!(
        "manager.v2.ListMembers|team={team}|statuses=[{}]",
        statuses.join(", ")
    )
}

/// An empty etag means unconditional; any other must be the current one.
/// An etag never reaches the database, but like every string field it may
/// not hold U+0000.
fn precondition(etag: String) -> Result<Precondition, Error> {
    if etag.is_empty() {
        return Ok(Precondition::None);
    }
    check_no_nul(&etag).field("etag")?;
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

    /// Tokens of earlier releases fingerprinted the `Debug` text of the
    /// sorted statuses: the key must stay byte for byte what it was.
    #[test]
    fn list_members_key_is_the_text_earlier_releases_fingerprinted() {
        use MemberStatus::{Active, Archived, Suspended};
        let team = TeamId::generate();
        let sets: [&[MemberStatus]; 5] = [
            &[],
            &[Active],
            &[Suspended],
            &[Archived],
            &[Active, Suspended, Archived],
        ];
        for statuses in sets {
            let earlier = format!("manager.v2.ListMembers|team={team}|statuses={statuses:?}");
            assert_eq!(list_members_key(team, statuses), earlier);
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
