//! Teams and members: the `manager` schema's rows as the latest schema
//! shapes them, and the store trait over them.
//!
//! Must not import tonic, prost or sqlx.

use std::future::Future;

use time::OffsetDateTime;

use crate::core::error::Result;
use crate::core::fields::{Description, Email, MemberId, TeamId, TeamName};
use crate::core::mapping::{Etag, MemberStatus, NameWrite, Precondition, StatusWrite, StoredNames};
use crate::core::page::{CreatedCursor, NameCursor, Page, PageRequest};

/// A stored team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// The team's id.
    pub id: TeamId,
    /// v1 `name`, v2 `display_name`.
    pub name: String,
    /// Free text.
    pub description: String,
    /// When the team was created.
    pub create_time: OffsetDateTime,
    /// When the team was last changed.
    pub update_time: OffsetDateTime,
}

/// What it takes to create a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    /// The name, unique case-insensitively.
    pub name: TeamName,
    /// The description.
    pub description: Description,
}

/// A stored member, with the columns every version reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member's id.
    pub id: MemberId,
    /// The member's team.
    pub team_id: TeamId,
    /// The name columns as stored; see [`StoredNames::v2_view`].
    pub names: StoredNames,
    /// The email as written.
    pub email: String,
    /// The member's status (v1 sees `status.is_archived()`).
    pub status: MemberStatus,
    /// When the member was created.
    pub create_time: OffsetDateTime,
    /// When the member was last changed, by any writer.
    pub update_time: OffsetDateTime,
}

impl Member {
    /// The member's current etag.
    pub fn etag(&self) -> Etag {
        Etag::for_update_time(self.update_time)
    }
}

/// What it takes to create a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    /// An existing team (NOT_FOUND otherwise).
    pub team_id: TeamId,
    /// The names, as the creating version writes them.
    pub names: NameWrite,
    /// The email, unique within the team case-insensitively.
    pub email: Email,
    /// The initial status.
    pub status: MemberStatus,
}

/// Changes to a member; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberPatch {
    /// New names.
    pub names: Option<NameWrite>,
    /// New email.
    pub email: Option<Email>,
    /// New status.
    pub status: Option<StatusWrite>,
}

/// Which members a list returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberQuery {
    /// An existing team (NOT_FOUND otherwise).
    pub team_id: TeamId,
    /// Only members with one of these statuses; empty means all.
    pub statuses: Vec<MemberStatus>,
    /// Which page, ordered by create time, then id.
    pub page: PageRequest<MemberCursor>,
}

/// A position in a team's member list.
pub type MemberCursor = CreatedCursor<MemberId>;

/// A position in the team list.
pub type TeamCursor = NameCursor<TeamId>;

/// The operations the manager API versions need.
///
/// Contract (checked by the shared suite for every implementation):
/// - team names are unique case-insensitively, emails unique within a team
///   case-insensitively: ALREADY_EXISTS;
/// - unknown ids are NOT_FOUND (a list of an unknown team too);
/// - `update_time` strictly increases on every update, so the etag changes;
/// - a [`Precondition::Etag`] that does not match is ABORTED and changes
///   nothing, but an unknown id is NOT_FOUND first;
/// - deleting a member unassigns its tasks;
/// - teams list by lower-cased name (byte order), then id; members by create
///   time, then id.
pub trait ManagerStore: Send + Sync + 'static {
    /// Creates a team.
    fn create_team(&self, team: NewTeam) -> impl Future<Output = Result<Team>> + Send;
    /// Reads a team.
    fn get_team(&self, id: TeamId) -> impl Future<Output = Result<Team>> + Send;
    /// Lists teams.
    fn list_teams(
        &self,
        page: PageRequest<TeamCursor>,
    ) -> impl Future<Output = Result<Page<Team>>> + Send;
    /// Creates a member in an existing team.
    fn create_member(&self, member: NewMember) -> impl Future<Output = Result<Member>> + Send;
    /// Reads a member.
    fn get_member(&self, id: MemberId) -> impl Future<Output = Result<Member>> + Send;
    /// Lists the members of an existing team.
    fn list_members(&self, query: MemberQuery)
    -> impl Future<Output = Result<Page<Member>>> + Send;
    /// Applies `patch` when `precondition` holds; returns the member after it.
    fn update_member(
        &self,
        id: MemberId,
        patch: MemberPatch,
        precondition: Precondition,
    ) -> impl Future<Output = Result<Member>> + Send;
    /// Deletes a member when `precondition` holds, unassigning its tasks.
    fn delete_member(
        &self,
        id: MemberId,
        precondition: Precondition,
    ) -> impl Future<Output = Result<()>> + Send;
}
