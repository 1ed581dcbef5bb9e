//! Container health probe: asks a dbrepo server's `grpc.health.v1.Health`
//! whether it is SERVING. Exits 0 when it is, 1 otherwise, so a Dockerfile
//! `HEALTHCHECK` or an orchestrator's exec probe can use it without extra
//! tools in the image.

use std::{process::ExitCode, time::Duration};

use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:50051".to_owned());
    let service = std::env::args().nth(2).unwrap_or_default();
    match probe(&address, &service).await {
        Ok(ServingStatus::Serving) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("{address}: {service:?} is {}", status.as_str_name());
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("{address}: health check failed: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn probe(address: &str, service: &str) -> Result<ServingStatus, Box<dyn std::error::Error>> {
    let channel = tonic::transport::Endpoint::from_shared(address.to_owned())?
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(2))
        .connect()
        .await?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?;
    Ok(response.into_inner().status())
}
