//! Helpers the contract tests share: unique names, request builders and
//! page walkers, all in core types.

use dbrepo::core::Error;
use dbrepo::core::fields::{
    Description, Email, FamilyName, FullName, GivenName, Notes, Offset, PageSize, TeamId, Title,
};
use dbrepo::core::mapping::{MemberStatus, NameWrite};
use dbrepo::core::page::{Page, PageRequest, PageStart};
use dbrepo::core::sql::app::{AssigneeFilter, NewTask, TaskQuery, TaskStore};
use dbrepo::core::sql::manager::{
    ManagerStore, Member, MemberPatch, NamePatch, NewMember, NewTeam, Team,
};

/// A suffix no other test uses, so tests can share one database.
pub fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// Asserts that `$result` is an `Err` matching `$pattern`, showing what it was otherwise.
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(,)?) => {
        match $result {
            Err($pattern) => {}
            other => panic!("expected {}, got {other:?}", stringify!($pattern)),
        }
    };
}
pub(crate) use assert_err;

/// Asserts that `$result` is NOT_FOUND naming the entity `$entity` (a
/// variant of `dbrepo::core::Entity`).
macro_rules! assert_not_found {
    ($result:expr, $entity:ident $(,)?) => {
        $crate::contract::support::assert_err!(
            $result,
            dbrepo::core::Error::NotFound {
                entity: dbrepo::core::Entity::$entity,
                ..
            }
        )
    };
}
pub(crate) use assert_not_found;

/// A team to create, named exactly `name`.
pub fn new_team(name: &str) -> NewTeam {
    NewTeam {
        name: dbrepo::core::fields::TeamName::parse(name.into()).unwrap(),
        description: Description::parse(format!("about {name}")).unwrap(),
    }
}

/// Creates a team with a unique name starting with `label`.
pub async fn team<M: ManagerStore>(manager: &M, label: &str) -> Team {
    manager
        .create_team(new_team(&format!("{label} {}", unique())))
        .await
        .unwrap()
}

/// A v1 write of `full` as the full name.
pub fn v1(full: &str) -> NameWrite {
    NameWrite::FullName(FullName::parse(full).unwrap())
}

/// A v2 write of given and family names.
pub fn v2(given: &str, family: &str) -> NameWrite {
    NameWrite::Split {
        given: GivenName::parse(given.into()).unwrap(),
        family: FamilyName::parse(family.into()).unwrap(),
    }
}

/// An email address exactly as written.
pub fn email(address: &str) -> Email {
    Email::parse(address.into()).unwrap()
}

/// A unique email address whose local part starts with `local`.
pub fn unique_email(local: &str) -> Email {
    email(&format!("{local}.{}@example.org", unique()))
}

/// A member of `team_id` to create, with a unique email.
pub fn new_member(team_id: TeamId, names: NameWrite, status: MemberStatus) -> NewMember {
    NewMember {
        team_id,
        names,
        email: unique_email("member"),
        status,
    }
}

/// Creates a member of `team_id` written with `names` and `status`.
pub async fn member<M: ManagerStore>(
    manager: &M,
    team_id: TeamId,
    names: NameWrite,
    status: MemberStatus,
) -> Member {
    manager
        .create_member(new_member(team_id, names, status))
        .await
        .unwrap()
}

/// An unassigned task of `team_id` without due time.
pub fn new_task(team_id: TeamId, title: &str) -> NewTask {
    NewTask {
        team_id,
        title: Title::parse(title.into()).unwrap(),
        notes: Notes::parse(format!("notes of {title}")).unwrap(),
        assignee_id: None,
        due_time: None,
    }
}

/// A page size that the API would accept.
pub fn size(n: i32) -> PageSize {
    PageSize::parse(n).unwrap()
}

/// The first page of `n` items.
pub fn first<C>(n: i32) -> PageRequest<C> {
    PageRequest {
        start: PageStart::First,
        size: size(n),
    }
}

/// The page of `n` items after skipping `skip`.
pub fn offset<C>(skip: u32, n: i32) -> PageRequest<C> {
    PageRequest {
        start: PageStart::Offset(Offset::parse(skip as i32).unwrap()),
        size: size(n),
    }
}

/// The page of `n` items strictly after `cursor`.
pub fn after<C>(cursor: C, n: i32) -> PageRequest<C> {
    PageRequest {
        start: PageStart::After(cursor),
        size: size(n),
    }
}

/// The most pages a walk fetches before it declares that the list never
/// ends (a cursor that does not advance), instead of looping forever.
const MAX_PAGES: usize = 10_000;

/// Every item of a list, fetched page by page of `n` with keyset cursors.
/// Checks on the way that no page is larger than asked, that only the last
/// page says nothing more follows, that a page saying more follow is not
/// empty, and that the walk ends.
pub async fn walk_keyset<I: Clone, C>(
    n: i32,
    cursor_of: impl Fn(&I) -> C,
    mut fetch: impl AsyncFnMut(PageRequest<C>) -> Result<Page<I>, Error>,
) -> Vec<I> {
    let mut all = Vec::new();
    let mut request = first(n);
    for _ in 0..MAX_PAGES {
        let page = fetch(request).await.unwrap();
        assert!(page.items.len() <= n as usize, "page larger than {n}");
        all.extend(page.items.iter().cloned());
        match page.items.last() {
            Some(last) if page.has_more => request = after(cursor_of(last), n),
            None if page.has_more => panic!("an empty page says more follow"),
            _ => return all,
        }
    }
    panic!("the keyset walk did not end after {MAX_PAGES} pages");
}

/// Every item of a list, fetched page by page of `n` with offsets.
pub async fn walk_offset<I, C>(
    n: i32,
    mut fetch: impl AsyncFnMut(PageRequest<C>) -> Result<Page<I>, Error>,
) -> Vec<I> {
    let mut all = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = fetch(offset(all.len() as u32, n)).await.unwrap();
        assert!(page.items.len() <= n as usize, "page larger than {n}");
        let more = page.has_more;
        all.extend(page.items);
        if !more {
            return all;
        }
    }
    panic!("the offset walk did not end after {MAX_PAGES} pages");
}

/// The error a refused call returned, as the client reads it: the same
/// text from every store, because the stores build it with core's named
/// constructors.
pub fn refusal<T>(result: &Result<T, Error>) -> String {
    match result {
        Err(err) => err.to_string(),
        Ok(_) => "accepted".into(),
    }
}

/// A v1 patch that writes `full` as the full name.
pub fn full_name_patch(full: &str) -> MemberPatch {
    MemberPatch {
        names: Some(NamePatch::FullName(FullName::parse(full).unwrap())),
        ..MemberPatch::default()
    }
}

/// How many tasks `team_id` has.
pub async fn task_count<T: TaskStore>(tasks: &T, team_id: TeamId) -> usize {
    let query = TaskQuery {
        team_id,
        assignee_id: AssigneeFilter::Any,
        state: None,
        page: first(100),
    };
    tasks.list_tasks(query).await.unwrap().items.len()
}
