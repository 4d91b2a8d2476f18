//! What the suites share: stores on both adapters (and DynamoDB Local clients with a test's
//! interceptor), the local server in-process with SDK clients per tenant and a raw HTTP client for
//! what the SDKs cannot send, the checks of an error on the wire (`assert_raw_error`) and through
//! an SDK (`expect_error!`), and `on_both_stores!`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use shared::App;
use shared::common::AccountId;
use shared::identity::IdentityMode;
use shared::store::Store;
use shared::store::dynamodb::{DynamoStore, dynamodb_client};
use shared::store::embedded::EmbeddedStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const REGION: &str = "us-east-1";

/// The account of requests without a 12-digit access key, so of every [`TestServer::raw`]
/// request (docs/conventions.md §4.2).
pub const LOCAL_DEFAULT: &str = "123456789012";

/// The two store adapters; every conformance and end-to-end test runs on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Embedded,
    DynamoDb,
}

/// The DynamoDB Local endpoint that `make test` (scripts/test.sh) started. Without it the test
/// fails: it is never skipped.
pub fn dynamodb_endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("DYNAMODB_ENDPOINT is not set: run the tests with `make test`, which starts DynamoDB Local")
    })
}

/// A DynamoDB store on a fresh table of DynamoDB Local. The client is the adapter's own
/// (shared::budget's retries) with longer timeouts: DynamoDB Local on a busy 2-core test machine
/// can take longer than the 2 s a Lambda allows a DynamoDB call, and what the suites check is
/// behaviour, not latency (the faults suite injects its timeouts).
pub async fn dynamo_store() -> DynamoStore {
    let (client, _) = dynamodb_client(Some(&dynamodb_endpoint()), Some(REGION)).await;
    let timeouts = aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .read_timeout(std::time::Duration::from_secs(30))
        .operation_attempt_timeout(std::time::Duration::from_secs(30))
        .operation_timeout(std::time::Duration::from_secs(60))
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(client.config().to_builder().timeout_config(timeouts).build());
    let store = DynamoStore::new(client, format!("test-{}", uuid::Uuid::new_v4()));
    store.create_table().await.unwrap_or_else(|e| panic!("creating a table on DynamoDB Local: {e}"));
    store
}

/// A fresh embedded store, in memory.
pub fn embedded_store() -> Arc<EmbeddedStore> {
    Arc::new(EmbeddedStore::in_memory().expect("in-memory redb"))
}

/// A fresh store of the given kind (the embedded one in memory).
pub async fn store(kind: StoreKind) -> Arc<dyn Store> {
    match kind {
        StoreKind::Embedded => embedded_store(),
        StoreKind::DynamoDb => Arc::new(dynamo_store().await),
    }
}

/// A second view of `table` (made by [`dynamo_store`]) through a DynamoDB Local client that
/// `customize` finishes configuring: an interceptor, a slower network.
pub fn dynamo_store_on(
    table: &str,
    customize: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
) -> DynamoStore {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new(REGION))
        .endpoint_url(dynamodb_endpoint())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "test"));
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(customize(config).build()), table.to_owned())
}

/// The mark [`mark_update_item`] leaves in a call's config bag.
#[derive(Debug, Clone)]
struct Marked;

impl Storable for Marked {
    type Storer = StoreReplace<Self>;
}

/// For a DynamoDB interceptor: marks this call if it is an UpdateItem that `pick` picks. The input
/// is readable only in `read_before_serialization`; the later hooks ask [`is_marked`]. (One
/// marking interceptor a client.)
pub fn mark_update_item(
    context: &BeforeSerializationInterceptorContextRef<'_>,
    cfg: &mut ConfigBag,
    pick: impl FnOnce(&UpdateItemInput) -> bool,
) {
    if context.input().downcast_ref::<UpdateItemInput>().is_some_and(pick) {
        cfg.interceptor_state().store_put(Marked);
    }
}

/// Whether [`mark_update_item`] marked this call.
pub fn is_marked(cfg: &ConfigBag) -> bool {
    cfg.load::<Marked>().is_some()
}

/// The account `id`, a valid 12-digit account ID.
pub fn account(id: &str) -> AccountId {
    AccountId::parse(id).expect("a 12-digit account ID")
}

/// Now, in whole seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

/// The local server, serving on an ephemeral loopback port for the life of the test runtime.
pub struct TestServer {
    pub addr: SocketAddr,
}

impl TestServer {
    pub async fn start(store: Arc<dyn Store>) -> Self {
        Self::serve(App::new(store, REGION)).await
    }

