//! The DynamoDB client's HTTP: HTTP/1.1 on kept-alive connections, TLS by rustls (ring) trusting
//! the Mozilla root certificates compiled in (`webpki-roots`), plus, only when
//! `SCOPES_EXTRA_CA_FILE` names a PEM file, the certificates in it (a test endpoint's own CA).
//!
//! It replaces the SDK's default client for three reasons (README, Performance): the default
//! loads the system CA store (milliseconds of a cold start), links HTTP/2 and aws-lc, which
//! DynamoDB does not need, and has no way to open a connection before the first request, which
//! [`Connections::prime`] does during a Lambda function's init.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{HttpClient, RuntimeComponents};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use http::header::{HOST, HeaderValue};
use http::uri::{PathAndQuery, Uri};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// The environment variable naming a PEM file of extra CA certificates to trust.
pub const EXTRA_CA_FILE_VAR: &str = "SCOPES_EXTRA_CA_FILE";

/// An idle connection older than this is not reused (servers close idle connections).
const MAX_IDLE: Duration = Duration::from_secs(50);
/// Idle connections kept per endpoint.
const MAX_IDLE_PER_ENDPOINT: usize = 32;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why the HTTP client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read {path} ({EXTRA_CA_FILE_VAR}): {cause}")]
    ExtraCaFile { path: String, cause: String },
    #[error("TLS set-up: {0}")]
    Tls(String),
}

/// Which server a connection goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    tls: bool,
    host: String,
    port: u16,
}

impl Endpoint {
    fn of(uri: &Uri) -> Result<Self, BoxError> {
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => return Err(format!("unsupported scheme {other:?} in {uri}").into()),
        };
        let host = uri.host().ok_or_else(|| format!("no host in {uri}"))?;
        // An IPv6 literal comes bracketed from the URI; sockets and TLS want it bare.
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        Ok(Self { tls, host, port })
    }
}

struct Idle {
    endpoint: Endpoint,
    sender: SendRequest<SdkBody>,
    since: Instant,
}

struct Pool {
    tls: Arc<ClientConfig>,
    idle: Mutex<Vec<Idle>>,
}

/// The connections of one DynamoDB client: clones share them.
#[derive(Clone)]
pub struct Connections {
    pool: Arc<Pool>,
}

impl fmt::Debug for Connections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connections").finish_non_exhaustive()
    }
}

impl Connections {
    /// Connections trusting the compiled-in roots and those of `SCOPES_EXTRA_CA_FILE` if set.
    pub fn from_env() -> Result<Self, TlsSetupError> {
        let extra = std::env::var_os(EXTRA_CA_FILE_VAR).filter(|p| !p.is_empty());
        Self::new(extra.map(|p| p.to_string_lossy().into_owned()).as_deref())
    }

    /// Connections trusting the compiled-in roots only.
    pub fn with_compiled_in_roots() -> Self {
        Self::new(None).unwrap_or_else(|e| unreachable!("ring supports the default TLS versions: {e}"))
    }

