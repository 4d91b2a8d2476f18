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

/// A DynamoDB store on a fresh table of DynamoDB Local.
pub async fn dynamo_store() -> DynamoStore {
    let (client, _) = dynamodb_client(Some(&dynamodb_endpoint()), Some(REGION)).await;
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
    fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
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
