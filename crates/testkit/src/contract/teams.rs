//! Teams: creation, lookup, case-insensitive uniqueness and the two ways
//! of paging through the global, name-ordered list.

use dbrepo::core::Error;
use dbrepo::core::fields::TeamId;
use dbrepo::core::mapping::truncate_to_micros;
use dbrepo::core::page::NameCursor;
use dbrepo::core::sql::app::TaskStore;
use dbrepo::core::sql::manager::{ManagerStore, Team, TeamCursor};
use uuid::Uuid;

use super::Stores;
use super::support::{assert_not_found, first, new_team, unique, walk_keyset, walk_offset};

/// The cursor a page ending at `team` hands on.
fn cursor(team: &Team) -> TeamCursor {
    NameCursor {
        name: team.name.clone(),
        id: team.id,
    }
}

/// All teams, by keyset pages of `n`, keeping only those whose name holds `tag`.
async fn own_teams<M: ManagerStore>(manager: &M, n: i32, tag: &str) -> Vec<Team> {
    let all = walk_keyset(n, cursor, async |page| manager.list_teams(page).await).await;
    all.into_iter().filter(|t| t.name.contains(tag)).collect()
}

/// Creates teams named `"{tag} {name}"` for each of `names`.
async fn teams_named<M: ManagerStore>(manager: &M, tag: &str, names: &[&str]) -> Vec<Team> {
    let mut teams = Vec::new();
    for name in names {
        let team = new_team(&format!("{tag} {name}"));
        teams.push(manager.create_team(team).await.unwrap());
    }
    teams
}

/// The names of `teams`, in order.
fn names(teams: &[Team]) -> Vec<&str> {
    teams.iter().map(|t| t.name.as_str()).collect()
}

pub async fn create_team_reads_back_what_was_written<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let name = format!("Ops Ünit  {}", unique());
    let created = stores.manager.create_team(new_team(&name)).await.unwrap();
    assert_eq!(created.name, name, "the name is stored exactly as written");
    assert_eq!(created.description, format!("about {name}"));
    assert_eq!(
        created.create_time,
        truncate_to_micros(created.create_time),
        "times are whole microseconds, as the database stores them"
    );
    let read = stores.manager.get_team(created.id).await.unwrap();
    assert_eq!(
        read, created,
        "a read returns exactly what the create returned"
    );
}

pub async fn unknown_team_is_not_found<M: ManagerStore, T: TaskStore>(stores: Stores<M, T>) {
    let id = TeamId::generate();
    assert_not_found!(stores.manager.get_team(id).await, Team);
}

pub async fn team_names_are_unique_case_insensitively<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let cases = [
        (
            "Ops",
            "OPS",
            false,
            "ASCII letters compare case-insensitively",
        ),
        ("Équipe", "éQUIPE", false, "non-ASCII letters too"),
        ("Ops", "Ops", false, "the exact same name"),
        (
            "Ops-a",
            "Ops-b",
            true,
            "names that differ beyond case are distinct",
        ),
        ("Ops", "Ops ", true, "white space is part of the name"),
    ];
    for (existing, candidate, allowed, why) in cases {
        let tag = unique();
        let first = stores
            .manager
            .create_team(new_team(&format!("{existing} {tag}")))
            .await
            .unwrap();
        let second = stores
            .manager
            .create_team(new_team(&format!("{candidate} {tag}")))
            .await;
        match second {
            Ok(_) => assert!(allowed, "{why}: {candidate:?} was accepted"),
            Err(err @ Error::AlreadyExists(_)) => {
                assert!(!allowed, "{why}: {candidate:?} was refused");
                assert_eq!(err.to_string(), Error::team_name_taken().to_string());
            }
            Err(other) => panic!("{why}: unexpected {other:?}"),
        }
        let stored = own_teams(&*stores.manager, 100, &tag).await;
        let expected = if allowed { 2 } else { 1 };
        assert_eq!(
            stored.len(),
            expected,
            "{why}: a refused create writes nothing"
        );
        assert_eq!(
            stored.iter().filter(|t| t.id == first.id).count(),
            1,
            "{why}"
        );
    }
}

