//! The DisassociateMember Lambda function: the operation bound to its handler; the code is in `shared`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::run::<shared::op::DisassociateMember>().await
}
