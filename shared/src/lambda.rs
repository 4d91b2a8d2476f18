//! The Lambda adapter: an API Gateway event in, the operation's response out.

use lambda_http::http::Response;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt};

use crate::app::App;
use crate::common::AccountId;
use crate::error::ApiError;
use crate::identity::{IdentityMode, local_caller};
use crate::operations::{Handler, Operation, serve};
use crate::request::{ApiRequest, ApiResponse, PathParams, new_request_id};

/// A Lambda function's whole life: tracing, the app from the environment, then operation `H`
/// for every event. `H` is fixed at compile time, so the binary links that handler only.
pub async fn run<H: Handler>() -> Result<(), Error> {
    init_tracing();
    let app = App::from_env().await?;
    lambda_http::run(lambda_http::service_fn(|request| handle::<H>(&app, request))).await
}

/// Logs as the runtime's default subscriber does (no time, no target; JSON lines when
/// `AWS_LAMBDA_LOG_FORMAT=JSON`), at the level `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`) names,
/// `INFO` by default. A level only, not `RUST_LOG`'s per-module directives: their filter links a
/// regex engine into every function (README, Performance).
pub fn init_tracing() {
    use lambda_http::tracing::subscriber::filter::LevelFilter;
    let var = |name| std::env::var(name).ok();
    let level = var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| var("RUST_LOG"))
        .and_then(|level| level.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = lambda_http::tracing::subscriber::fmt().with_target(false).without_time().with_max_level(level);
    // Fails only when a subscriber is already set (a test's): that one stays.
    let _ = if json { logs.json().try_init() } else { logs.try_init() };
}

/// Serves one API Gateway request with operation `H`. Never fails: every outcome is an HTTP answer.
pub async fn handle<H: Handler>(app: &App, request: Request) -> Result<Response<Body>, Error> {
    let response = match api_request(app, H::OPERATION, &request) {
        Ok(api_request) => serve::<H>(app, api_request).await,
        Err(refused) => refused,
    };
    into_lambda_response(response)
}

/// The API Gateway request as `operation` reads it, or the answer when it cannot be one (a path
/// that is not the operation's).
pub fn api_request(app: &App, operation: Operation, request: &Request) -> Result<ApiRequest, ApiResponse> {
    let request_id = gateway_request_id(request).unwrap_or_else(new_request_id);
    match path_params(operation, request) {
        Ok(path_params) => Ok(ApiRequest {
            caller: caller(app.identity(), request),
            path_params,
            query: ApiRequest::parse_query(request.uri().query()),
            body: body_bytes(request.body()),
            request_id,
        }),
        Err(error) => Err(ApiResponse::error(&error, Some(operation.service()), request_id)),
    }
}

fn gateway_request_id(request: &Request) -> Option<String> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.request_id.clone(),
        RequestContext::ApiGatewayV1(ctx) => ctx.request_id.clone(),
        _ => None,
    }
}

/// The caller's account: from the IAM authoriser in the request context, or, only where local
/// identity is switched on, from the access key of the `Authorization` header.
fn caller(mode: IdentityMode, request: &Request) -> Option<AccountId> {
    match mode {
        IdentityMode::Local => {
            let auth = request.headers().get("authorization").and_then(|v| v.to_str().ok());
            Some(local_caller(auth))
        }
        IdentityMode::Iam => {
            let account = match request.request_context_ref()? {
                RequestContext::ApiGatewayV2(ctx) => ctx.authorizer.as_ref()?.iam.as_ref()?.account_id.clone(),
                RequestContext::ApiGatewayV1(ctx) => ctx.identity.account_id.clone(),
                _ => None,
            };
            AccountId::parse(account.as_deref()?)
        }
    }
}

/// The route's labels: API Gateway's decoded path parameters when it routed the request by this
/// operation's route, else the path matched against the route (a stage or base-path prefix is
/// ignored; labels decoded once).
///
/// An HTTP API event names its route (`routeKey` `POST /tags/{resourceArn+}`; `sam local` does
/// the same), and its parameters come decoded (`{resourceArn+}` as `resourceArn`). `cargo lambda
/// watch` routes every request as `$default` and passes the raw, still percent-encoded path
/// values, so for such an event the path is matched here instead.
fn path_params(operation: Operation, request: &Request) -> Result<PathParams, ApiError> {
    let route = operation.route();
    let routed_elsewhere = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.route_key.as_deref() != Some(format!("{} {}", route.method, route.path).as_str())
        }
        _ => false,
    };
    let given = request.path_parameters();
    let from_gateway: Option<Vec<_>> = route.labels().map(|l| given.first(l).map(|v| (l, v.to_owned()))).collect();
    if let Some(params) = from_gateway.filter(|p| !p.is_empty() && !routed_elsewhere) {
        return Ok(PathParams::new(params));
    }
    route.match_path(request.uri().path(), true).ok_or_else(|| {
        ApiError::UnknownOperation(format!(
            "{} {} is not served by {}",
            request.method(),
            request.uri().path(),
            operation.name()
        ))
    })
}

fn body_bytes(body: &Body) -> Vec<u8> {
    match body {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.as_bytes().to_vec(),
        Body::Binary(bytes) => bytes.clone(),
        _ => Vec::new(),
    }
}

/// The response as API Gateway expects it from the function.
pub fn into_lambda_response(response: ApiResponse) -> Result<Response<Body>, Error> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    Ok(builder.body(Body::Text(String::from_utf8_lossy(&response.body).into_owned()))?)
}
