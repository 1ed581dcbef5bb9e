//! What the matrix writes, and what every version must then read: one row
//! per member, naming who creates it, who changes it afterwards, and the
//! views DOMAIN.md's mapping rules give v1 and v2.
//!
//! A row is written at a step only when the releases serving that schema
//! state offer both its writers, so the same table feeds every case. To
//! cover a new rule or writer, add a row.

use dbrepo::proto::manager::v2::MemberStatus as Status;

/// An API version, as one release or the other serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// manager v1 as the previous release served it: its verbatim SQL on
    /// 0001's columns (see `previous_release`).
    PreviousManagerV1,
    /// `dbrepo.manager.v1`, served by the current release.
    ManagerV1,
    /// `dbrepo.manager.v2`, served by the current release.
    ManagerV2,
    /// `dbrepo.app.v1`, served by the current release.
    AppV1,
}

/// How a member comes to be.
#[derive(Debug)]
pub enum Create {
    /// The previous release's INSERT.
    Previous {
        /// Written as given (that release trimmed before writing).
        full_name: &'static str,
        /// v1's status column.
        archived: bool,
    },
    /// manager v1 `CreateMember`.
    V1 {
        /// Sent as given; the service trims it.
        full_name: &'static str,
    },
    /// manager v2 `CreateMember`.
    V2 {
        /// `given_name`.
        given: &'static str,
        /// `family_name`.
        family: &'static str,
        /// `status`.
        status: Status,
    },
}

