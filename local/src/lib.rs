//! The local API server: every operation on one port, routed by the shared route table to the
//! same handlers the Lambda functions run.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use shared::identity::local_caller;
use shared::operations::{dispatch, match_route};
use shared::request::{ApiRequest, ApiResponse, MAX_BODY_BYTES, new_request_id};
use shared::store::dynamodb::{DynamoStore, TableError, dynamodb_client};
use shared::{ApiError, App};

/// The whole API as an axum router: one fallback handler, routed by [`shared::ROUTES`].
pub fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

/// Serves the API on `listener` until the process is interrupted.
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let request_id = new_request_id();
    let (parts, body) = request.into_parts();
    let response = match match_route(parts.method.as_str(), parts.uri.path()) {
        Err(error) => ApiResponse::error(&error, None, request_id),
        Ok((operation, path_params)) => match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
            Err(err) => {
                let too_large =
                    std::error::Error::source(&err).is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
                let error = if too_large {
                    ApiError::validation(format!("The request body is larger than {MAX_BODY_BYTES} bytes"))
                } else {
                    ApiError::validation(format!("The request body could not be read: {err}"))
                };
                ApiResponse::error(&error, Some(operation.service()), request_id)
            }
            Ok(bytes) => {
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
