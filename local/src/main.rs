//! `cargo run --release --bin local-api`: the whole API on http://127.0.0.1:3000, no AWS needed.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use shared::App;
use shared::identity::IdentityMode;
use shared::store::Store;
use shared::store::embedded::EmbeddedStore;

/// Serves the scopes API (Network Flow Monitor, OpenSearch, Macie) locally. Callers act as the
/// account in their access key ID when it is 12 digits, else as 123456789012.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    port: u16,
    /// Embedded store file; it survives restarts.
    #[arg(long, env = "DATA_FILE", default_value = ".data/local-api.redb")]
    data: PathBuf,
    /// Keep the embedded store in memory only.
    #[arg(long, conflicts_with = "dynamodb_endpoint")]
    in_memory: bool,
    /// Use DynamoDB at this endpoint (e.g. DynamoDB Local at http://127.0.0.1:8000) instead of
    /// the embedded store.
    #[arg(long, env = "DYNAMODB_ENDPOINT")]
    dynamodb_endpoint: Option<String>,
    /// DynamoDB table name.
    #[arg(long, env = "TABLE_NAME", default_value = "scopes-api", value_parser = local_api::table_name)]
    table: String,
    /// Create the DynamoDB table first if it does not exist.
    #[arg(long)]
    create_table: bool,
    /// Region used in ARNs.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Seconds a client has to send a whole request head, from connecting or from its first
    /// byte; then the connection is closed.
    #[arg(long, env = "HEADER_TIMEOUT", default_value = "10", value_name = "SECONDS", value_parser = local_api::seconds)]
    header_timeout: Duration,
    /// Seconds a kept-alive connection may wait for its next request before it is closed.
    #[arg(long, env = "IDLE_TIMEOUT", default_value = "60", value_name = "SECONDS", value_parser = local_api::seconds)]
    idle_timeout: Duration,
    /// Seconds a client has to send a request body once its head arrived; then the request is
    /// refused with a ValidationException.
    #[arg(long, env = "BODY_TIMEOUT", default_value = "30", value_name = "SECONDS", value_parser = local_api::seconds)]
    body_timeout: Duration,
    /// Connections held at once; beyond, the longest-waiting one that runs no operation is
    /// closed (or the new one refused with a ThrottlingException when all are running one).
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Print the operations table: what the scripts derive their lists from.
    Routes {
        /// `json`: one object a line (operation, service, method, path, function binary,
        /// template resource); `watch-router`: the `cargo lambda watch` router (`make dev`).
        #[arg(long, value_enum, default_value_t = local_api::RoutesFormat::Json)]
        format: local_api::RoutesFormat,
    },
    /// Create the DynamoDB table (at --dynamodb-endpoint, else in the AWS account of the
    /// environment) if it does not exist, then exit.
    CreateTable,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("local-api: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    if let Some(Command::Routes { format }) = args.command {
        // A closed pipe (`| head`) is the reader's choice, not an error worth a panic.
        let _ = std::io::Write::write_all(&mut std::io::stdout(), local_api::routes(format).as_bytes());
        return Ok(());
    }
    if let Some(Command::CreateTable) = args.command {
        let endpoint = args.dynamodb_endpoint.as_deref();
        local_api::dynamodb_store(endpoint, &args.table, &args.region, true).await?;
        println!("table {} is ready", args.table);
        return Ok(());
    }
    let (store, described): (Arc<dyn Store>, String) = match &args.dynamodb_endpoint {
        Some(endpoint) => {
            let store = local_api::dynamodb_store(Some(endpoint), &args.table, &args.region, args.create_table).await?;
            (Arc::new(store), format!("DynamoDB table {} at {endpoint}", args.table))
        }
        None if args.in_memory => {
            (Arc::new(EmbeddedStore::in_memory().map_err(|e| e.to_string())?), "embedded, in memory".into())
        }
        None => {
            let store = EmbeddedStore::open(&args.data).map_err(|e| e.to_string())?;
            (Arc::new(store), format!("embedded, data in {}", args.data.display()))
        }
    };
    let app = Arc::new(App::new(store, &args.region).with_identity(IdentityMode::Local));
    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| format!("binding {address}: {e}"))?;
    println!("scopes API listening on http://{address} (store: {described})");
    let limits = local_api::ServeLimits {
        header_timeout: args.header_timeout,
        idle_timeout: args.idle_timeout,
        body_timeout: args.body_timeout,
        max_connections: args.max_connections as usize,
    };
    local_api::serve_with(listener, app, limits).await.map_err(|e| e.to_string())
}
