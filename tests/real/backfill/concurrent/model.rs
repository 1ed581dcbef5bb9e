//! What the racing clients send, what they were told, and how they replay
//! through the interleaving tests' model of DOMAIN.md's mapping rules
//! (written from the spec, not from the service's own patch code).

use dbrepo::core::mapping::{join_names, split_full_name};
use dbrepo::proto::manager::v2::MemberStatus;
use dbrepo::proto::manager::{v1, v2};
use prost_types::Timestamp;
use uuid::Uuid;

use dbrepo_testkit::interleavings::model::{MemberModel, v1_view, v2_view};

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
    pub fn assert_predicted_by(&self, model: &MemberModel, id: Uuid) {
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

/// The member as the previous release wrote it, before the race.
pub fn seeded_model(seeded: &Seeded) -> MemberModel {
    MemberModel::v1_created(&seeded.full_name, &seeded.email, seeded.archived)
}

/// Applies one acknowledged write's request to `model`.
pub fn apply(model: &mut MemberModel, ack: &Ack) {
    match ack {
        Ack::V1 { sent, .. } => {
            let full_name = sent.full_name.as_deref();
            model.v1_update(full_name, sent.email.as_deref(), sent.archived);
        }
        Ack::V2 { sent, .. } => {
            let status = sent
                .status
                .map(|s| MemberStatus::try_from(s).expect("a sent status"));
            let names = (sent.given_name.as_deref(), sent.family_name.as_deref());
            model.v2_update(names.0, names.1, sent.email.as_deref(), status);
        }
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