    /// The local server over `app` (its identity mode is set to local).
    pub async fn serve(app: App) -> Self {
        let app = Arc::new(app.with_identity(IdentityMode::Local));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(local_api::serve(listener, app));
        Self { addr }
    }

    /// A server on a fresh store of `kind`.
    pub async fn on(kind: StoreKind) -> Self {
        Self::start(store(kind).await).await
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The real AWS SDK client for Network Flow Monitor, acting as `account` (its access key).
    pub fn nfm(&self, account: &str) -> aws_sdk_networkflowmonitor::Client {
        let config = aws_sdk_networkflowmonitor::Config::builder()
            .behavior_version(aws_sdk_networkflowmonitor::config::BehaviorVersion::latest())
            .region(aws_sdk_networkflowmonitor::config::Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_networkflowmonitor::config::Credentials::new(
                account, "secret", None, None, "tests",
            ))
            .build();
        aws_sdk_networkflowmonitor::Client::from_conf(config)
    }

    /// The real AWS SDK client for OpenSearch Service, acting as `account` (its access key).
    pub fn opensearch(&self, account: &str) -> aws_sdk_opensearch::Client {
        let config = aws_sdk_opensearch::Config::builder()
            .behavior_version(aws_sdk_opensearch::config::BehaviorVersion::latest())
            .region(aws_sdk_opensearch::config::Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_opensearch::config::Credentials::new(account, "secret", None, None, "tests"))
            .build();
        aws_sdk_opensearch::Client::from_conf(config)
    }

    /// The real AWS SDK client for Macie, acting as `account` (its access key).
    pub fn macie(&self, account: &str) -> aws_sdk_macie2::Client {
        let config = aws_sdk_macie2::Config::builder()
            .behavior_version(aws_sdk_macie2::config::BehaviorVersion::latest())
            .region(aws_sdk_macie2::config::Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_macie2::config::Credentials::new(account, "secret", None, None, "tests"))
            .build();
        aws_sdk_macie2::Client::from_conf(config)
    }

    /// Sends one raw HTTP/1.1 request (for bodies the SDKs cannot produce).
    pub async fn raw(&self, method: &str, path: &str, body: &[u8]) -> RawResponse {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.expect("connect");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("write head");
        // The server may answer (and close) before reading a large body; that is fine.
        let _ = stream.write_all(body).await;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read response");
        RawResponse::parse(&raw)
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    /// One HTTP/1.1 response (after any `100 Continue`) from the start of `raw`.
    pub fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw);
        let text = text.strip_prefix("HTTP/1.1 100 Continue\r\n\r\n").unwrap_or(&text);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("an HTTP response: {text:?}"));
        let mut lines = head.lines();
        let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Self { status, headers, body: body.to_owned() }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Expects `resp` to be the error `error_type` with HTTP `status`, as every service sends one: the
/// `X-Amzn-ErrorType` header, a non-empty `x-amzn-RequestId`, `content-type: application/json`
/// and a JSON body whose `message` is not empty. Yields that message, for the caller to check what
/// it names.
#[track_caller]
pub fn assert_raw_error(resp: &RawResponse, status: u16, error_type: &str) -> String {
    assert_eq!(resp.status, status, "{resp:?}");
    assert_eq!(resp.header("x-amzn-errortype"), Some(error_type), "{resp:?}");
    assert!(resp.header("x-amzn-requestid").is_some_and(|v| !v.is_empty()), "no request id: {resp:?}");
    assert_eq!(resp.header("content-type"), Some("application/json"), "{resp:?}");
    let body: serde_json::Value = serde_json::from_str(&resp.body).unwrap_or_else(|e| panic!("{e}: {resp:?}"));
    let message = body["message"].as_str().unwrap_or_else(|| panic!("no message: {resp:?}"));
    assert!(!message.is_empty(), "an empty message: {resp:?}");
    message.to_owned()
}

/// Defines each listed `async fn name(kind: StoreKind)` as two tests, one per store adapter.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(crate::helpers::StoreKind::Embedded).await
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(crate::helpers::StoreKind::DynamoDb).await
                }
            )*
        }
    };
}
pub(crate) use on_both_stores;

