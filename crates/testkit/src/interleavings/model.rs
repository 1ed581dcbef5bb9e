//! A pure model of one member, written from DOMAIN.md's rules 2–3 ("How v1
//! and v2 see the same member") on its own: it shares only the pure split
//! and join functions with the service, never the patch logic under test,
//! so a bug there cannot hide in both.

use dbrepo::core::mapping::{join_names, split_full_name};
use dbrepo::proto::manager::v2::MemberStatus;
use dbrepo::proto::manager::{v1, v2};

/// What v1 reads of a member.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct V1View {
    /// v1's one name.
    pub full_name: String,
    /// The email as written.
    pub email: String,
    /// True exactly when the status is ARCHIVED.
    pub archived: bool,
}

/// What v2 reads of a member (the etag is checked apart: the model cannot
/// predict its value, only when it must change).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct V2View {
    /// v2's given name.
    pub given_name: String,
    /// v2's family name, possibly empty.
    pub family_name: String,
    /// The email as written.
    pub email: String,
    /// The full status, SUSPENDED included.
    pub status: MemberStatus,
}

/// Everything either version can see of one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberModel {
    full_name: String,
    given_name: String,
    family_name: String,
    email: String,
    status: MemberStatus,
}

impl MemberModel {
    /// A member created by v1 (or by the previous release, which also knew
    /// an archived flag): the name trimmed, v2 sees its split.
    pub fn v1_created(full_name: &str, email: &str, archived: bool) -> Self {
        let full_name = full_name.trim().to_owned();
        let (given_name, family_name) = split_full_name(&full_name);
        let status = if archived {
            MemberStatus::Archived
        } else {
            MemberStatus::Active
        };
        Self {
            full_name,
            given_name,
            family_name,
            email: email.to_owned(),
            status,
        }
    }

    /// A member created by v2: names kept exactly, v1 sees their join, an
    /// unspecified status means ACTIVE.
    pub fn v2_created(
        given_name: &str,
        family_name: &str,
        email: &str,
        status: MemberStatus,
    ) -> Self {
        let status = match status {
            MemberStatus::Unspecified => MemberStatus::Active,
            other => other,
        };
        Self {
            full_name: join_names(given_name, family_name),
            given_name: given_name.to_owned(),
            family_name: family_name.to_owned(),
            email: email.to_owned(),
            status,
        }
    }

    /// A v1 update (and any write of the previous release, rule 5).
    pub fn v1_update(
        &mut self,
        full_name: Option<&str>,
        email: Option<&str>,
        archived: Option<bool>,
    ) {
        if let Some(written) = full_name.map(str::trim) {
            // Writing back the current name must not lose v2's own split.
            if written != self.full_name {
                self.full_name = written.to_owned();
                (self.given_name, self.family_name) = split_full_name(written);
            }
        }
        if let Some(email) = email {
            self.email = email.to_owned();
        }
        match archived {
            Some(true) => self.status = MemberStatus::Archived,
            // Un-archiving must not touch a status v1 cannot see.
            Some(false) if self.status == MemberStatus::Archived => {
                self.status = MemberStatus::Active;
            }
            Some(false) | None => {}
        }
    }

    /// A v2 update: a name left out keeps its value, v1 sees the new join.
    pub fn v2_update(
        &mut self,
        given_name: Option<&str>,
        family_name: Option<&str>,
        email: Option<&str>,
        status: Option<MemberStatus>,
    ) {
        if given_name.is_some() || family_name.is_some() {
            if let Some(given) = given_name {
                self.given_name = given.to_owned();
            }
            if let Some(family) = family_name {
                self.family_name = family.to_owned();
            }
            self.full_name = join_names(&self.given_name, &self.family_name);
        }
        if let Some(email) = email {
            self.email = email.to_owned();
        }
        if let Some(status) = status {
            self.status = status;
        }
    }

    /// The current v1 name, which "unchanged" writes start from.
    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    /// The current email, which re-casing writes start from.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// What v1 must read.
    pub fn v1_view(&self) -> V1View {
        V1View {
            full_name: self.full_name.clone(),
            email: self.email.clone(),
            archived: self.status == MemberStatus::Archived,
        }
    }

    /// What v2 must read.
    pub fn v2_view(&self) -> V2View {
        V2View {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            email: self.email.clone(),
            status: self.status,
        }
    }
}

/// What v1 returned, in the model's terms.
pub fn v1_view(member: &v1::Member) -> V1View {
    V1View {
        full_name: member.full_name.clone(),
        email: member.email.clone(),
        archived: member.archived,
    }
}

/// What v2 returned, in the model's terms (an unknown status reads as
/// UNSPECIFIED, which the model never holds).
pub fn v2_view(member: &v2::Member) -> V2View {
    V2View {
        given_name: member.given_name.clone(),
        family_name: member.family_name.clone(),
        email: member.email.clone(),
        status: member.status(),
    }
}
