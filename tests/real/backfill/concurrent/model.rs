//! What the racing clients send, what they were told, and a model of one
//! member that replays acknowledged writes by DOMAIN.md's mapping rules,
//! written from the spec rather than from the service's own patch code.

use dbrepo::core::mapping::{join_names, split_full_name};
use dbrepo::proto::manager::v2::MemberStatus;
use dbrepo::proto::manager::{v1, v2};
use prost_types::Timestamp;
use uuid::Uuid;

/// A member as the previous release wrote it, before any race.
pub struct Seeded {
    /// The member's id.
    pub id: Uuid,
    /// v1's name as written.
    pub full_name: String,
    /// The email as written.
    pub email: String,
    /// v1's status as written.
    pub archived: bool,
}

/// One acknowledged UpdateMember: the request and the member it returned.
#[derive(Debug, Clone)]
pub enum Ack {
    /// A v1 UpdateMember and the v1 member it returned.
    V1 {
        sent: v1::UpdateMemberRequest,
        got: v1::Member,
    },
    /// A v2 UpdateMember and the v2 member it returned.
    V2 {
        sent: v2::UpdateMemberRequest,
        got: v2::Member,
    },
}

/// v1's view of a member: full name, email, archived.
pub type V1View = (String, String, bool);
/// v2's view of a member: given name, family name, email, status.
pub type V2View = (String, String, String, i32);

/// A v1 update numbered `n`. Kind 0 renames (white space to trim and an
/// ideographic space to split at) and sometimes archives; kind 1 changes
/// only the email's case and `archived`, so v2's names must stay put.
pub fn v1_request(member: &Seeded, n: u32, kind: u32) -> v1::UpdateMemberRequest {
    let (full_name, email, archived) = match kind {
        0 => {
            let name = format!("  V1n{n}\u{3000}Race  Name\t");
            (Some(name), None, n.is_multiple_of(3).then_some(true))
        }
        _ => (
            None,
            Some(email_variant(&member.email, n)),
            Some(n.is_multiple_of(2)),
        ),
    };
    v1::UpdateMemberRequest {
        id: member.id.to_string(),
        full_name,
        email,
        archived,
    }
}

/// A v2 update numbered `n`, unconditional. Kind 0 writes both names and
/// sometimes suspends; kind 1 writes the family name (so v1's full name
/// joins it to whatever given name is current) and a status.
pub fn v2_request(member: &Seeded, n: u32, kind: u32) -> v2::UpdateMemberRequest {
    let statuses = [
        MemberStatus::Suspended,
        MemberStatus::Archived,
        MemberStatus::Active,
    ];
    let (given_name, family_name, status) = match kind {
        0 => {
            let suspend = n.is_multiple_of(2).then_some(MemberStatus::Suspended);
            (Some(format!("V2n{n}")), Some("Van Dyke".into()), suspend)
        }
        _ => (
            None,
            Some(format!("Fam{n}")),
            Some(statuses[n as usize % 3]),
        ),
    };
    v2::UpdateMemberRequest {
        id: member.id.to_string(),
        etag: String::new(),
        given_name,
        family_name,
        email: None,
        status: status.map(Into::into),
    }
}

