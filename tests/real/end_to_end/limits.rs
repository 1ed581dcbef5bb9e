//! `--max-message-bytes` (here through its environment variable) sets the
//! request size limit of every API service of the real binary.

use dbrepo::proto::app::v1::{CreateTaskRequest, task_service_client::TaskServiceClient};
use tonic::Code;

use super::{channel, start_with};
use crate::support::TestDatabase;

#[tokio::test]
async fn the_configured_message_limit_refuses_larger_requests_with_resource_exhausted() {
    let database = TestDatabase::new().await;
    let mut service = start_with(
        &database.service_url(),
        &[("DBREPO_MAX_MESSAGE_BYTES", "1024")],
    )
    .await
    .unwrap_or_else(|out| panic!("{out}"));
    let mut tasks = TaskServiceClient::new(channel(&service.address).await);
    let refused = tasks
        .create_task(CreateTaskRequest {
            team_id: uuid::Uuid::new_v4().to_string(),
            title: "big notes".into(),
            notes: "n".repeat(2048),
            ..Default::default()
        })
        .await
        .expect_err("over the limit");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    let small = tasks
        .create_task(CreateTaskRequest {
            team_id: uuid::Uuid::new_v4().to_string(),
            title: "small".into(),
            ..Default::default()
        })
        .await
        .expect_err("an unknown team");
    assert_eq!(
        small.code(),
        Code::NotFound,
        "under the limit the call is served: {small:?}"
    );
    service.child.start_kill().unwrap();
    service.child.wait().await.unwrap();
}