/// Expects `$result` (an SDK call's result) to be the modeled error `$enum::$variant` with HTTP
/// `$status`; checks that `meta().code()` is the shape name and that the error carries a message,
/// and yields that message.
macro_rules! expect_error {
    ($result:expr, $enum:ident :: $variant:ident, $status:expr) => {{
        let err = match $result {
            Ok(out) => panic!("expected {}, got success: {out:?}", stringify!($variant)),
            Err(err) => err,
        };
        let status = err.raw_response().map(|r| r.status().as_u16());
        let code = err.code().map(str::to_owned);
        let message = match err.into_service_error() {
            $enum::$variant(e) => e.message().map(str::to_owned),
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        };
        assert_eq!(code.as_deref(), Some(stringify!($variant)), "meta().code()");
        assert_eq!(status, Some($status), "HTTP status of {}", stringify!($variant));
        let message = message.unwrap_or_default();
        assert!(!message.is_empty(), "{} has no message", stringify!($variant));
        message
    }};
}
pub(crate) use expect_error;

// ---------------------------------------------------------------------------------------------
// DynamoDB calls recorded and faults injected (round_trips, faults, nfm_e2e, opensearch_e2e)
// ---------------------------------------------------------------------------------------------

/// What [`DynamoCalls`] makes one DynamoDB attempt meet instead of DynamoDB Local's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// A 400 `ProvisionedThroughputExceededException`, as a table over its capacity answers.
    Throttle,
    /// A 500 `InternalServerError` from DynamoDB.
    ServerError,
    /// The attempt times out (a timeout-classified connector error; nothing reaches DynamoDB).
    Timeout,
    /// The connection drops before an answer (an I/O connector error; nothing reaches DynamoDB).
    Dropped,
}

impl Fault {
    pub const ALL: [Fault; 4] = [Fault::Throttle, Fault::ServerError, Fault::Timeout, Fault::Dropped];

    fn header(self) -> &'static str {
        match self {
            Fault::Throttle => "throttle",
            Fault::ServerError => "server-error",
            Fault::Timeout => "timeout",
            Fault::Dropped => "dropped",
        }
    }

    fn from_header(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.header() == value)
    }
}

/// Every injected fault's text carries this, so a test can find its cause in the logs.
pub const INJECTED: &str = "injected-fault";

/// The header the interceptor puts on an attempt for [`FaultyNetwork`] to fail it.
const FAULT_HEADER: &str = "x-test-injected-fault";

#[derive(Debug, Default)]
struct CallLog {
    /// The operation name of each call (`GetItem`, `TransactWriteItems`…), in the order started.
    names: Vec<String>,
    /// The fault, the call index it hits, and how many more attempts of that call it hits.
    plan: Option<(Fault, usize, usize)>,
    /// Attempts that met an injected fault.
    injected: usize,
}

/// A DynamoDB interceptor that records each call's operation name and can fail call `i` with a
/// [`Fault`] on every attempt (what the SDK's retries cannot hide) or on its first attempt only
/// (what they absorb). Install it with [`faulty_dynamo_store`], which also puts the
/// [`FaultyNetwork`] that carries the timeouts and dropped connections out.
#[derive(Debug, Clone, Default)]
pub struct DynamoCalls(Arc<std::sync::Mutex<CallLog>>);

/// The call index a [`DynamoCalls`] gave this call, in its config bag.
#[derive(Debug, Clone)]
struct CallIndex(usize);

impl Storable for CallIndex {
    type Storer = StoreReplace<Self>;
}

impl DynamoCalls {
    fn log(&self) -> std::sync::MutexGuard<'_, CallLog> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets the calls so far (the fault plan stays).
    pub fn reset(&self) {
        let mut log = self.log();
        log.names.clear();
        log.injected = 0;
    }

    /// The operation names of the calls since the last reset, in the order they started.
    pub fn names(&self) -> Vec<String> {
        self.log().names.clone()
    }

    /// Calls since the last reset.
    pub fn count(&self) -> usize {
        self.log().names.len()
    }

    /// Attempts that met a fault since the last reset.
    pub fn injected(&self) -> usize {
        self.log().injected
    }

    /// From now, call `index` (counted from the last reset) meets `fault` on every attempt.
    pub fn fail_call(&self, index: usize, fault: Fault) {
        self.log().plan = Some((fault, index, usize::MAX));
    }

    /// From now, call `index` meets `fault` on its first attempt only.
    pub fn fail_first_attempt(&self, index: usize, fault: Fault) {
        self.log().plan = Some((fault, index, 1));
    }

    /// From now, every attempt of every call meets `fault`.
    pub fn fail_every_call(&self, fault: Fault) {
        self.log().plan = Some((fault, usize::MAX, usize::MAX));
    }

