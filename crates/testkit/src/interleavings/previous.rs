//! The writer a case calls beside the server: the previous release, when
//! the run has one (the server itself is the shared `served::TestServer`).

use std::future::Future;

use uuid::Uuid;

/// The previous dbrepo release writing beside the server (DOMAIN.md rule
/// 5): it knows only v1's columns, and trims names before writing them.
pub trait PreviousWriter {
    /// Creates a member of `team_id`; returns its id and the email it chose.
    fn create_member(
        &self,
        team_id: Uuid,
        full_name: &str,
        archived: bool,
    ) -> impl Future<Output = (Uuid, String)>;
    /// Writes `full_name`, already trimmed.
    fn rename(&self, id: Uuid, full_name: &str) -> impl Future<Output = ()>;
    /// Writes `archived`.
    fn set_archived(&self, id: Uuid, archived: bool) -> impl Future<Output = ()>;
    /// Writes `email`.
    fn set_email(&self, id: Uuid, email: &str) -> impl Future<Output = ()>;
}

/// No previous release: what a run over the fake stores has, since the
/// previous release writes SQL and the fake has none.
#[allow(dead_code, reason = "the run over PostgreSQL has the previous release")]
pub enum NoPreviousRelease {}

impl PreviousWriter for NoPreviousRelease {
    async fn create_member(&self, _: Uuid, _: &str, _: bool) -> (Uuid, String) {
        match *self {}
    }
    async fn rename(&self, _: Uuid, _: &str) {
        match *self {}
    }
    async fn set_archived(&self, _: Uuid, _: bool) {
        match *self {}
    }
    async fn set_email(&self, _: Uuid, _: &str) {
        match *self {}
    }
}