pub async fn teams_list_by_lower_cased_name_byte_wise<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    // Byte-wise on the lower-cased names: '_' (0x5F) sorts before 'a'
    // (0x61), while on the names as written 'A' (0x41) and 'C' (0x43) would
    // come before '_', and 'é' (0xC3 0xA9) sorts after every ASCII letter.
    let tag = unique();
    teams_named(&*stores.manager, &tag, &["b", "É", "C", "_", "A"]).await;
    let listed = own_teams(&*stores.manager, 100, &tag).await;
    let expected: Vec<String> = ["_", "A", "b", "C", "É"]
        .iter()
        .map(|n| format!("{tag} {n}"))
        .collect();
    assert_eq!(names(&listed), expected);
}

pub async fn team_cursor_compares_lower_cased_name_then_id<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let tag = unique();
    let teams = teams_named(&*stores.manager, &tag, &["a", "b"]).await;
    let (a, b) = (&teams[0], &teams[1]);
    let cases = [
        (
            a.name.clone(),
            a.id.0,
            Some(b),
            "after a team itself comes the next one",
        ),
        (
            a.name.to_uppercase(),
            a.id.0,
            Some(b),
            "the cursor's name compares lower-cased",
        ),
        (
            b.name.clone(),
            Uuid::nil(),
            Some(b),
            "a smaller id at the same name comes before it",
        ),
        (
            b.name.clone(),
            Uuid::max(),
            None,
            "a larger id at the same name comes after it",
        ),
    ];
    for (name, id, expected, why) in cases {
        let start = NameCursor {
            name,
            id: TeamId(id),
        };
        let page = stores
            .manager
            .list_teams(super::support::after(start, 100))
            .await
            .unwrap();
        let next_own = page.items.iter().find(|t| t.name.contains(&tag));
        assert_eq!(next_own.map(|t| t.id), expected.map(|t| t.id), "{why}");
    }
}

pub async fn team_keyset_pages_visit_each_team_once_at_every_page_size<
    M: ManagerStore,
    T: TaskStore,
>(
    stores: Stores<M, T>,
) {
    let tag = unique();
    let created = teams_named(&*stores.manager, &tag, &["g", "c", "E", "a", "F", "b", "D"]).await;
    let expected = ["a", "b", "c", "D", "E", "F", "g"].map(|n| format!("{tag} {n}"));
    for n in [1, 2, 3, 7, 8, 100] {
        let all = walk_keyset(n, cursor, async |p| stores.manager.list_teams(p).await).await;
        let keys: Vec<_> = all.iter().map(|t| (t.name.to_lowercase(), t.id)).collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "page size {n}: the walk is strictly ordered, so nothing repeats"
        );
        let own: Vec<_> = all.iter().filter(|t| t.name.contains(&tag)).collect();
        let own_names: Vec<_> = own.iter().map(|t| t.name.clone()).collect();
        assert_eq!(own_names, expected, "page size {n}: no gaps, no duplicates");
        assert!(created.iter().all(|c| own.iter().any(|t| t.id == c.id)));
    }
}

pub async fn team_offset_pages_match_the_keyset_order<M: ManagerStore, T: TaskStore>(
    stores: Stores<M, T>,
) {
    let tag = unique();
    teams_named(&*stores.manager, &tag, &["b", "A", "c", "E", "d"]).await;
    let keyset = walk_keyset(100, cursor, async |p| stores.manager.list_teams(p).await).await;
    for n in [1, 2, 5, 100] {
        let offset = walk_offset(n, async |p| stores.manager.list_teams(p).await).await;
        assert_eq!(names(&offset), names(&keyset), "page size {n}");
    }
    let whole = stores.manager.list_teams(first(100)).await.unwrap();
    let skip = whole.items.len().min(2) as u32;
    // Ends where `whole` ends, whatever other teams the database holds.
    let skipped = stores
        .manager
        .list_teams(super::support::offset(skip, 100 - skip as i32))
        .await
        .unwrap();
    assert_eq!(
        names(&skipped.items),
        names(&whole.items[skip as usize..]),
        "an offset skips exactly that many teams"
    );
}