    /// No more faults.
    pub fn heal(&self) {
        self.log().plan = None;
    }
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for DynamoCalls {
    fn name(&self) -> &'static str {
        "DynamoCalls"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let name = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        let mut log = self.log();
        log.names.push(name);
        let index = log.names.len() - 1;
        cfg.interceptor_state().store_put(CallIndex(index));
        Ok(())
    }

    fn modify_before_transmit(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let Some(CallIndex(index)) = cfg.load::<CallIndex>().cloned() else { return Ok(()) };
        let mut log = self.log();
        let fault = match &mut log.plan {
            Some((fault, at, remaining)) if (*at == index || *at == usize::MAX) && *remaining > 0 => {
                *remaining = remaining.saturating_sub(1);
                *fault
            }
            _ => return Ok(()),
        };
        log.injected += 1;
        context.request_mut().headers_mut().insert(FAULT_HEADER, fault.header());
        Ok(())
    }
}

/// The HTTP client of a [`faulty_dynamo_store`]: an attempt marked by [`DynamoCalls`] gets its
/// fault here (an answer made up without DynamoDB Local, or a connector error); any other goes to
/// DynamoDB Local.
#[derive(Debug)]
struct FaultyNetwork(aws_smithy_runtime_api::client::http::SharedHttpClient);

#[derive(Debug)]
struct FaultyConnector(aws_smithy_runtime_api::client::http::SharedHttpConnector);

fn dynamodb_error(
    status: u16,
    error_type: &str,
    message: &str,
) -> aws_smithy_runtime_api::client::orchestrator::HttpResponse {
    let body = serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{error_type}"),
        "message": format!("{INJECTED}: {message}"),
    });
    let status = aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap_or_else(|e| panic!("{e}"));
    let mut response = aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(status, body.to_string().into());
    response.headers_mut().insert("content-type", "application/x-amz-json-1.0");
    response
}

impl aws_smithy_runtime_api::client::http::HttpConnector for FaultyConnector {
    fn call(
        &self,
        mut request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
    ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
        use aws_smithy_runtime_api::client::http::HttpConnectorFuture;
        use aws_smithy_runtime_api::client::result::ConnectorError;
        let fault = request.headers().get(FAULT_HEADER).and_then(Fault::from_header);
        request.headers_mut().remove(FAULT_HEADER);
        let io =
            |kind: std::io::ErrorKind, what: &str| Box::new(std::io::Error::new(kind, format!("{INJECTED}: {what}")));
        match fault {
            None => self.0.call(request),
            Some(Fault::Throttle) => HttpConnectorFuture::ready(Ok(dynamodb_error(
                400,
                "ProvisionedThroughputExceededException",
                "the level of configured provisioned throughput for the table was exceeded",
            ))),
            Some(Fault::ServerError) => {
                HttpConnectorFuture::ready(Ok(dynamodb_error(500, "InternalServerError", "internal server error")))
            }
            Some(Fault::Timeout) => HttpConnectorFuture::ready(Err(ConnectorError::timeout(io(
                std::io::ErrorKind::TimedOut,
                "the attempt timed out",
            )))),
            Some(Fault::Dropped) => HttpConnectorFuture::ready(Err(ConnectorError::io(io(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            )))),
        }
    }
}

impl aws_smithy_runtime_api::client::http::HttpClient for FaultyNetwork {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        aws_smithy_runtime_api::client::http::SharedHttpConnector::new(FaultyConnector(
            self.0.http_connector(settings, components),
        ))
    }
}

/// A view of `table` through a client with the functions' retries (shared::budget) that records
/// its calls and injects the faults `calls` is told to. Its timeouts are longer than the
/// functions': on a loaded test machine a slow DynamoDB Local answer must not become a real
/// timeout whose retry meets its own applied write (an injected timeout needs no clock).
pub fn faulty_dynamo_store(table: &str, calls: &DynamoCalls) -> DynamoStore {
    // DynamoDB Local speaks plain HTTP on loopback.
    let network = FaultyNetwork(aws_smithy_http_client::Builder::new().build_http());
    let timeouts = aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .read_timeout(std::time::Duration::from_secs(30))
        .operation_attempt_timeout(std::time::Duration::from_secs(30))
        .build();
    dynamo_store_on(table, |c| {
        c.http_client(network)
            .interceptor(calls.clone())
            .timeout_config(timeouts)
            .retry_config(shared::budget::dynamodb_retries())
            // The retry token bucket is shared by every client of a partition in the process: a
            // partition of its own keeps other cases' faults from spending this one's retries.
            .retry_partition(aws_sdk_dynamodb::config::retry::RetryPartition::new(format!(
                "test-{}",
                uuid::Uuid::new_v4()
            )))
    })
}