/// A later change by another (or the same) writer.
#[derive(Debug)]
pub enum Change {
    /// The previous release's UPDATE of `full_name`.
    PreviousRename(&'static str),
    /// The previous release's UPDATE of `archived`.
    PreviousArchived(bool),
    /// manager v1 `UpdateMember`.
    V1 {
        /// `full_name`, when sent.
        full_name: Option<&'static str>,
        /// `archived`, when sent.
        archived: Option<bool>,
    },
    /// manager v2 `UpdateMember` (no etag).
    V2 {
        /// `given_name`, when sent.
        given: Option<&'static str>,
        /// `family_name`, when sent.
        family: Option<&'static str>,
        /// `status`, when sent.
        status: Option<Status>,
    },
}

/// v2's view of a member: given name, family name, status.
pub type V2View = (&'static str, &'static str, Status);

/// One member of the dataset.
#[derive(Debug)]
pub struct Row {
    /// What the row is about.
    pub why: &'static str,
    /// Who creates it.
    pub create: Create,
    /// Who changes it afterwards, if anyone.
    pub change: Option<Change>,
    /// What v1 reads: full name, archived.
    pub v1: (&'static str, bool),
    /// What v2 reads.
    pub v2: V2View,
    /// What v2 reads once a down step below 0002 dropped v2-only detail
    /// (names re-split from the full name, SUSPENDED read as ACTIVE);
    /// `None` when the row has no such detail.
    pub v2_after_loss: Option<V2View>,
}

impl Create {
    /// The API version this write goes through.
    pub fn api(&self) -> Api {
        match self {
            Self::Previous { .. } => Api::PreviousManagerV1,
            Self::V1 { .. } => Api::ManagerV1,
            Self::V2 { .. } => Api::ManagerV2,
        }
    }
}

impl Change {
    /// The API version this write goes through.
    pub fn api(&self) -> Api {
        match self {
            Self::PreviousRename(_) | Self::PreviousArchived(_) => Api::PreviousManagerV1,
            Self::V1 { .. } => Api::ManagerV1,
            Self::V2 { .. } => Api::ManagerV2,
        }
    }
}

impl Row {
    /// True when every writer of the row is among `served`.
    pub fn writable_with(&self, served: &[Api]) -> bool {
        served.contains(&self.create.api())
            && self
                .change
                .as_ref()
                .is_none_or(|c| served.contains(&c.api()))
    }
}

use Status::{Active, Archived, Suspended};

/// The dataset.
pub const ROWS: &[Row] = &[
    Row {
        why: "previous release, two words",
        create: Create::Previous {
            full_name: "Ada Lovelace",
            archived: false,
        },
        change: None,
        v1: ("Ada Lovelace", false),
        v2: ("Ada", "Lovelace", Active),
        v2_after_loss: None,
    },
    Row {
        why: "previous release, archived, split at the first space only",
        create: Create::Previous {
            full_name: "Mary Ann Smith",
            archived: true,
        },
        change: None,
        v1: ("Mary Ann Smith", true),
        v2: ("Mary", "Ann Smith", Archived),
        v2_after_loss: None,
    },
    Row {
        why: "previous release, one word, then renamed by it with Unicode white space",
        create: Create::Previous {
            full_name: "Madonna",
            archived: false,
        },
        change: Some(Change::PreviousRename("Grace\u{3000}\tHopper")),
        v1: ("Grace\u{3000}\tHopper", false),
        v2: ("Grace", "Hopper", Active),
        v2_after_loss: None,
    },
    Row {
        why: "previous release, then v2 changes the given name and suspends",
        create: Create::Previous {
            full_name: "Linus Pauling",
            archived: false,
        },
        change: Some(Change::V2 {
            given: Some("Linus Carl"),
            family: None,
            status: Some(Suspended),
        }),
        v1: ("Linus Carl Pauling", false),
        v2: ("Linus Carl", "Pauling", Suspended),
        v2_after_loss: Some(("Linus", "Carl Pauling", Active)),
    },
    Row {
        why: "previous release archived, v1 un-archives: ACTIVE",
        create: Create::Previous {
            full_name: "Rosalind Franklin",
            archived: true,
        },
        change: Some(Change::V1 {
            full_name: None,
            archived: Some(false),
        }),
        v1: ("Rosalind Franklin", false),
        v2: ("Rosalind", "Franklin", Active),
        v2_after_loss: None,
    },
    Row {
        why: "v1 create is trimmed, inner white space kept",
        create: Create::V1 {
            full_name: "\u{2003} Alan  Turing \t",
        },
        change: None,
        v1: ("Alan  Turing", false),
        v2: ("Alan", "Turing", Active),
        v2_after_loss: None,
    },
    Row {
        why: "v2 create, suspended, a two-word given name",
        create: Create::V2 {
            given: "Mary Ann",
            family: "Smith",
            status: Suspended,
        },
        change: None,
        v1: ("Mary Ann Smith", false),
        v2: ("Mary Ann", "Smith", Suspended),
        v2_after_loss: Some(("Mary", "Ann Smith", Active)),
    },
    Row {
        why: "v2 create, archived, no family name",
        create: Create::V2 {
            given: "Cher",
            family: "",
            status: Archived,
        },
        change: None,
        v1: ("Cher", true),
        v2: ("Cher", "", Archived),
        v2_after_loss: None,
    },
    Row {
        why: "v1 update with the unchanged full name keeps v2's names",
        create: Create::V2 {
            given: "Jean Paul",
            family: "Sartre",
            status: Active,
        },
        change: Some(Change::V1 {
            full_name: Some(" Jean Paul Sartre "),
            archived: Some(true),
        }),
        v1: ("Jean Paul Sartre", true),
        v2: ("Jean Paul", "Sartre", Archived),
        v2_after_loss: Some(("Jean", "Paul Sartre", Archived)),
    },
    Row {
        why: "v1 archived = false leaves SUSPENDED as it is",
        create: Create::V2 {
            given: "Kurt",
            family: "Gödel",
            status: Suspended,
        },
        change: Some(Change::V1 {
            full_name: None,
            archived: Some(false),
        }),
        v1: ("Kurt Gödel", false),
        v2: ("Kurt", "Gödel", Suspended),
        v2_after_loss: Some(("Kurt", "Gödel", Active)),
    },
    Row {
        why: "the previous release renaming a v2 member re-derives its names, keeps SUSPENDED",
        create: Create::V2 {
            given: "Ada",
            family: "Byron",
            status: Suspended,
        },
        change: Some(Change::PreviousRename("Augusta Ada King")),
        v1: ("Augusta Ada King", false),
        v2: ("Augusta", "Ada King", Suspended),
        v2_after_loss: Some(("Augusta", "Ada King", Active)),
    },
    Row {
        why: "the previous release archiving a v2 member: ARCHIVED",
        create: Create::V2 {
            given: "Grace",
            family: "Brewster Hopper",
            status: Active,
        },
        change: Some(Change::PreviousArchived(true)),
        v1: ("Grace Brewster Hopper", true),
        v2: ("Grace", "Brewster Hopper", Archived),
        v2_after_loss: None,
    },
];
