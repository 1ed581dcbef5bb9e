//! The contract every [`ManagerStore`] and [`TaskStore`] obeys, as generic
//! tests that each backend stamps out with [`contract_suite!`](crate::contract_suite).
//!
//! In any module of a test target:
//!
//! ```text
//! async fn pg_backend() -> dbrepo_testkit::contract::Stores<PgManagerStore, PgTaskStore> { … }
//! dbrepo_testkit::contract_suite!(pg_backend);
//! ```
//!
//! Every test asks the backend function for fresh stores and names every
//! team and email with a unique suffix, so tests never collide even when
//! backends share one database. Team lists are global, so team tests look
//! only at their own teams.
//!
//! [`ManagerStore`]: dbrepo::core::sql::manager::ManagerStore
//! [`TaskStore`]: dbrepo::core::sql::app::TaskStore

pub mod support;

// A contract test's name says what it checks; `contract_suite!` lists them.
#[allow(missing_docs)]
pub mod member_etags;
#[allow(missing_docs)]
pub mod member_lists;
#[allow(missing_docs)]
pub mod member_updates;
#[allow(missing_docs)]
pub mod members;
#[allow(missing_docs)]
pub mod task_assignees;
#[allow(missing_docs)]
pub mod task_lists;
#[allow(missing_docs)]
pub mod tasks;
#[allow(missing_docs)]
pub mod teams;

use std::any::Any;
use std::sync::Arc;

/// The stores of one backend for one test.
pub struct Stores<M, T> {
    /// The manager store under test.
    pub manager: Arc<M>,
    /// The task store under test, on the same database as `manager`.
    pub tasks: Arc<T>,
    /// Whatever must outlive the test for the stores to work (a test
    /// database, a server); dropped when the test ends.
    pub keep_alive: Box<dyn Any + Send>,
}

impl<M, T> Stores<M, T> {
    /// Stores that need nothing kept alive.
    pub fn new(manager: Arc<M>, tasks: Arc<T>) -> Self {
        Self {
            manager,
            tasks,
            keep_alive: Box::new(()),
        }
    }

    /// These stores, holding `guard` until they are dropped.
    pub fn keeping(mut self, guard: impl Any + Send) -> Self {
        self.keep_alive = Box::new(guard);
        self
    }
}

/// Stamps one `#[tokio::test]` per contract test, grouped in modules named
/// like the suite's files. `$backend` names an `async fn() -> Stores<M, T>`
/// in scope where the macro is used; it is called once per test.
///
/// The list of tests lives here once; `@list` hands it to a mode: `@stamp`
/// (tests for a backend) or `@run` (the body of [`run_all`](crate::contract::run_all)).
#[macro_export]
macro_rules! contract_suite {
    ($backend:ident) => {
        $crate::contract_suite!(@list stamp $backend);
    };
    (@list $mode:ident $arg:tt) => {
        $crate::contract_suite!(@$mode $arg,
            teams: [
                create_team_reads_back_what_was_written,
                unknown_team_is_not_found,
                team_names_are_unique_case_insensitively,
                teams_list_by_lower_cased_name_byte_wise,
                team_cursor_compares_lower_cased_name_then_id,
                team_keyset_pages_visit_each_team_once_at_every_page_size,
                team_offset_pages_match_the_keyset_order,
            ],
            members: [
                v1_created_member_is_trimmed_and_splits_for_v2,
                v2_created_member_reads_back_exactly_and_joins_for_v1,
                new_member_keeps_its_status,
                member_in_unknown_team_is_not_found,
                unknown_member_is_not_found,
                emails_are_unique_within_a_team_case_insensitively,
            ],
            member_lists: [
                members_of_unknown_team_is_not_found,
                members_list_by_create_time_then_id_within_their_team,
                member_status_filter_keeps_only_the_listed_statuses,
                member_pages_visit_each_member_once_at_every_page_size,
            ],
            member_updates: [
                v1_update_keeps_v2_names_when_full_name_unchanged,
                v1_update_that_changes_full_name_rederives_v2_names,
                v1_update_without_full_name_keeps_v2_names,
                v2_update_of_one_name_keeps_the_other,
                status_writes_follow_the_cross_version_rules,
                email_update_may_change_case_but_not_take_a_teammates_email,
            ],
            member_etags: [
                every_update_changes_update_time_and_etag,
                current_etag_allows_update_and_delete,
                stale_etag_is_aborted_and_changes_nothing,
                unknown_member_is_not_found_before_a_stale_etag,
                delete_removes_the_member_once,
            ],
            tasks: [
                new_task_is_todo_and_reads_back,
                task_in_unknown_team_is_not_found,
                unknown_task_is_not_found,
                update_changes_only_the_given_fields,
                update_can_unassign_and_set_and_clear_due_time,
                delete_removes_the_task_once,
            ],
            task_assignees: [
                assignee_must_be_an_active_member_of_the_team,
                update_without_assignee_keeps_an_assignee_that_became_inactive,
                deleting_a_member_unassigns_only_its_tasks,
            ],
            task_lists: [
                tasks_of_unknown_team_is_not_found,
                task_filters_select_by_assignee_and_state,
                task_filter_needs_a_member_of_the_team_of_any_status,
                task_pages_visit_each_task_once_at_every_page_size,
            ],
        );
    };
    (@stamp $backend:ident, $($group:ident: [$($test:ident),* $(,)?]),* $(,)?) => {
        $(
            mod $group {
                $(
                    #[tokio::test]
                    async fn $test() {
                        $crate::contract::$group::$test(super::$backend().await).await;
                    }
                )*
            }
        )*
    };
    (@run ($label:ident, $backend:ident), $($group:ident: [$($test:ident),* $(,)?]),* $(,)?) => {
        $($(
            // Captured with the test's output: a failure names the test.
            eprintln!("{}: contract {}::{}", $label, stringify!($group), stringify!($test));
            $crate::contract::$group::$test($backend().await).await;
        )*)*
    };
}

/// Runs every contract test in turn, each on fresh stores from `backend`,
/// printing `label` and the test's name before it (shown when one fails).
/// For backends whose set-up is the test (a database brought through a
/// rollout), where stamping one test per contract test would repeat it.
pub async fn run_all<M, T, B>(label: &str, backend: impl Fn() -> B)
where
    M: dbrepo::core::sql::manager::ManagerStore,
    T: dbrepo::core::sql::app::TaskStore,
    B: std::future::Future<Output = Stores<M, T>>,
{
    contract_suite!(@list run (label, backend));
}
