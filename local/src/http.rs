//! The local server's HTTP/1.1 connections: its own accept loop with a connection limit, the
//! header, idle and body timeouts, and the AWS error shape on what hyper refuses by itself
//! (docs/conventions.md §3.6).
//!
//! Every connection has a phase. It is waiting for a request head (from connecting, or from the
//! first byte after a response), idle (between a response and the next request), reading a body,
//! or busy (its operation runs). The first two are bounded by the header and idle timeouts here,
//! the body by the handler's body timeout. With `max_connections` held, a new connection evicts
//! the one that has waited longest in any phase but busy, so slow clients cannot starve others;
//! only when every connection is busy is the new one refused with a `ThrottlingException`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use shared::request::{ApiResponse, new_request_id};
use shared::{ApiError, App};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;

use crate::ServeLimits;

/// Header fields a request may have (hyper's limit, which it refuses with 431).
pub const MAX_HEADERS: usize = 100;
/// The longest request URI that HTTP types here can carry (hyper refuses longer ones with 414).
pub const MAX_URI_BYTES: usize = u16::MAX as usize - 1;
/// What is kept of a request head that hyper may refuse: more than its read buffer holds.
const CAPTURE_MAX: usize = 512 * 1024;
/// Refusals at the connection limit written at once; beyond, a connection is just closed.
const MAX_REFUSALS: usize = 64;
/// How long a refused connection or one asked to shut down is given to finish.
const GRACE: Duration = Duration::from_secs(1);

const HEAD: u8 = 0;
const IDLE: u8 = 1;
const BODY: u8 = 2;
const BUSY: u8 = 3;

/// One connection's phase, shared by its IO, its requests and the registry.
pub struct ConnState {
    phase: AtomicU8,
    /// When the phase began, in milliseconds since [`EPOCH`].
    since_ms: AtomicU64,
    /// Requests whose head reached the handler.
    requests: AtomicU64,
    evict: Notify,
    /// Wakes the connection's task to look at its new deadline.
    changed: Notify,
}

impl ConnState {
    fn new() -> Self {
        Self {
            phase: AtomicU8::new(HEAD),
            since_ms: AtomicU64::new(now_ms()),
            requests: AtomicU64::new(0),
            evict: Notify::new(),
            changed: Notify::new(),
        }
    }

    fn enter(&self, phase: u8) {
        self.since_ms.store(now_ms(), Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
        self.changed.notify_one();
    }

    fn since(&self) -> Instant {
        *EPOCH.get_or_init(Instant::now) + Duration::from_millis(self.since_ms.load(Ordering::Relaxed))
    }

    /// A request head reached the handler: its body is read next.
    pub fn request_started(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.enter(BODY);
    }

    /// The request's body is read: its operation runs.
    pub fn body_read(&self) {
        self.enter(BUSY);
    }

    /// When the current phase times out; a request being handled has no deadline here (its
    /// body has the handler's).
    fn deadline(&self, limits: &ServeLimits) -> Option<Instant> {
        match self.phase.load(Ordering::Relaxed) {
            HEAD => Some(self.since() + limits.header_timeout),
            IDLE => Some(self.since() + limits.idle_timeout),
            _ => None,
        }
    }
}

/// The connections held, to admit, evict and wait for.
struct Registry {
    max: usize,
    conns: Mutex<HashMap<u64, Arc<ConnState>>>,
    next_id: AtomicU64,
    emptied: Notify,
}

/// A connection's place in the registry, given back when dropped.
struct Slot {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut conns = self.registry.conns.lock().unwrap_or_else(PoisonError::into_inner);
        conns.remove(&self.id);
        if conns.is_empty() {
            self.registry.emptied.notify_waiters();
        }
    }
}

impl Registry {
    /// A slot for a new connection, evicting the longest-waiting connection that is not busy
    /// when all are taken; `None` when every connection is busy.
    fn admit(self: &Arc<Self>, state: &Arc<ConnState>) -> Option<Slot> {
        let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        if conns.len() >= self.max && !Self::evict_from(&mut conns) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        conns.insert(id, state.clone());
        Some(Slot { registry: self.clone(), id })
    }

