//! The RPC kinds the bench drives, and one call of each through the
//! generated tonic clients.

use clap::ValueEnum;
use dbrepo::proto::app::v1 as app;
use dbrepo::proto::manager::{v1 as m1, v2 as m2};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::ids::{Kind, Rng};
use crate::seed::Seed;

/// One RPC kind with the rows it draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rpc {
    /// manager.v1 GetTeam of a random team.
    GetTeam,
    /// manager.v2 GetMember of a random member.
    GetMember,
    /// manager.v2 ListMembers, first page of 50, of a random small team.
    ListMembersSmall,
    /// manager.v2 ListMembers, first page of 50, of a random large team.
    ListMembersLarge,
    /// app.v1 ListTasks, first page of 50, of a random team.
    ListTasks,
    /// app.v1 CreateTask (no assignee, no due time) in a random team.
    CreateTask,
    /// manager.v2 UpdateMember of a random member's given name, no etag.
    UpdateMember,
    /// grpc.health.v1 Check of the whole server: dbrepo's gRPC stack with no
    /// database work, the floor under every RPC's cost (not in `ALL`; the
    /// run measures it after the RPCs).
    #[value(skip)]
    GrpcFloor,
}

impl Rpc {
    /// Every kind, in report order.
    pub const ALL: [Rpc; 7] = [
        Rpc::GetTeam,
        Rpc::GetMember,
        Rpc::ListMembersSmall,
        Rpc::ListMembersLarge,
        Rpc::ListTasks,
        Rpc::CreateTask,
        Rpc::UpdateMember,
    ];

    /// The name in reports.
    pub fn label(self) -> &'static str {
        match self {
            Rpc::GetTeam => "GetTeam (v1)",
            Rpc::GetMember => "GetMember (v2)",
            Rpc::ListMembersSmall => "ListMembers 50/100 (v2)",
            Rpc::ListMembersLarge => "ListMembers 50/1000 (v2)",
            Rpc::ListTasks => "ListTasks 50 (app)",
            Rpc::CreateTask => "CreateTask (app)",
            Rpc::UpdateMember => "UpdateMember (v2)",
            Rpc::GrpcFloor => "gRPC floor: health Check, no database",
        }
    }

    /// The rows this kind draws from: `(kind, lo, hi)` of seeded numbers.
    /// pgbench draws the same ranges.
    pub fn draws(self, seed: &Seed) -> Vec<(Kind, u64, u64)> {
        match self {
            Rpc::GetTeam | Rpc::ListTasks | Rpc::CreateTask | Rpc::GrpcFloor => {
                vec![(Kind::Team, 1, seed.teams)]
            }
            Rpc::GetMember | Rpc::UpdateMember => vec![(Kind::Member, 1, seed.members)],
            Rpc::ListMembersSmall => vec![(Kind::Team, 1, seed.small_teams)],
            Rpc::ListMembersLarge => {
                let (lo, hi) = seed.large_range();
                vec![(Kind::Team, lo, hi)]
            }
        }
    }
}

/// One stream's clients (cheap clones over a shared channel).
#[derive(Clone)]
pub struct Clients {
    v1: m1::manager_service_client::ManagerServiceClient<Channel>,
    v2: m2::manager_service_client::ManagerServiceClient<Channel>,
    app: app::task_service_client::TaskServiceClient<Channel>,
    health: HealthClient<Channel>,
}

impl Clients {
    /// Clients of every API over `channel`.
    pub fn new(channel: Channel) -> Self {
        Self {
            v1: m1::manager_service_client::ManagerServiceClient::new(channel.clone()),
            v2: m2::manager_service_client::ManagerServiceClient::new(channel.clone()),
            app: app::task_service_client::TaskServiceClient::new(channel.clone()),
            health: HealthClient::new(channel),
        }
    }

    /// Makes one call of `rpc` on rows drawn from `seed` with `rng`.
    pub async fn call(
        &mut self,
        rpc: Rpc,
        seed: &Seed,
        rng: &mut Rng,
    ) -> Result<(), tonic::Status> {
        let (kind, lo, hi) = rpc.draws(seed)[0];
        let id = kind.id(rng.range(lo, hi)).to_string();
        match rpc {
            Rpc::GetTeam => {
                self.v1.get_team(m1::GetTeamRequest { id }).await?;
            }
            Rpc::GetMember => {
                self.v2.get_member(m2::GetMemberRequest { id }).await?;
            }
            Rpc::ListMembersSmall | Rpc::ListMembersLarge => {
                let request = m2::ListMembersRequest {
                    team_id: id,
                    page_size: 50,
                    ..Default::default()
                };
                self.v2.list_members(request).await?;
            }
            Rpc::ListTasks => {
                let request = app::ListTasksRequest {
                    team_id: id,
                    page_size: 50,
                    ..Default::default()
                };
                self.app.list_tasks(request).await?;
            }
            Rpc::CreateTask => {
                let request = app::CreateTaskRequest {
                    team_id: id,
                    title: "benchmark task".into(),
                    ..Default::default()
                };
                self.app.create_task(request).await?;
            }
            Rpc::UpdateMember => {
                // Alternating names: every call really changes the row.
                let name = if rng.range(0, 1) == 0 { "Ada" } else { "Grace" };
                let request = m2::UpdateMemberRequest {
                    id,
                    given_name: Some(name.into()),
                    ..Default::default()
                };
                self.v2.update_member(request).await?;
            }
            Rpc::GrpcFloor => {
                let request = HealthCheckRequest {
                    service: String::new(),
                };
                self.health.check(request).await?;
            }
        }
        Ok(())
    }
}
