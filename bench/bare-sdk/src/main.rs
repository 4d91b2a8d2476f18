//! `make bench`'s SDK baseline: a function written the usual way, with `aws_config::load_defaults`
//! and a DynamoDB client made at init and one GetItem (the key GetScope reads) per request. Built
//! with the functions' release profile (run cargo in `functions/`, in its own cargo invocation so
//! that its SDK features do not reach the functions).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response, service_fn};

async fn answer(client: &Client, table: &str) -> Result<Response<Body>, Error> {
    let item = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S("ACCOUNT#222222222222".to_owned()))
        .key("sk", AttributeValue::S("SCOPE".to_owned()))
        .send()
        .await?;
    let status = if item.item().is_some() { 200 } else { 404 };
    Ok(Response::builder().status(status).body(Body::Text("{}".to_owned()))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = std::env::var("TABLE_NAME")?;
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Ok(endpoint) = std::env::var("DYNAMODB_ENDPOINT") {
        loader = loader.endpoint_url(endpoint);
    }
    let client = Client::new(&loader.load().await);
    let (client, table) = (&client, table.as_str());
    lambda_http::run(service_fn(move |_: Request| answer(client, table))).await
}