    /// Connections trusting the compiled-in roots and the certificates of the PEM file `extra_ca`.
    pub fn new(extra_ca: Option<&str>) -> Result<Self, TlsSetupError> {
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if let Some(path) = extra_ca {
            let failed = |cause: String| TlsSetupError::ExtraCaFile { path: path.to_owned(), cause };
            let pem = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
            let certs: Vec<CertificateDer<'static>> =
                CertificateDer::pem_slice_iter(&pem).collect::<Result<_, _>>().map_err(|e| failed(e.to_string()))?;
            if certs.is_empty() {
                return Err(failed("no PEM certificate in it".to_owned()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| failed(e.to_string()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self { pool: Arc::new(Pool { tls: Arc::new(tls), idle: Mutex::new(Vec::new()) }) })
    }

    /// The SDK's view of these connections.
    pub fn http_client(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }

    /// Opens a connection to `url` (TCP, and TLS for `https`) within `timeout` and keeps it for
    /// the next request there, so that the first request pays no connection set-up.
    pub async fn prime(&self, url: &str, timeout: Duration) -> Result<(), BoxError> {
        let endpoint = Endpoint::of(&url.parse::<Uri>()?)?;
        let sender = tokio::time::timeout(timeout, self.connect(&endpoint))
            .await
            .map_err(|_| format!("no connection to {url} within {timeout:?}"))??;
        self.check_in(endpoint, sender);
        Ok(())
    }

    fn check_out(&self, endpoint: &Endpoint) -> Option<SendRequest<SdkBody>> {
        let mut idle = self.pool.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.retain(|c| !c.sender.is_closed() && c.since.elapsed() < MAX_IDLE);
        let newest = idle.iter().rposition(|c| &c.endpoint == endpoint)?;
        Some(idle.swap_remove(newest).sender)
    }

    fn check_in(&self, endpoint: Endpoint, sender: SendRequest<SdkBody>) {
        let mut idle = self.pool.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.iter().filter(|c| c.endpoint == endpoint).count() < MAX_IDLE_PER_ENDPOINT {
            idle.push(Idle { endpoint, sender, since: Instant::now() });
        }
    }

    /// Puts the connection back once its response has been read (hyper says it is ready).
    fn check_in_when_ready(&self, endpoint: Endpoint, mut sender: SendRequest<SdkBody>) {
        let pool = Arc::downgrade(&self.pool);
        tokio::spawn(async move {
            if sender.ready().await.is_ok()
                && let Some(pool) = Weak::upgrade(&pool)
            {
                Connections { pool }.check_in(endpoint, sender);
            }
        });
    }

    async fn connect(&self, endpoint: &Endpoint) -> Result<SendRequest<SdkBody>, BoxError> {
        let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
        tcp.set_nodelay(true)?;
        if endpoint.tls {
            let name = ServerName::try_from(endpoint.host.clone())?;
            let stream = TlsConnector::from(self.pool.tls.clone()).connect(name, tcp).await?;
            start(TokioIo::new(stream)).await
        } else {
            start(TokioIo::new(tcp)).await
        }
    }

    async fn send(
        &self,
        request: HttpRequest,
        connect_timeout: Option<Duration>,
        read_timeout: Option<Duration>,
    ) -> Result<HttpResponse, ConnectorError> {
        let other = |e: BoxError| ConnectorError::other(e, None);
        let mut request = request.try_into_http1x().map_err(|e| other(e.into()))?;
        let endpoint = Endpoint::of(request.uri()).map_err(other)?;
        // HTTP/1.1 wants the path in the request line and the authority in `Host` (as signed).
        if let Some(authority) = request.uri().authority() {
            let host = HeaderValue::from_str(authority.as_str()).map_err(|e| other(e.into()))?;
            request.headers_mut().entry(HOST).or_insert(host);
        }
        let path = request.uri().path_and_query().cloned().unwrap_or_else(|| PathAndQuery::from_static("/"));
        *request.uri_mut() = Uri::from(path);

        let mut request = Some(request);
        loop {
            let Some(this_try) = request.take() else {
                return Err(other("the request was lost on a closed connection".into()));
            };
            let (mut sender, pooled) = match self.check_out(&endpoint) {
                Some(sender) => (sender, true),
                None => {
                    let connecting = self.connect(&endpoint);
                    let sender = match connect_timeout {
                        Some(limit) => tokio::time::timeout(limit, connecting).await.map_err(|_| {
                            ConnectorError::timeout(format!("connect timed out after {limit:?}").into())
                        })?,
                        None => connecting.await,
                    };
                    (sender.map_err(ConnectorError::io)?, false)
                }
            };
            if let Err(error) = sender.ready().await {
                if !pooled {
                    return Err(ConnectorError::io(error.into()));
                }
                // Closed while idle: try another (a fresh one at the latest).
                request = Some(this_try);
                continue;
            }
            let sending = sender.try_send_request(this_try);
            let sent = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, sending)
                    .await
                    .map_err(|_| ConnectorError::timeout(format!("no response within {limit:?}").into()))?,
                None => sending.await,
            };
            match sent {
                Ok(response) => {
                    self.check_in_when_ready(endpoint, sender);
                    let response = response.map(SdkBody::from_body_1_x);
                    return HttpResponse::try_from(response).map_err(|e| other(e.into()));
                }
                // A kept-alive connection the server closed before the request went out: the
                // request was not sent, so it is sent again on another connection.
                Err(mut error) if pooled && error.message().is_some() => request = error.take_message(),
                Err(error) => return Err(ConnectorError::io(error.into_error().into())),
            }
        }
    }
}

/// The HTTP/1.1 handshake on `io`; the connection is driven by a task of its own.
async fn start<T>(io: T) -> Result<SendRequest<SdkBody>, BoxError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, connection) = handshake(io).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "DynamoDB connection closed");
        }
    });
    Ok(sender)
}

