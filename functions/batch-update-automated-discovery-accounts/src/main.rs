//! The BatchUpdateAutomatedDiscoveryAccounts Lambda function. All logic lives in the `shared` crate.

use shared::{App, Operation, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::init_tracing();
    let app = App::from_env().await?;
    lambda_http::run(lambda_http::service_fn(|request| {
        lambda::handle(&app, Operation::BatchUpdateAutomatedDiscoveryAccounts, request)
    }))
    .await
}