/// `email` with its domain's letters upper-cased by the bits of `n`: the
/// same address (no uniqueness clash) but a different stored value per `n`.
fn email_variant(email: &str, n: u32) -> String {
    let (local, domain) = email.split_once('@').expect("an email");
    let letters = domain.chars().filter(char::is_ascii_alphabetic).count();
    assert!(n < 1 << letters, "not enough letters for {n}");
    let mut bit = 0;
    let domain: String = domain
        .chars()
        .map(|c| {
            if !c.is_ascii_alphabetic() {
                return c;
            }
            bit += 1;
            if n & (1 << (bit - 1)) != 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    format!("{local}@{domain}")
}

/// A timestamp as a sortable key; every member response carries one.
pub fn time_key(time: Option<&Timestamp>) -> (i64, i32) {
    let time = time.expect("update_time is set");
    (time.seconds, time.nanos)
}

/// What a v1 member response says about the member.
pub fn v1_view(member: &v1::Member) -> V1View {
    let m = member.clone();
    (m.full_name, m.email, m.archived)
}

/// What a v2 member response says about the member (not its etag or times).
pub fn v2_view(member: &v2::Member) -> V2View {
    let m = member.clone();
    (m.given_name, m.family_name, m.email, m.status)
}

impl Ack {
    /// When the write took effect: the row's new update_time.
    pub fn update_time(&self) -> (i64, i32) {
        match self {
            Self::V1 { got, .. } => time_key(got.update_time.as_ref()),
            Self::V2 { got, .. } => time_key(got.update_time.as_ref()),
        }
    }

    /// The etag a v2 write returned (v1 responses have none).
    pub fn etag(&self) -> Option<&String> {
        match self {
            Self::V1 { .. } => None,
            Self::V2 { got, .. } => Some(&got.etag),
        }
    }

    /// The response is the model's view right after this write: nothing
    /// it was based on was lost or applied out of order.
    pub fn assert_predicted_by(&self, model: &Model, id: Uuid) {
        let at = self.update_time();
        match self {
            Self::V1 { got, .. } => assert_eq!(v1_view(got), model.v1_view(), "{id} v1 at {at:?}"),
            Self::V2 { got, .. } => assert_eq!(v2_view(got), model.v2_view(), "{id} v2 at {at:?}"),
        }
    }

    /// This (last) write's response is what its version reads now.
    pub fn assert_same_view(&self, now_v1: &v1::Member, now_v2: &v2::Member, id: Uuid) {
        match self {
            Self::V1 { got, .. } => assert_eq!(v1_view(got), v1_view(now_v1), "{id}: last v1"),
            Self::V2 { got, .. } => assert_eq!(v2_view(got), v2_view(now_v2), "{id}: last v2"),
        }
    }
}

/// A member as DOMAIN.md's rules make it after a sequence of writes.
#[derive(Debug, Clone)]
pub struct Model {
    full_name: String,
    given_name: String,
    family_name: String,
    email: String,
    status: MemberStatus,
}

impl Model {
    /// The member as the previous release wrote it (v2 sees the split).
    pub fn seeded(seeded: &Seeded) -> Self {
        let (given_name, family_name) = split_full_name(&seeded.full_name);
        let status = if seeded.archived {
            MemberStatus::Archived
        } else {
            MemberStatus::Active
        };
        Self {
            full_name: seeded.full_name.clone(),
            given_name,
            family_name,
            email: seeded.email.clone(),
            status,
        }
    }

    /// Applies one acknowledged write's request.
    pub fn apply(&mut self, ack: &Ack) {
        match ack {
            Ack::V1 { sent, .. } => self.apply_v1(sent),
            Ack::V2 { sent, .. } => self.apply_v2(sent),
        }
    }

    /// Rule 2: a changed full name (compared trimmed) re-derives v2's
    /// names, an unchanged one leaves them. Rule 3: true archives, false
    /// reactivates only an archived member.
    fn apply_v1(&mut self, sent: &v1::UpdateMemberRequest) {
        if let Some(full_name) = sent.full_name.as_deref().map(str::trim)
            && full_name != self.full_name.trim()
        {
            self.full_name = full_name.to_owned();
            (self.given_name, self.family_name) = split_full_name(full_name);
        }
        if let Some(email) = &sent.email {
            self.email.clone_from(email);
        }
        match sent.archived {
            Some(true) => self.status = MemberStatus::Archived,
            Some(false) if self.status == MemberStatus::Archived => {
                self.status = MemberStatus::Active;
            }
            _ => {}
        }
    }

    /// Rule 2: v2 names are stored exactly; v1 reads their join.
    fn apply_v2(&mut self, sent: &v2::UpdateMemberRequest) {
        if sent.given_name.is_some() || sent.family_name.is_some() {
            if let Some(given_name) = &sent.given_name {
                self.given_name.clone_from(given_name);
            }
            if let Some(family_name) = &sent.family_name {
                self.family_name.clone_from(family_name);
            }
            self.full_name = join_names(&self.given_name, &self.family_name);
        }
        if let Some(email) = &sent.email {
            self.email.clone_from(email);
        }
        if let Some(status) = sent.status {
            self.status = MemberStatus::try_from(status).expect("a sent status");
        }
    }

    /// What v1 must read.
    pub fn v1_view(&self) -> V1View {
        let archived = self.status == MemberStatus::Archived;
        (self.full_name.clone(), self.email.clone(), archived)
    }

    /// What v2 must read.
    pub fn v2_view(&self) -> V2View {
        let (given, family) = (self.given_name.clone(), self.family_name.clone());
        (given, family, self.email.clone(), self.status.into())
    }
}

/// The two versions' views of one row obey the mapping whoever wrote last:
/// same email, archived exactly when ARCHIVED, and the names either v2's
/// join or v1's split.
pub fn assert_views_agree(now_v1: &v1::Member, now_v2: &v2::Member, id: Uuid) {
    assert_eq!(now_v1.email, now_v2.email, "{id}");
    let archived = now_v2.status == i32::from(MemberStatus::Archived);
    assert_eq!(now_v1.archived, archived, "{id}");
    let names = (now_v2.given_name.clone(), now_v2.family_name.clone());
    let joined = join_names(&names.0, &names.1) == now_v1.full_name;
    assert!(
        joined || split_full_name(&now_v1.full_name) == names,
        "{id}: {names:?} vs {:?}",
        now_v1.full_name
    );
}
