//! `make bench`'s floor: the smallest `lambda_http` function, answering 200 to any event. Built
//! with the functions' release profile (run cargo in `functions/`), it measures what the runtime
//! alone costs in size, init and invoke.

use lambda_http::{Body, Error, Request, Response, service_fn};

async fn answer(_: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder().status(200).body(Body::Text("{}".to_owned()))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(answer)).await
}