    /// Evicts the longest-waiting connection that is not busy, if any.
    fn evict_one(&self) -> bool {
        Self::evict_from(&mut self.conns.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn evict_from(conns: &mut HashMap<u64, Arc<ConnState>>) -> bool {
        let oldest = conns
            .iter()
            .filter(|(_, c)| c.phase.load(Ordering::Relaxed) != BUSY)
            .min_by_key(|(_, c)| c.since_ms.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        match oldest.and_then(|id| conns.remove(&id)) {
            Some(conn) => {
                conn.evict.notify_one();
                true
            }
            None => false,
        }
    }

    fn len(&self) -> usize {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// The one clock of every connection's phase, in milliseconds since the first connection.
fn now_ms() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64
}

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then lets the open
/// connections finish (for up to `limits.header_timeout`).
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    limits: ServeLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    let registry = Arc::new(Registry {
        max: limits.max_connections.max(1),
        conns: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(0),
        emptied: Notify::new(),
    });
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut backoff = Duration::from_millis(10);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff = Duration::from_millis(10);
                stream
            }
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Out of file descriptors (or memory): free one held by a waiting client and
                // give its task a moment to close it; with none to free, back off rather than spin.
                if registry.evict_one() {
                    tracing::debug!(%error, "accept failed; closed the longest-waiting connection");
                    tokio::time::sleep(Duration::from_millis(1)).await;
                } else {
                    tracing::warn!(%error, retry_in = ?backoff, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
                continue;
            }
        };
        let state = Arc::new(ConnState::new());
        match registry.admit(&state) {
            Some(slot) => {
                let app = app.clone();
                let stop = stop_rx.clone();
                tokio::spawn(connection(stream, app, limits, state, slot, stop));
            }
            None => {
                if let Ok(permit) = refusals.clone().try_acquire_owned() {
                    tokio::spawn(async move {
                        refuse(stream).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    let _ = stop_tx.send(true);
    let emptied = registry.emptied.notified();
    if registry.len() > 0 {
        let _ = tokio::time::timeout(limits.header_timeout, emptied).await;
    }
    Ok(())
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// Answers a connection beyond the limit, when every held one is busy: retry later.
async fn refuse(mut stream: TcpStream) {
    let response = ApiResponse::error(&ApiError::Throttling, None, new_request_id());
    let _ = tokio::time::timeout(GRACE, async {
        stream.write_all(&wire_bytes(&response)).await?;
        stream.shutdown().await
    })
    .await;
}

/// Sleeps until `deadline`, or for ever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Serves one connection until it ends, times out, is evicted or the server stops.
async fn connection(
    stream: TcpStream,
    app: Arc<App>,
    limits: ServeLimits,
    state: Arc<ConnState>,
    slot: Slot,
    mut stop: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Watched::new(stream, state.clone()));
    let service_state = state.clone();
    let service = hyper::service::service_fn(move |request| {
        let (app, state) = (app.clone(), service_state.clone());
        async move { Ok::<_, Infallible>(crate::handle(app, state, limits.body_timeout, request).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new().max_headers(MAX_HEADERS).serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        let deadline = state.deadline(&limits);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended");
                }
                break;
            }
            () = state.evict.notified() => break,
            () = state.changed.notified() => {}
            () = sleep_until(deadline) => {
                if state.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    break;
                }
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
    drop(slot);
}

/// The connection's socket, watched: bytes read move an idle connection to waiting for a head,
/// a response written makes it idle, and a response hyper writes by itself (a request it
/// refused before the handler saw it) is replaced by the same refusal in the AWS shape.
struct Watched {
    inner: TcpStream,
    state: Arc<ConnState>,
    /// What was read since the last response, while no request was being handled.
    capture: Vec<u8>,
    responses: u64,
    replacement: Option<(Vec<u8>, usize)>,
}

impl Watched {
    fn new(inner: TcpStream, state: Arc<ConnState>) -> Self {
        Self { inner, state, capture: Vec::new(), responses: 0, replacement: None }
    }

    /// Writes what is left of the replacement response.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some((bytes, written)) = &mut self.replacement {
            while *written < bytes.len() {
                let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *written += n;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let new = &buf.filled()[before..];
        if !new.is_empty() {
            let phase = self.state.phase.load(Ordering::Relaxed);
            if phase == IDLE {
                self.state.enter(HEAD);
            }
            if matches!(phase, IDLE | HEAD) {
                let room = CAPTURE_MAX.saturating_sub(self.capture.len()).min(new.len());
                let new = new[..room].to_vec();
                self.capture.extend_from_slice(&new);
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.replacement.is_some() {
            ready!(self.poll_replacement(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        let Some(status) = final_status(buf) else {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        };
        if self.responses >= self.state.requests.load(Ordering::Relaxed) {
            // A response no request of the handler's asked for: hyper refused the request head.
            let error = refusal(status, &self.capture);
            tracing::debug!(status, %error, "refused a request head");
            let response = ApiResponse::error(&error, None, new_request_id());
            self.replacement = Some((wire_bytes(&response), 0));
            self.capture = Vec::new();
            ready!(self.poll_replacement(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        let n = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        self.responses += 1;
        self.capture.clear();
        self.state.enter(IDLE);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The status of a final (not 1xx) response whose head starts `buf`.
fn final_status(buf: &[u8]) -> Option<u16> {
    let digits = buf.strip_prefix(b"HTTP/1.1 ")?.get(..3)?;
    let status: u16 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (status >= 200).then_some(status)
}

/// A whole HTTP/1.1 response for `response`, closing the connection.
fn wire_bytes(response: &ApiResponse) -> Vec<u8> {
    let reason = match response.status {
        400 => "Bad Request",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let mut out = format!("HTTP/1.1 {} {reason}\r\n", response.status);
    for (name, value) in response.headers() {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", response.body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&response.body);
    bytes
}

/// Why hyper answered `status` to the request head `head` (as far as it was read), as the
/// `ValidationException` a client can act on.
pub fn refusal(status: u16, head: &[u8]) -> ApiError {
    let head = match head.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) => &head[..end + 4],
        None => head,
    };
    let target = head.split(|b| *b == b'\r' || *b == b'\n').next().and_then(|line| line.split(|b| *b == b' ').nth(1));
    match status {
        414 => ApiError::validation(uri_too_long(target.unwrap_or_default())),
        431 => {
            let fields = head.windows(2).filter(|w| w == b"\r\n").count().saturating_sub(2);
            if fields > MAX_HEADERS {
                ApiError::validation(format!(
                    "The request has {fields} header fields; at most {MAX_HEADERS} header fields are accepted"
                ))
            } else if let Some(target) = target.filter(|t| t.len() > MAX_URI_BYTES) {
                ApiError::validation(uri_too_long(target))
            } else {
                ApiError::validation("The request head is too large: its header fields are longer than accepted")
            }
        }
        _ => ApiError::validation(malformed(head)),
    }
}

/// Names the query member that makes `target` too long, else the URI.
fn uri_too_long(target: &[u8]) -> String {
    let longest = target
        .splitn(2, |b| *b == b'?')
        .nth(1)
        .into_iter()
        .flat_map(|query| query.split(|b| *b == b'&'))
        .map(|pair| {
            let mut parts = pair.splitn(2, |b| *b == b'=');
            (parts.next().unwrap_or_default(), parts.next().unwrap_or_default())
        })
        .max_by_key(|(_, value)| value.len());
    match longest {
        Some((name, value)) if value.len() * 2 > target.len() && is_member_name(name) => format!(
            "{}: the value is {} bytes long, more than a request URI can carry (at most {MAX_URI_BYTES} bytes in all)",
            String::from_utf8_lossy(name),
            value.len()
        ),
        _ => format!("The request URI is {} bytes long; at most {MAX_URI_BYTES} bytes are accepted", target.len()),
    }
}

fn is_member_name(name: &[u8]) -> bool {
    (1..=64).contains(&name.len()) && name.iter().all(u8::is_ascii_alphanumeric)
}

/// What is wrong with a head hyper refused as malformed (400).
fn malformed(head: &[u8]) -> String {
    let mut headers = vec![httparse::EMPTY_HEADER; MAX_HEADERS * 2];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Err(httparse::Error::HeaderName) => "A header name is not valid: it has a character that is not allowed".into(),
        Err(httparse::Error::HeaderValue) => {
            "A header value is not valid: it has a control character (such as NUL) that is not allowed".into()
        }
        Err(httparse::Error::Token) => "The request line or a header name is not valid HTTP/1.1".into(),
        Err(httparse::Error::Version) => "The HTTP version is not valid; HTTP/1.1 is served".into(),
        Err(_) => "The request is not valid HTTP/1.1".into(),
        Ok(_) => {
            let lengths: Vec<_> =
                request.headers.iter().filter(|h| h.name.eq_ignore_ascii_case("content-length")).collect();
            let bad = lengths.iter().find(|h| h.value.is_empty() || !h.value.iter().all(u8::is_ascii_digit));
            if let Some(bad) = bad {
                let value: String = String::from_utf8_lossy(bad.value).chars().take(64).collect();
                format!("The Content-Length header is not valid: '{value}' is not a number of bytes")
            } else if lengths.windows(2).any(|w| w[0].value != w[1].value) {
                "The Content-Length header is not valid: it is given more than once, with different values".into()
            } else if request.headers.iter().any(|h| h.name.eq_ignore_ascii_case("transfer-encoding")) {
                "The Transfer-Encoding header is not valid here".into()
            } else {
                "The request is not valid HTTP/1.1".into()
            }
        }
    }
}