// ---------------------------------------------------------------------------------------------
// Logs, captured by request ID
// ---------------------------------------------------------------------------------------------

/// One warning or error logged while serving a request.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// The message and fields, `name=value` each.
    pub text: String,
}

static LOGS: std::sync::Mutex<Vec<(String, LogLine)>> = std::sync::Mutex::new(Vec::new());

/// The request ID of a span, kept in its extensions.
struct SpanRequestId(String);

#[derive(Default)]
struct Fields {
    request_id: Option<String>,
    text: String,
}

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "request_id" {
            self.request_id = Some(format!("{value:?}"));
        }
        self.text.push_str(&format!(" {}={value:?}", field.name()));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "request_id" {
            self.request_id = Some(value.to_owned());
        }
        self.text.push_str(&format!(" {}={value}", field.name()));
    }
}

/// Keeps every warning and error logged inside a span that has a `request_id` (the request span
/// of `shared::operations::serve`), under that ID.
struct CaptureLayer;

impl<S> tracing_subscriber::Layer<S> for CaptureLayer
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let (Some(request_id), Some(span)) = (fields.request_id, ctx.span(id)) {
            span.extensions_mut().insert(SpanRequestId(request_id));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() > tracing::Level::WARN {
            return;
        }
        let Some(request_id) = ctx.event_scope(event).and_then(|scope| {
            scope.from_root().find_map(|span| span.extensions().get::<SpanRequestId>().map(|r| r.0.clone()))
        }) else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        LOGS.lock().unwrap_or_else(|p| p.into_inner()).push((request_id, LogLine { text: fields.text }));
    }
}

/// Starts keeping the warnings and errors logged under request IDs (once per test binary; the
/// first call installs the global subscriber).
pub fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(CaptureLayer));
    });
}

