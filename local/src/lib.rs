//! The local API server: every operation on one port, routed by the shared route table to the
//! same handlers the Lambda functions run.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use shared::identity::local_caller;
use shared::operations::{dispatch, match_route};
use shared::request::{ApiRequest, ApiResponse, MAX_BODY_BYTES, new_request_id};
use shared::store::dynamodb::{DynamoStore, TableError, dynamodb_client};
use shared::{ApiError, App};

mod http;

/// How long the server waits for a client, and how many connections it holds at once
/// (docs/conventions.md §3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// From connecting, or from the first byte of a request, until its whole head has arrived.
    pub header_timeout: Duration,
    /// Between the end of one response and the first byte of the next request.
    pub idle_timeout: Duration,
    /// From the end of a request's head until its whole body has arrived.
    pub body_timeout: Duration,
    /// Connections held at once; beyond, the longest-waiting connection that is not running an
    /// operation is closed, or the new one refused when every one is.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
        }
    }
}

/// Serves the API on `listener` with the default [`ServeLimits`] until the process is interrupted.
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) -> std::io::Result<()> {
    serve_with(listener, app, ServeLimits::default()).await
}

/// Serves the API on `listener` within `limits` until the process is interrupted.
pub async fn serve_with(listener: tokio::net::TcpListener, app: Arc<App>, limits: ServeLimits) -> std::io::Result<()> {
    http::serve(listener, app, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// One request, routed by [`shared::ROUTES`] to its operation.
async fn handle(
    app: Arc<App>,
    connection: Arc<http::ConnState>,
    body_timeout: Duration,
    request: Request<hyper::body::Incoming>,
) -> Response {
    connection.request_started();
    let request_id = new_request_id();
    let (parts, body) = request.into_parts();
    let response = match match_route(parts.method.as_str(), parts.uri.path()) {
        Err(error) => ApiResponse::error(&error, None, request_id),
        Ok((operation, path_params)) => match read_body(&parts.headers, Body::new(body), body_timeout).await {
            Err(error) => ApiResponse::error(&error, Some(operation.service()), request_id),
            Ok(bytes) => {
                connection.body_read();
                let authorization = parts.headers.get("authorization").and_then(|v| v.to_str().ok());
                let request = ApiRequest {
                    request_id,
                    caller: Some(local_caller(authorization)),
                    path_params,
                    query: ApiRequest::parse_query(parts.uri.query()),
                    body: bytes.to_vec(),
                };
                dispatch(&app, operation, request).await
            }
        },
    };
    let mut builder = Response::builder().status(response.status);
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(response.body)).unwrap_or_else(|_| {
        let mut fallback = Response::new(Body::from(ApiError::Internal.body()));
        *fallback.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// The whole body, at most [`MAX_BODY_BYTES`] and within `timeout`. A body declared larger is
/// refused before it is read, so a client waiting for `100 Continue` is not told to send it.
async fn read_body(
    headers: &axum::http::HeaderMap,
    body: Body,
    timeout: Duration,
) -> Result<axum::body::Bytes, ApiError> {
    let too_large = || ApiError::validation(format!("The request body is larger than {MAX_BODY_BYTES} bytes"));
    let declared = headers.get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Err(_) => {
            Err(ApiError::validation(format!("The request body did not arrive within {} s", timeout.as_secs_f64())))
        }
        Ok(Err(err)) if std::error::Error::source(&err).is_some_and(|e| e.is::<http_body_util::LengthLimitError>()) => {
            Err(too_large())
        }
        Ok(Err(err)) => Err(ApiError::validation(format!("The request body could not be read: {err}"))),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// How [`routes`] prints the operations table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoutesFormat {
    Json,
    WatchRouter,
}

/// The operations table in `format`.
pub fn routes(format: RoutesFormat) -> String {
    let mut out = String::new();
    if let RoutesFormat::WatchRouter = format {
        out.push_str("# Generated from the operations table by `local-api routes --format watch-router`.\n");
        out.push_str("[watch]\nrouter = [\n");
    }
    for route in shared::ROUTES {
        let op = route.operation;
        let line = match format {
            RoutesFormat::Json => serde_json::json!({
                "operation": op.name(),
                "service": format!("{:?}", op.service()),
                "method": route.method,
                "path": route.path,
                "function": op.function_name(),
                "resource": op.template_resource(),
            })
            .to_string(),
            // matchit's syntax: a greedy `{label+}` is the catch-all `{*label}`.
            RoutesFormat::WatchRouter => format!(
                "    {{ path = {:?}, methods = [{:?}], function = {:?} }},",
                route.matchit_path(),
                route.method,
                op.function_name()
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    if let RoutesFormat::WatchRouter = format {
        out.push_str("]\n");
    }
    out
}

/// A duration flag in seconds (`10`, `0.5`): more than zero, at most a day.
pub fn seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("'{text}' is not a number of seconds from more than 0 to 86400")),
    }
}

/// A DynamoDB table name as DynamoDB accepts it, or why not (checked before anything connects).
pub fn table_name(name: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if (3..=255).contains(&name.len()) && name.chars().all(allowed) {
        Ok(name.to_owned())
    } else {
        Err("table name must be 3–255 characters of a-z, A-Z, 0-9, '_', '-', '.'".to_owned())
    }
}

/// The DynamoDB store on `table` (at `endpoint`, else the Region's), created first when asked,
/// else checked to exist: a server that cannot use its table says why in one line and exits.
pub async fn dynamodb_store(
    endpoint: Option<&str>,
    table: &str,
    region: &str,
    create: bool,
) -> Result<DynamoStore, String> {
    let (client, _) = dynamodb_client(endpoint, Some(region)).await;
    let store = DynamoStore::new(client, table);
    let checked = if create { store.create_table().await } else { store.check_table().await };
    checked.map_err(|error| match error {
        TableError::Unreachable { cause } => {
            format!("cannot reach DynamoDB at {}: {cause}", endpoint.unwrap_or("the Region's endpoint"))
        }
        other => other.to_string(),
    })?;
    Ok(store)
}
