//! Teams and members: the `manager` schema's rows as the latest schema
//! shapes them, and the store trait over them.
//!
//! Must not import tonic, prost or sqlx.

use std::future::Future;

use time::OffsetDateTime;

use crate::core::error::Result;
use crate::core::fields::{
    Description, Email, FamilyName, FullName, GivenName, MemberId, TeamId, TeamName,
};
use crate::core::mapping::{
    Etag, MemberStatus, NameWrite, Precondition, StatusWrite, StoredNames, join_names,
};
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
    /// New names, in one version's terms.
    pub names: Option<NamePatch>,
    /// New email.
    pub email: Option<Email>,
    /// New status.
    pub status: Option<StatusWrite>,
}

/// How a patch renames a member: in v1's terms or in v2's, never mixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePatch {
    /// v1: a new full name (re-derives v2's names only when it differs).
    FullName(FullName),
    /// v2: a new given name and/or family name; the one not given stays.
    Parts {
        /// The new given name, if any.
        given_name: Option<GivenName>,
        /// The new family name, if any.
        family_name: Option<FamilyName>,
    },
}

impl NamePatch {
    /// v2's optional given and family names as a patch, `None` when
    /// neither is given.
    pub fn parts(given_name: Option<GivenName>, family_name: Option<FamilyName>) -> Option<Self> {
        (given_name.is_some() || family_name.is_some()).then_some(Self::Parts {
            given_name,
            family_name,
        })
    }

    /// `current`'s names after this patch.
    fn apply(&self, current: &StoredNames) -> StoredNames {
        match self {
            Self::FullName(full) => NameWrite::FullName(full.clone()).apply(current),
            Self::Parts {
                given_name,
                family_name,
            } => {
                let (given, family) = current.v2_view();
                let given = given_name.as_ref().map_or(given, |g| g.as_str().to_owned());
                let family = family_name
                    .as_ref()
                    .map_or(family, |f| f.as_str().to_owned());
                StoredNames {
                    full_name: join_names(&given, &family),
                    given_name: Some(given),
                    family_name: Some(family),
                }
            }
        }
    }
}

impl MemberPatch {
    /// The member after this patch, except `update_time`, which the store
    /// sets. Every store computes updates with this one function, on the
    /// current row read under a row lock, so no store can apply the
    /// cross-version rules differently.
    pub fn apply(&self, current: &Member) -> Member {
        let mut next = current.clone();
        if let Some(names) = &self.names {
            next.names = names.apply(&current.names);
        }
        if let Some(email) = &self.email {
            next.email = email.as_str().to_owned();
        }
        if let Some(status) = self.status {
            next.status = status.apply(current.status);
        }
        next
    }
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

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    fn member(names: NameWrite, status: MemberStatus) -> Member {
        let now = OffsetDateTime::UNIX_EPOCH;
        Member {
            id: MemberId::generate(),
            team_id: TeamId::generate(),
            names: names.for_new_member(),
            email: "ada@example.org".into(),
            status,
            create_time: now,
            update_time: now,
        }
    }

    fn v1_written(full: &str) -> Member {
        member(
            NameWrite::FullName(FullName::parse(full).unwrap()),
            MemberStatus::Active,
        )
    }

    #[test]
    fn v2_given_name_alone_keeps_the_derived_family_name() {
        let current = v1_written("Mary Ann Smith");
        let patch = MemberPatch {
            names: NamePatch::parts(Some(GivenName::parse("Marianne".into()).unwrap()), None),
            ..MemberPatch::default()
        };
        let next = patch.apply(&current);
        assert_eq!(
            next.names.v2_view(),
            ("Marianne".into(), "Ann Smith".into())
        );
        assert_eq!(next.names.full_name, "Marianne Ann Smith");
    }

    #[test]
    fn v2_family_name_alone_keeps_the_given_name() {
        let current = v1_written("Madonna");
        let patch = MemberPatch {
            names: NamePatch::parts(None, Some(FamilyName::parse("Ciccone".into()).unwrap())),
            ..MemberPatch::default()
        };
        assert_eq!(patch.apply(&current).names.full_name, "Madonna Ciccone");
    }

    #[test]
    fn empty_patch_changes_nothing_but_the_store_set_fields() {
        let current = v1_written("Ada Lovelace");
        assert_eq!(MemberPatch::default().apply(&current), current);
    }

    #[test]
    fn v1_archived_false_keeps_suspended_through_a_patch() {
        let mut current = v1_written("Ada Lovelace");
        current.status = MemberStatus::Suspended;
        let patch = MemberPatch {
            status: Some(StatusWrite::V1Archived(false)),
            ..MemberPatch::default()
        };
        assert_eq!(patch.apply(&current).status, MemberStatus::Suspended);
    }
}
