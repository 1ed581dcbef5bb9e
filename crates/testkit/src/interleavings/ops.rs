//! The writes a case interleaves, and the proptest strategies that draw
//! them. Values that depend on the member's state at the time (a name equal
//! to the current one, a re-cased current email) are drawn as intentions
//! and resolved against the model just before they are sent.

use dbrepo::proto::manager::v2::MemberStatus;

/// How many members each case writes to: few, so that writes pile up on
/// the same rows.
pub const MEMBERS: usize = 3;

/// One write by one writer to one member.
#[derive(Debug, Clone)]
pub struct Op {
    /// Which of the case's members, `0..MEMBERS`.
    pub member: usize,
    /// What is written.
    pub action: Action,
}

/// A v1 full name to write.
#[derive(Debug, Clone)]
pub enum FullNameWrite {
    /// A name drawn on its own, possibly padded with white space.
    Fresh(String),
    /// The member's current v1 name between `lead` and `trail` white space:
    /// unchanged once trimmed, unless the current name is a v2 join that
    /// itself starts or ends in white space (then trimming changes it).
    Current {
        /// White space before the name.
        lead: String,
        /// White space after the name.
        trail: String,
    },
}

/// An email to write. Each member's addresses are its own (its index is in
/// the local part), so no write ever collides with another member's.
#[derive(Debug, Clone)]
pub enum EmailWrite {
    /// `m<member>.<variant>@example.org`, in capitals when `shouting`.
    Numbered {
        /// Which of the member's addresses.
        variant: u8,
        /// Whether the address is written in capitals.
        shouting: bool,
    },
    /// The current address in the other case: the same address to the
    /// uniqueness rule, a different datum to the readers.
    Recase,
}

/// What an [`Op`] writes, by writer.
#[derive(Debug, Clone)]
pub enum Action {
    /// v1 `CreateMember`.
    V1Create {
        /// As sent, untrimmed.
        full_name: String,
        /// The new member's address (never [`EmailWrite::Recase`]).
        email: EmailWrite,
    },
    /// v1 `UpdateMember`; `None` fields are absent from the request.
    V1Update {
        /// The optional `full_name`.
        full_name: Option<FullNameWrite>,
        /// The optional `email`.
        email: Option<EmailWrite>,
        /// The optional `archived`.
        archived: Option<bool>,
    },
    /// v2 `CreateMember`.
    V2Create {
        /// The given name.
        given_name: String,
        /// The family name, possibly empty.
        family_name: String,
        /// The new member's address (never [`EmailWrite::Recase`]).
        email: EmailWrite,
        /// Possibly UNSPECIFIED.
        status: MemberStatus,
    },
    /// v2 `UpdateMember`; `None` fields are absent from the request.
    V2Update {
        /// The optional `given_name`.
        given_name: Option<String>,
        /// The optional `family_name`.
        family_name: Option<String>,
        /// The optional `email`.
        email: Option<EmailWrite>,
        /// The optional `status`.
        status: Option<MemberStatus>,
        /// Send the last read etag rather than none (it is current, so the
        /// write must still succeed).
        with_etag: bool,
    },
    /// The previous release creates a member (its own unique email).
    PreviousCreate {
        /// Trimmed before it is written, as the previous service did.
        full_name: String,
        /// Its archived column.
        archived: bool,
    },
    /// The previous release writes `full_name` (trimmed, as it did).
    PreviousRename(FullNameWrite),
    /// The previous release writes `archived`.
    PreviousSetArchived(bool),
    /// The previous release writes `email`.
    PreviousSetEmail(EmailWrite),
}

impl Action {
    /// Whether this creates its member rather than writing an existing one.
    pub fn creates(&self) -> bool {
        matches!(
            self,
            Self::V1Create { .. } | Self::V2Create { .. } | Self::PreviousCreate { .. }
        )
    }
}

impl FullNameWrite {
    /// The name to send, given the member's current v1 name.
    pub fn resolve(&self, current: &str) -> String {
        match self {
            Self::Fresh(name) => name.clone(),
            Self::Current { lead, trail } => format!("{lead}{current}{trail}"),
        }
    }
}

impl EmailWrite {
    /// The address to send for `member`, given its current one (if any).
    pub fn resolve(&self, member: usize, current: Option<&str>) -> String {
        match (self, current) {
            (Self::Recase, Some(email)) if email.chars().any(|c| c.is_ascii_lowercase()) => {
                email.to_ascii_uppercase()
            }
            (Self::Recase, Some(email)) => email.to_ascii_lowercase(),
            (Self::Numbered { variant, shouting }, _) => {
                let email = format!("m{member}.{variant}@example.org");
                if *shouting {
                    email.to_ascii_uppercase()
                } else {
                    email
                }
            }
            (Self::Recase, None) => format!("m{member}@example.org"),
        }
    }
}
