//! The real binary's Prometheus endpoint: every API method's samples exist
//! at zero from startup; after calls ending with each code the spec names,
//! the counters hold exactly those calls; the pool gauges follow a call
//! that holds the only connection.

use std::collections::HashMap;
use std::time::Duration;

use dbrepo::proto::app::v1::{CreateTaskRequest, task_service_client::TaskServiceClient};
use dbrepo::proto::manager::v1::{
    self as v1, manager_service_client::ManagerServiceClient as V1Client,
};
use dbrepo::proto::manager::v2::{
    self as v2, manager_service_client::ManagerServiceClient as V2Client,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;

use super::{channel, hold_member_row, start_with, wait_until_blocked};
use crate::support::TestDatabase;

const V1: &str = "dbrepo.manager.v1.ManagerService";
const V2: &str = "dbrepo.manager.v2.ManagerService";
const APP: &str = "dbrepo.app.v1.TaskService";

#[tokio::test]
async fn metrics_count_every_call_by_method_and_code_and_show_the_pool() {
    let database = TestDatabase::new().await;
    // One connection, and a one-second wait for it: a second call while
    // the first holds it ends UNAVAILABLE.
    let service = start_with(
        &database.service_url(),
        &[
            ("DBREPO_POOL_SIZE", "1"),
            ("DBREPO_CONNECT_TIMEOUT_SECS", "1"),
        ],
    )
    .await
    .unwrap_or_else(|out| panic!("{out}"));
    let scrape_at = service.metrics_address.clone();

    let fresh = scrape(&scrape_at).await;
    for (service, method) in [(V1, "GetTeam"), (V2, "UpdateMember"), (APP, "ListTasks")] {
        assert_eq!(fresh.get(&started(service, method)), Some(&0.0));
        for code in [
            "OK",
            "NotFound",
            "Unavailable",
            "Canceled",
            "Unauthenticated",
        ] {
            assert_eq!(fresh.get(&handled(service, method, code)), Some(&0.0));
        }
        assert_eq!(fresh.get(&seconds_count(service, method)), Some(&0.0));
    }
    assert_eq!(
        fresh.get("dbrepo_up{service=\"dbrepo.app.v1.TaskService\"}"),
        Some(&1.0)
    );
    assert_eq!(fresh.get("dbrepo_pool_connections_max"), Some(&1.0));
    let required = fresh["dbrepo_schema_version_required"];
    assert!(required >= 4.0, "{required}");
    assert_eq!(fresh["dbrepo_schema_version"], required);

    let address = service.address.clone();
    let mut manager_v1 = V1Client::new(channel(&address).await);
    let mut manager_v2 = V2Client::new(channel(&address).await);
    let mut tasks = TaskServiceClient::new(channel(&address).await);
    let create_team = |name: &str| v1::CreateTeamRequest {
        name: name.into(),
        description: String::new(),
    };
    let team = manager_v1
        .create_team(create_team("Observed"))
        .await
        .expect("OK")
        .into_inner()
        .team
        .unwrap();
    let duplicate = manager_v1.create_team(create_team("observed")).await;
    assert_eq!(code(duplicate), Code::AlreadyExists);
    assert_eq!(
        code(manager_v1.create_team(create_team("")).await),
        Code::InvalidArgument
    );
    let unknown = v2::GetMemberRequest {
        id: uuid::Uuid::now_v7().to_string(),
    };
    assert_eq!(code(manager_v2.get_member(unknown).await), Code::NotFound);
    let member = manager_v2
        .create_member(v2::CreateMemberRequest {
            team_id: team.id.clone(),
            given_name: "Ada".into(),
            email: "ada@example.org".into(),
            status: v2::MemberStatus::Active.into(),
            ..Default::default()
        })
        .await
        .expect("OK")
        .into_inner()
        .member
        .unwrap();
    let rename = |etag: &str, name: &str| v2::UpdateMemberRequest {
        id: member.id.clone(),
        etag: etag.into(),
        given_name: Some(name.into()),
        ..Default::default()
    };
    manager_v2
        .update_member(rename(&member.etag, "Augusta"))
        .await
        .expect("OK");
    let stale = manager_v2.update_member(rename(&member.etag, "Ada")).await;
    assert_eq!(code(stale), Code::Aborted);
    let unassignable = tasks
        .create_task(CreateTaskRequest {
            team_id: team.id.clone(),
            title: "review".into(),
            assignee_id: Some(uuid::Uuid::now_v7().to_string()),
            ..Default::default()
        })
        .await;
    assert_eq!(code(unassignable), Code::FailedPrecondition);

    // An update waits on a row the owner holds, keeping the only
    // connection; a read meanwhile finds none free in time.
    let owner = database.owner_pool().await;
    let blocker = hold_member_row(&owner, &member.id).await;
    let mut holder = manager_v2.clone();
    let lovelace = rename("", "Lovelace");
    let held = tokio::spawn(async move { holder.update_member(lovelace).await });
    wait_until_blocked(&owner).await;
    let busy = scrape(&scrape_at).await;
    assert_eq!(busy["dbrepo_pool_connections_in_use"], 1.0);
    assert_eq!(busy["dbrepo_pool_connections_idle"], 0.0);
    let waiting = v2::GetMemberRequest {
        id: member.id.clone(),
    };
    assert_eq!(
        code(manager_v2.get_member(waiting).await),
        Code::Unavailable
    );
    blocker.rollback().await.unwrap();
    held.await.unwrap().expect("OK once the row is free");

    let after = scrape(&scrape_at).await;
    let expected = [
        (V1, "CreateTeam", "OK", 1.0),
        (V1, "CreateTeam", "AlreadyExists", 1.0),
        (V1, "CreateTeam", "InvalidArgument", 1.0),
        (V2, "CreateMember", "OK", 1.0),
        (V2, "GetMember", "NotFound", 1.0),
        (V2, "GetMember", "Unavailable", 1.0),
        (V2, "UpdateMember", "OK", 2.0),
        (V2, "UpdateMember", "Aborted", 1.0),
        (APP, "CreateTask", "FailedPrecondition", 1.0),
    ];
    for (service, method, code, count) in expected {
        assert_eq!(
            after[&handled(service, method, code)],
            count,
            "{method} {code}"
        );
    }
    let handled_total: f64 = after
        .iter()
        .filter(|(series, _)| series.starts_with("grpc_server_handled_total{"))
        .map(|(_, value)| value)
        .sum();
    assert_eq!(handled_total, 10.0, "no other call was counted");
    for (service, method, calls) in [
        (V1, "CreateTeam", 3.0),
        (V2, "UpdateMember", 3.0),
        (V2, "GetMember", 2.0),
    ] {
        assert_eq!(after[&started(service, method)], calls, "{method}");
        assert_eq!(after[&seconds_count(service, method)], calls, "{method}");
    }
    let errors = |cause: &str| after[&format!("dbrepo_database_errors_total{{cause=\"{cause}\"}}")];
    assert_eq!(errors("pool_exhausted"), 1.0);
    assert_eq!(errors("unexpected"), 0.0);
    assert_eq!(after["dbrepo_pool_connections_in_use"], 0.0);
    assert_eq!(after["dbrepo_pool_connections_idle"], 1.0);
    // The read that found no connection waited about the one-second limit.
    assert!(after["dbrepo_pool_acquire_wait_seconds_sum"] >= 0.9);
}

/// The code of a call that must have failed.
fn code<T: std::fmt::Debug>(result: Result<T, tonic::Status>) -> Code {
    result.expect_err("the call fails").code()
}

fn labels(service: &str, method: &str) -> String {
    format!("grpc_type=\"unary\",grpc_service=\"{service}\",grpc_method=\"{method}\"")
}

fn started(service: &str, method: &str) -> String {
    format!("grpc_server_started_total{{{}}}", labels(service, method))
}

fn handled(service: &str, method: &str, code: &str) -> String {
    format!(
        "grpc_server_handled_total{{{},grpc_code=\"{code}\"}}",
        labels(service, method)
    )
}

fn seconds_count(service: &str, method: &str) -> String {
    format!(
        "grpc_server_handling_seconds_count{{{}}}",
        labels(service, method)
    )
}

/// `GET /metrics` over plain HTTP/1.1: every sample, by its series.
async fn scrape(address: &str) -> HashMap<String, f64> {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .unwrap_or_else(|err| panic!("connect to the metrics endpoint {address:?}: {err}"));
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut reply))
        .await
        .expect("the endpoint answers")
        .unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").expect("an HTTP reply");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{head}"
    );
    assert!(body.trim_end().ends_with("# EOF"), "{body}");
    body.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("series value");
            (series.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}
