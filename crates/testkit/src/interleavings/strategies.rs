//! The proptest strategies that draw a case's writes: names padded and
//! split by assorted Unicode white space, emails that change only in case
//! or variant, every status, every optional field present or absent.

use dbrepo::proto::manager::v2::MemberStatus;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

use super::ops::{Action, EmailWrite, FullNameWrite, MEMBERS, Op};

/// Unicode white space a name may carry, ASCII and not.
const WHITE: &[char] = &[
    ' ', '\t', '\n', '\u{85}', '\u{a0}', '\u{1680}', '\u{2003}', '\u{202f}', '\u{205f}', '\u{3000}',
];

/// 4 to 25 writes to the case's members. Writes to a member before its
/// create, and creates of a member that exists, are dropped: every write
/// that remains must succeed. Previous-release writes only `with_previous`.
pub fn ops(with_previous: bool) -> impl Strategy<Value = Vec<Op>> {
    let op = (0..MEMBERS, action(with_previous)).prop_map(|(member, action)| Op { member, action });
    proptest::collection::vec(op, 4..=25).prop_map(|ops| {
        let mut exists = [false; MEMBERS];
        ops.into_iter()
            .filter(|op| {
                let applies = exists[op.member] != op.action.creates();
                exists[op.member] |= applies;
                applies
            })
            .collect()
    })
}

/// Any write; creates rarer than updates, so members see many updates.
fn action(with_previous: bool) -> BoxedStrategy<Action> {
    let mut writers = vec![
        (1, v1_create().boxed()),
        (3, v1_update().boxed()),
        (1, v2_create().boxed()),
        (3, v2_update().boxed()),
    ];
    if with_previous {
        writers.extend([
            (1, previous_create().boxed()),
            (
                1,
                full_name_write().prop_map(Action::PreviousRename).boxed(),
            ),
            (
                1,
                any::<bool>().prop_map(Action::PreviousSetArchived).boxed(),
            ),
            (1, email_write().prop_map(Action::PreviousSetEmail).boxed()),
        ]);
    }
    Union::new_weighted(writers).boxed()
}

/// v1 `CreateMember` of a padded name.
fn v1_create() -> impl Strategy<Value = Action> {
    (padded_name(), numbered_email())
        .prop_map(|(full_name, email)| Action::V1Create { full_name, email })
}

/// v1 `UpdateMember`, each optional field present or absent.
fn v1_update() -> impl Strategy<Value = Action> {
    let full_name = proptest::option::of(full_name_write());
    let email = proptest::option::weighted(0.3, email_write());
    let archived = proptest::option::weighted(0.4, any::<bool>());
    (full_name, email, archived).prop_map(|(full_name, email, archived)| Action::V1Update {
        full_name,
        email,
        archived,
    })
}

/// v2 `CreateMember`, status UNSPECIFIED (the default) included.
fn v2_create() -> impl Strategy<Value = Action> {
    let status = prop_oneof![Just(MemberStatus::Unspecified), written_status()];
    (given_name(), family_name(), numbered_email(), status).prop_map(
        |(given_name, family_name, email, status)| Action::V2Create {
            given_name,
            family_name,
            email,
            status,
        },
    )
}

/// v2 `UpdateMember`, each optional field present or absent.
fn v2_update() -> impl Strategy<Value = Action> {
    let given = proptest::option::of(given_name());
    let family = proptest::option::of(family_name());
    let email = proptest::option::weighted(0.3, email_write());
    let status = proptest::option::weighted(0.4, written_status());
    (given, family, email, status, any::<bool>()).prop_map(
        |(given_name, family_name, email, status, with_etag)| Action::V2Update {
            given_name,
            family_name,
            email,
            status,
            with_etag,
        },
    )
}

/// The previous release's insert, archived or not.
fn previous_create() -> impl Strategy<Value = Action> {
    (padded_name(), any::<bool>()).prop_map(|(full_name, archived)| Action::PreviousCreate {
        full_name,
        archived,
    })
}

/// A status a client may write (UNSPECIFIED only means "default" on create).
fn written_status() -> impl Strategy<Value = MemberStatus> {
    prop_oneof![
        Just(MemberStatus::Active),
        Just(MemberStatus::Suspended),
        Just(MemberStatus::Archived),
    ]
}

/// Half the time the current name, padded: the write that must change nothing.
fn full_name_write() -> impl Strategy<Value = FullNameWrite> {
    prop_oneof![
        padded_name().prop_map(FullNameWrite::Fresh),
        (white_or_none(), white_or_none())
            .prop_map(|(lead, trail)| FullNameWrite::Current { lead, trail }),
    ]
}

/// One of the member's own addresses, in either case.
fn numbered_email() -> impl Strategy<Value = EmailWrite> {
    (0..3u8, any::<bool>())
        .prop_map(|(variant, shouting)| EmailWrite::Numbered { variant, shouting })
}

/// A new address of the member's, or its current one re-cased.
fn email_write() -> impl Strategy<Value = EmailWrite> {
    prop_oneof![numbered_email(), Just(EmailWrite::Recase)]
}

/// A v1 name: words split by white space runs, often padded at either end.
fn padded_name() -> impl Strategy<Value = String> {
    (white_or_none(), words(4), white_or_none())
        .prop_map(|(lead, words, trail)| format!("{lead}{words}{trail}"))
}

/// A v2 given name: a word, now and then two with white space between,
/// sometimes padded: v2 stores names exactly, so their v1 join can start
/// or end in white space, which a v1 write then trims away.
fn given_name() -> impl Strategy<Value = String> {
    let core = prop_oneof![3 => word(), 1 => words(2)];
    (white_or_none(), core, white_or_none())
        .prop_map(|(lead, core, trail)| format!("{lead}{core}{trail}"))
}

/// A v2 family name: empty, only white space, or words with white space
/// between, sometimes padded.
fn family_name() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => white_run(),
        3 => padded_name(),
    ]
}

/// 1 to `most` words joined by runs of white space.
fn words(most: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec((word(), white_run()), 1..=most).prop_map(|words| {
        let last = words.len() - 1;
        let mut name = String::new();
        for (index, (word, space)) in words.into_iter().enumerate() {
            name.push_str(&word);
            if index < last {
                name.push_str(&space);
            }
        }
        name
    })
}

/// A word without white space, Latin or CJK.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-zA-Zéøß'-]{1,6}", 1 => "[\u{4e00}-\u{4e10}]{1,3}"]
}

/// One to three white space characters.
fn white_run() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(WHITE), 1..=3)
        .prop_map(|chars| chars.into_iter().collect())
}

/// No padding, or a run of white space.
fn white_or_none() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), white_run()]
}
