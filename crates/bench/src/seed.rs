//! Set-based seeding as the owner: a few statements however large the seed.
//!
//! Team numbers `1..=small_teams` have `small_size` members each, the next
//! `large_teams` have `large_size`, the rest none. Members are numbered
//! team after team, so a member's team follows from its number. Tasks go
//! round-robin over all teams. Creation times step by a millisecond so the
//! keyset order (create time, id) is the numbering. Members are stored as
//! v2 wrote them (given/family names and status set), the steady state
//! after a backfill.

use std::time::Instant;

use sqlx::{AssertSqlSafe, Executor, PgPool};

use crate::cli::Args;
use crate::ids::{Kind, member_email_sql};

/// Where every seeded row's creation time starts.
const EPOCH: &str = "timestamptz '2026-01-01 00:00:00+00'";

/// The seeded counts and ranges the load generator draws from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Seed {
    /// Teams in all.
    pub teams: u64,
    /// Team numbers of small teams: `1..=small_teams`.
    pub small_teams: u64,
    /// Team numbers of large teams follow the small ones.
    pub large_teams: u64,
    /// Members per small team.
    pub small_size: u64,
    /// Members per large team.
    pub large_size: u64,
    /// Members in all.
    pub members: u64,
    /// Tasks in all.
    pub tasks: u64,
    /// How long seeding and ANALYZE took, in seconds.
    pub seconds: f64,
}

impl Seed {
    /// The seed `args` ask for (not yet written).
    pub fn from_args(args: &Args) -> Self {
        Self {
            teams: args.teams,
            small_teams: args.small_teams,
            large_teams: args.large_teams,
            small_size: args.small_size,
            large_size: args.large_size,
            members: args.members(),
            tasks: args.tasks,
            seconds: 0.0,
        }
    }

    /// Writes the seed through `owner`, then VACUUM ANALYZE.
    pub async fn write(mut self, owner: &PgPool) -> anyhow::Result<Self> {
        let started = Instant::now();
        owner.execute(AssertSqlSafe(self.teams_sql())).await?;
        owner.execute(AssertSqlSafe(self.members_sql())).await?;
        owner.execute(AssertSqlSafe(self.tasks_sql())).await?;
        owner
            .execute("VACUUM (ANALYZE) manager.teams, manager.members, app.tasks")
            .await?;
        self.seconds = started.elapsed().as_secs_f64();
        Ok(self)
    }

    /// Team numbers of the large teams.
    pub fn large_range(&self) -> (u64, u64) {
        (self.small_teams + 1, self.small_teams + self.large_teams)
    }

    fn teams_sql(&self) -> String {
        format!(
            "INSERT INTO manager.teams (id, name, description, created_at, updated_at)
             SELECT {id}, 'Team ' || n, 'seeded by dbrepo-bench', {t}, {t}
             FROM generate_series(1, {count}) AS n",
            id = Kind::Team.sql("n"),
            t = format_args!("{EPOCH} + n * interval '1 ms'"),
            count = self.teams,
        )
    }

    fn members_sql(&self) -> String {
        let small_members = self.small_teams * self.small_size;
        let team_of = format!(
            "CASE WHEN n <= {small_members} THEN (n - 1) / {ss} + 1 \
             ELSE {st} + (n - {small_members} - 1) / {ls} + 1 END",
            ss = self.small_size,
            st = self.small_teams,
            ls = self.large_size,
        );
        format!(
            "INSERT INTO manager.members (id, team_id, full_name, given_name, family_name,
                 email, status, archived, created_at, updated_at)
             SELECT {id}, {team}, 'Ada Member', 'Ada', 'Member', {email}, 'active', false, {t}, {t}
             FROM generate_series(1, {count}) AS n",
            id = Kind::Member.sql("n"),
            team = Kind::Team.sql(&format!("({team_of})")),
            email = member_email_sql("n"),
            t = format_args!("{EPOCH} + n * interval '1 ms'"),
            count = self.members,
        )
    }

    fn tasks_sql(&self) -> String {
        format!(
            "INSERT INTO app.tasks (id, team_id, title, notes, state, created_at, updated_at)
             SELECT {id}, {team}, 'Task ' || n, '', (ARRAY['todo', 'doing', 'done'])[n % 3 + 1],
                    {t}, {t}
             FROM generate_series(1, {count}) AS n",
            id = Kind::Task.sql("n"),
            team = Kind::Team.sql(&format!("((n - 1) % {} + 1)", self.teams)),
            t = format_args!("{EPOCH} + n * interval '1 ms'"),
            count = self.tasks,
        )
    }
}
