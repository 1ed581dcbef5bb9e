//! The real `dbrepo` binary as a child process against a test database:
//! startup gate, health, all three services, reflection, and a graceful
//! SIGTERM that lets an in-flight call finish.

use std::process::Stdio;
use std::time::Duration;

use dbrepo::proto::app::v1::{CreateTaskRequest, task_service_client::TaskServiceClient};
use dbrepo::proto::manager::v1::{
    self as v1, manager_service_client::ManagerServiceClient as V1Client,
};
use dbrepo::proto::manager::v2::{
    self as v2, manager_service_client::ManagerServiceClient as V2Client,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::Executor;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::support::TestDatabase;

mod limits;
mod metrics;
mod shutdown;
mod traces;

/// A running `dbrepo` and the address it serves on.
pub struct Service {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The metrics endpoint's `127.0.0.1:<port>` ("off" when turned off).
    pub metrics_address: String,
}

/// Starts the binary on a free port and waits for its "serving" log line.
async fn start(database_url: &str) -> Result<Service, String> {
    start_with(database_url, &[]).await
}

/// [`start`] with more environment variables (later ones win).
pub async fn start_with(database_url: &str, env: &[(&str, &str)]) -> Result<Service, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbrepo"))
        .env("DATABASE_URL", database_url)
        .env("DBREPO_LISTEN", "127.0.0.1:0")
        .env("DBREPO_METRICS_LISTEN", "127.0.0.1:0")
        .env("DBREPO_LOG_FORMAT", "json")
        .env("DBREPO_SHUTDOWN_GRACE_SECS", "30")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start dbrepo");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    let wait = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push_str(&line);
            seen.push('\n');
            if let Some(address) = field(&line, "address") {
                return Some((address, field(&line, "metrics_address").unwrap_or_default()));
            }
        }
        None
    });
    match wait.await {
        Ok(Some((address, metrics_address))) => {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            Ok(Service {
                child,
                address: format!("http://{address}"),
                metrics_address,
            })
        }
        _ => {
            let output = child.wait_with_output().await.expect("collect output");
            Err(format!("{seen}{}", String::from_utf8_lossy(&output.stderr)))
        }
    }
}

/// The string value of `"name":"…"` in a JSON log line.
fn field(line: &str, name: &str) -> Option<String> {
    let rest = line.split(&format!("\"{name}\":\"")).nth(1)?;
    rest.split('"').next().map(str::to_owned)
}

#[tokio::test]
async fn the_binary_refuses_an_unmigrated_database_naming_the_missing_version() {
    let database = TestDatabase::unmigrated().await;
    let error = match start(&database.service_url()).await {
        Ok(_) => panic!("dbrepo served on an unmigrated database"),
        Err(output) => output,
    };
    let missing = format!(
        "missing migrations {:?}",
        dbrepo_migrations::known_versions()
    );
    assert!(error.contains(&missing), "{error}");
    assert!(error.contains("dbrepo-migrations up"), "{error}");
}

#[tokio::test]
async fn the_binary_serves_every_version_and_drains_on_sigterm() {
    let database = TestDatabase::new().await;
    let mut service = start(&database.service_url())
        .await
        .unwrap_or_else(|out| panic!("{out}"));
    let address = service.address.clone();

    let mut health = HealthClient::new(channel(&address).await);
    for name in [
        "",
        "dbrepo.manager.v1.ManagerService",
        "dbrepo.manager.v2.ManagerService",
        "dbrepo.app.v1.TaskService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: name.into(),
            })
            .await
            .expect("health")
            .into_inner();
        assert_eq!(status.status(), ServingStatus::Serving, "{name:?}");
    }
    assert_reflection_lists_the_services(&address).await;

    let mut manager_v1 = V1Client::connect(address.clone()).await.unwrap();
    let team = manager_v1
        .create_team(v1::CreateTeamRequest {
            name: "End to end".into(),
            description: String::new(),
        })
        .await
        .expect("create team")
        .into_inner()
        .team
        .unwrap();
    let member = manager_v1
        .create_member(v1::CreateMemberRequest {
            team_id: team.id.clone(),
            full_name: "Mary Ann Smith".into(),
            email: "mary@example.org".into(),
        })
        .await
        .expect("create member")
        .into_inner()
        .member
        .unwrap();
    let mut manager_v2 = V2Client::connect(address.clone()).await.unwrap();
    let seen = manager_v2
        .get_member(v2::GetMemberRequest {
            id: member.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert_eq!(
        (seen.given_name.as_str(), seen.family_name.as_str()),
        ("Mary", "Ann Smith")
    );
    let mut tasks = TaskServiceClient::connect(address.clone()).await.unwrap();
    tasks
        .create_task(CreateTaskRequest {
            team_id: team.id.clone(),
            title: "ship".into(),
            assignee_id: Some(member.id.clone()),
            ..Default::default()
        })
        .await
        .expect("create task");

    // Hold the member's row so an update stays in flight, then SIGTERM.
    let owner = database.owner_pool().await;
    let blocker = hold_member_row(&owner, &member.id).await;
    let in_flight = tokio::spawn(async move {
        manager_v1
            .update_member(v1::UpdateMemberRequest {
                id: member.id,
                archived: Some(true),
                ..Default::default()
            })
            .await
    });
    wait_until_blocked(&owner).await;
    kill(
        Pid::from_raw(service.child.id().expect("pid") as i32),
        Signal::SIGTERM,
    )
    .expect("SIGTERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !in_flight.is_finished(),
        "the call is still waiting on the row"
    );
    blocker.rollback().await.unwrap();

    let updated = in_flight
        .await
        .unwrap()
        .expect("the in-flight call completes")
        .into_inner();
    assert!(updated.member.unwrap().archived);
    let status = tokio::time::timeout(Duration::from_secs(30), service.child.wait())
        .await
        .expect("exits")
        .unwrap();
    assert!(status.success(), "dbrepo exits 0 after SIGTERM: {status}");
}

/// Locks member `id`'s row in a transaction of the owner's until the
/// returned transaction ends: an update of it waits meanwhile.
pub async fn hold_member_row(
    owner: &sqlx::PgPool,
    id: &str,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut blocker = owner.begin().await.unwrap();
    blocker
        .execute(
            sqlx::query("SELECT 1 FROM manager.members WHERE id = $1::uuid FOR UPDATE").bind(id),
        )
        .await
        .unwrap();
    blocker
}

/// Waits until some session waits on a row lock (the in-flight update).
async fn wait_until_blocked(owner: &sqlx::PgPool) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
        )
        .fetch_one(owner)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the update never reached the database");
}

async fn assert_reflection_lists_the_services(address: &str) {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut client = ServerReflectionClient::new(channel(address).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().expect("a response");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("not a list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "dbrepo.manager.v1.ManagerService",
        "dbrepo.manager.v2.ManagerService",
        "dbrepo.app.v1.TaskService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
}

/// A channel to `address`.
pub async fn channel(address: &str) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(address.to_owned())
        .expect("address")
        .connect()
        .await
        .expect("connect")
}
