//! A request over the message size limit is RESOURCE_EXHAUSTED (gRPC's
//! status table), never OUT_OF_RANGE, and writes nothing.

use dbrepo::proto::manager::v1;
use tonic::Code;

use super::{assert_code, start};

#[tokio::test]
async fn a_request_over_the_default_four_mebibytes_is_resource_exhausted() {
    let mut grpc = start().await;
    let oversize = grpc
        .v1
        .create_team(v1::CreateTeamRequest {
            name: "Too big".into(),
            description: "d".repeat(4 * 1024 * 1024),
        })
        .await;
    let status = assert_code(oversize, Code::ResourceExhausted);
    assert!(status.message().contains("too large"), "{status:?}");
    let teams = grpc
        .v1
        .list_teams(v1::ListTeamsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .teams;
    assert!(teams.is_empty(), "nothing was written: {teams:?}");
    grpc.stop().await;
}