impl HttpClient for Connections {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            connections: self.clone(),
            connect_timeout: settings.connect_timeout(),
            read_timeout: settings.read_timeout(),
        })
    }
}

#[derive(Debug)]
struct Connector {
    connections: Connections,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let connections = self.connections.clone();
        let (connect_timeout, read_timeout) = (self.connect_timeout, self.read_timeout);
        HttpConnectorFuture::new(async move { connections.send(request, connect_timeout, read_timeout).await })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rustls::ServerConfig;
    use rustls::pki_types::PrivateKeyDer;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;

    use super::*;

    const TEST_CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/dynamodb/testdata/ca.pem");

    /// A keep-alive HTTP/1.1 server answering `200 {}` to every request; counts its connections.
    async fn server(tls: bool, address: &str) -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind((address, 0)).await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let acceptor = tls.then(|| {
            let testdata = concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/dynamodb/testdata");
            let cert = CertificateDer::from_pem_file(format!("{testdata}/server.pem")).expect("server.pem");
            let key = PrivateKeyDer::from_pem_file(format!("{testdata}/server.key")).expect("server.key");
            let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(vec![cert], key)
                .expect("server certificate");
            TlsAcceptor::from(Arc::new(config))
        });
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                match acceptor.clone() {
                    Some(acceptor) => {
                        tokio::spawn(async move {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                answer(stream).await;
                            }
                        });
                    }
                    None => {
                        tokio::spawn(answer(tcp));
                    }
                }
            }
        });
        (port, accepted)
    }

    async fn answer(mut stream: impl AsyncRead + AsyncWrite + Unpin) {
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                return;
            }
            seen.extend_from_slice(&buffer[..n]);
            while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                seen.drain(..end + 4);
                let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}";
                if stream.write_all(reply).await.is_err() {
                    return;
                }
            }
        }
    }

    async fn get(connections: &Connections, url: &str) -> Result<u16, ConnectorError> {
        let mut request = HttpRequest::new(SdkBody::empty());
        request.set_uri(url).expect("a valid URL");
        let timeout = Some(Duration::from_secs(5));
        let response = connections.send(request, timeout, timeout).await?;
        Ok(response.status().as_u16())
    }

    #[tokio::test]
    async fn a_primed_connection_serves_the_first_request_and_the_next() {
        let (port, accepted) = server(false, "127.0.0.1").await;
        let url = format!("http://127.0.0.1:{port}/");
        let connections = Connections::with_compiled_in_roots();
        connections.prime(&url, Duration::from_secs(5)).await.expect("primed");
        assert_eq!(connections.pool.idle.lock().expect("pool").len(), 1, "priming left an open connection");
        for _ in 0..3 {
            assert_eq!(get(&connections, &url).await.expect("answered"), 200);
            // Back in the pool once its response has been read (a task of its own puts it back).
            for _ in 0..400 {
                if connections.pool.idle.lock().expect("pool").len() == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "every request reused the primed connection");
    }

    #[tokio::test]
    async fn tls_verifies_the_server_certificate_against_the_trusted_roots() {
        let (port, _) = server(true, "127.0.0.1").await;
        let url = format!("https://localhost:{port}/");
        // Its CA is not among the compiled-in roots: refused.
        let untrusting = Connections::with_compiled_in_roots();
        assert!(get(&untrusting, &url).await.is_err(), "a certificate from an unknown CA is refused");
        // Trusted through the extra CA file: served, over TLS.
        let trusting = Connections::new(Some(TEST_CA)).expect("the test CA loads");
        assert_eq!(get(&trusting, &url).await.expect("answered over TLS"), 200);
        // The name must match too: the certificate is for localhost and 127.0.0.1 only.
        let (other_port, _) = server(true, "127.0.0.2").await;
        let wrong_name = format!("https://127.0.0.2:{other_port}/");
        assert!(get(&trusting, &wrong_name).await.is_err(), "a certificate for another name is refused");
    }

    #[test]
    fn an_unreadable_extra_ca_file_is_a_setup_error() {
        let error = Connections::new(Some("/nonexistent/ca.pem")).expect_err("no such file");
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
    }
}