/// The warnings and errors logged under `request_id` (after [`capture_logs`]).
pub fn logs_of(request_id: &str) -> Vec<LogLine> {
    LOGS.lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(id, _)| id == request_id)
        .map(|(_, line)| line.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Scenarios: requests with placeholders, run through the handler layer on a DynamoDB store
// ---------------------------------------------------------------------------------------------

/// One request of a scenario. Its labels, query and body may name the case's accounts (`{a0}`,
/// `{a1}`…) and values captured from earlier answers (`{scope}`, `{pkg}`…).
#[derive(Debug, Clone)]
pub struct Step {
    pub op: shared::Operation,
    /// Which of the case's accounts sends it.
    pub caller: usize,
    pub labels: Vec<(&'static str, String)>,
    pub query: String,
    pub body: String,
    /// (JSON pointer into the answer, name): values later steps can use as `{name}`.
    pub capture: Vec<(&'static str, &'static str)>,
    /// The HTTP status it answers when all goes well.
    pub status: u16,
}

/// `op` sent by account `caller` with JSON `body` (`Null`: no body), expected to succeed.
pub fn step(op: shared::Operation, caller: usize, body: serde_json::Value) -> Step {
    let body = if body.is_null() { String::new() } else { body.to_string() };
    Step { op, caller, labels: Vec::new(), query: String::new(), body, capture: Vec::new(), status: 200 }
}

impl Step {
    pub fn label(mut self, name: &'static str, value: &str) -> Self {
        self.labels.push((name, value.to_owned()));
        self
    }

    pub fn query(mut self, query: &str) -> Self {
        self.query = query.to_owned();
        self
    }

    pub fn capture(mut self, pointer: &'static str, name: &'static str) -> Self {
        self.capture.push((pointer, name));
        self
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

/// Accounts handed out to cases, so that cases sharing a table never meet.
static NEXT_ACCOUNTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Accounts per case.
const CASE_ACCOUNTS: u64 = 8;

/// One run of a scenario: its own accounts on a shared table, its captured values, and the
/// DynamoDB client that records (and breaks) its calls.
pub struct Case {
    pub app: App,
    pub calls: DynamoCalls,
    pub accounts: Vec<String>,
    vars: Vec<(&'static str, String)>,
}

/// An answer: the response and its body as JSON.
#[derive(Debug)]
pub struct Answer {
    pub response: shared::ApiResponse,
    pub json: serde_json::Value,
}

impl Case {
    /// A case with fresh accounts on `table` (made by [`dynamo_store`]).
    pub fn new(table: &str) -> Self {
        let calls = DynamoCalls::default();
        let store = faulty_dynamo_store(table, &calls);
        let n = NEXT_ACCOUNTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let base = 700_000_000_000 + n * CASE_ACCOUNTS;
        let accounts = (0..CASE_ACCOUNTS).map(|k| format!("{:012}", base + k)).collect();
        Self { app: App::new(Arc::new(store), REGION), calls, accounts, vars: Vec::new() }
    }

    /// `template` with the accounts and captured values in place of their placeholders.
    pub fn fill(&self, template: &str) -> String {
        let mut out = template.to_owned();
        for (k, account) in self.accounts.iter().enumerate() {
            out = out.replace(&format!("{{a{k}}}"), account);
        }
        for (name, value) in &self.vars {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// Sends `step` once under a fresh request ID.
    pub async fn send(&self, step: &Step) -> Answer {
        let labels = step.labels.iter().map(|(k, v)| (*k, self.fill(v))).collect();
        let request = shared::ApiRequest {
            request_id: format!("case-{}", uuid::Uuid::new_v4()),
            caller: AccountId::parse(&self.accounts[step.caller]),
            path_params: shared::request::PathParams::new(labels),
            query: shared::ApiRequest::parse_query(Some(&self.fill(&step.query))),
            body: self.fill(&step.body).into_bytes(),
        };
        let response = shared::operations::dispatch(&self.app, step.op, request).await;
        let json = serde_json::from_slice(&response.body)
            .unwrap_or_else(|e| panic!("{:?} answered a body that is not JSON ({e}): {response:?}", step.op));
        Answer { response, json }
    }

    /// Sends `step`, expects its status and keeps what it captures; yields the answer's JSON.
    pub async fn run(&mut self, step: &Step) -> serde_json::Value {
        let answer = self.send(step).await;
        assert_eq!(answer.response.status, step.status, "{:?} {}: {}", step.op, self.fill(&step.body), answer.json);
        for (pointer, name) in step.capture.iter().filter(|_| answer.response.status == 200) {
            let value = answer
                .json
                .pointer(pointer)
                .and_then(|v| v.as_str())
                .unwrap_or_else(|| panic!("{:?}: nothing at {pointer} to capture in {}", step.op, answer.json));
            self.vars.push((name, value.to_owned()));
        }
        answer.json
    }

    /// `value` with what differs from one case to the next replaced: the case's accounts and
    /// captured values by their placeholders, generated IDs (UUIDs, package IDs) by `<id>`, and
    /// the values of timestamps (`…At`) and pagination tokens (`…Token`) by `<at>` / `<token>`.
    pub fn normalize(&self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::String(s) => {
                let mut s = s.clone();
                for (name, var) in &self.vars {
                    s = s.replace(var.as_str(), &format!("{{{name}}}"));
                }
                for (k, account) in self.accounts.iter().enumerate() {
                    s = s.replace(account.as_str(), &format!("{{a{k}}}"));
                }
                Value::String(mask_generated_ids(&s))
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.normalize(v)).collect()),
            Value::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| {
                        let v = if k.ends_with("At") {
                            Value::String("<at>".into())
                        } else if k.ends_with("Token") {
                            Value::String("<token>".into())
                        } else {
                            self.normalize(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// `s` with each UUID and each `pkg-` package ID in it replaced by `<id>`.
fn mask_generated_ids(s: &str) -> String {
    let hex = |b: &u8| b.is_ascii_hexdigit();
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let uuid = rest.len() >= 36
            && rest[..36]
                .iter()
                .enumerate()
                .all(|(j, b)| if [8, 13, 18, 23].contains(&j) { *b == b'-' } else { hex(b) });
        let package = rest.starts_with(b"pkg-") && rest.len() >= 24 && rest[4..24].iter().all(hex);
        if uuid || package {
            out.push_str("<id>");
            i += if uuid { 36 } else { 24 };
        } else {
            let c = s[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The local server on a DynamoDB store whose every DynamoDB call meets `fault` on every attempt
/// (so the adapter's SDK retries cannot absorb it), with the recorder of those calls.
pub async fn failing_server(fault: Fault) -> (TestServer, DynamoCalls) {
    let table = dynamo_store().await.table().to_owned();
    let calls = DynamoCalls::default();
    calls.fail_every_call(fault);
    let store = faulty_dynamo_store(&table, &calls);
    (TestServer::serve(shared::App::new(Arc::new(store), REGION)).await, calls)
}
