//! The kill -9 test: the real `local-api` binary on a file-backed embedded store is killed with
//! SIGKILL while concurrent writers are mid-request, restarted on the same file, and every write it
//! had acknowledged (a complete 200) must be there, whole; a write in flight at the kill must be
//! there whole or not at all. Several rounds, the checks cumulative. Also: a second server on the
//! same file, while the first runs, is refused with a message that names the file.
//!
//! `cargo test` builds the `local-api` package's unit-test harness but not its binary, so the
//! test asks cargo for the binary (a no-op when it is up to date; the same target directory, host
//! target and wrapper as the test run, from the environment) and takes its path from cargo's own
//! report. It fails loudly if cargo cannot build it.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::helpers::RawResponse;
use crate::wire_client::{Request, send};

/// Kills, each after its own number of acknowledged writes.
const ROUNDS: usize = 5;
/// Concurrent writers.
const WRITERS: usize = 6;
/// Acknowledged writes of round `r` before its kill: `FIRST_KILL_AFTER + r * 9`.
const FIRST_KILL_AFTER: usize = 30;
/// Guards against a server that never serves or writers that stop: failures, not timings.
const START_DEADLINE: Duration = Duration::from_secs(60);
const WRITES_DEADLINE: Duration = Duration::from_secs(60);

/// The Macie administrator whose members are written, and the owner of the written packages.
const ADMIN: &str = "620000000000";
const OWNER: &str = "610000000000";

// ---------------------------------------------------------------------------------------------
// The binary and its processes

fn local_api_binary() -> PathBuf {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BINARY.get_or_init(build_local_api).clone().unwrap_or_else(|e| panic!("{e}"))
}

fn build_local_api() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("the tests crate has no parent folder")?;
    let output = Command::new(&cargo)
        .current_dir(root)
        .args(["build", "--quiet", "--locked", "--bin", "local-api", "--message-format=json-render-diagnostics"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("the local-api binary is needed and {cargo:?} could not be run to build it: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build --bin local-api` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let executable = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "local-api")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or("`cargo build --bin local-api` reported no local-api executable")?;
    if !executable.is_file() {
        return Err(format!("the local-api binary is missing at {} after cargo built it", executable.display()));
    }
    Ok(executable)
}

/// A folder of its own under the system's temporary folder, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("kill9-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// How a started process ended up.
enum Started {
    Serving(Child),
    Exited(ExitStatus),
}

/// Starts `local-api --data <data>` on a free port, with its output in `log`, and waits until it
/// accepts connections or exits. Nothing of the test run's environment chooses its store.
fn spawn(binary: &Path, data: &Path, port: u16, log: &Path) -> Started {
    let out = File::create(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let err = out.try_clone().expect("clone the log file");
    let mut child = Command::new(binary)
        .arg("--data")
        .arg(data)
        .args(["--port", &port.to_string()])
        .env_remove("DYNAMODB_ENDPOINT")
        .env_remove("TABLE_NAME")
        .env_remove("DATA_FILE")
        .env_remove("PORT")
        .env_remove("HOST")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Started::Exited(status);
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Started::Serving(child);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("local-api did not serve within {START_DEADLINE:?}:\n{}", read(log));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_else(|e| format!("({}: {e})", log.display()))
}

/// A running server; killed (SIGKILL) when dropped, so a failing test leaves no process behind.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(binary: &Path, data: &Path, log: PathBuf) -> Self {
        // Another process may take the free port first: then the server exits, naming the bind.
        for _ in 0..3 {
            let port = free_port();
            match spawn(binary, data, port, &log) {
                Started::Serving(child) => return Self { child, addr: SocketAddr::from(([127, 0, 0, 1], port)), log },
                Started::Exited(_) if read(&log).contains("binding") => continue,
                Started::Exited(status) => panic!("local-api exited at start ({status}):\n{}", read(&log)),
            }
        }
        panic!("local-api could not bind a free port three times:\n{}", read(&log))
    }

    /// SIGKILL, then reaps it; it must have been running until then.
    fn kill9(mut self) {
        self.child.kill().expect("SIGKILL the server");
        let status = self.child.wait().expect("reap the server");
        assert_eq!(status.signal(), Some(9), "the server had ended before the kill ({status}):\n{}", read(&self.log));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Writes and their checks

/// One write the test sends, number `n` of the run.
#[derive(Debug, Clone)]
enum Write {
    /// CreateScope by a fresh account.
    Scope { caller: String, target: String, n: usize },
    /// CreatePackage by [`OWNER`].
    Package { name: String, n: usize },
    /// CreateMember of a fresh account by [`ADMIN`].
    Member { account: String, email: String },
}

impl Write {
    fn number(n: usize) -> Self {
        let fresh = format!("{:012}", 300_000_000_000 + n);
        match n % 3 {
            0 => Write::Scope { caller: fresh, target: format!("{:012}", 800_000_000_000 + n), n },
            1 => Write::Package { name: format!("kill9-{n}"), n },
            _ => Write::Member { email: format!("member-{n}@example.com"), account: fresh },
        }
    }

    fn scope_tags(n: usize) -> Value {
        json!({"n": n.to_string(), "text": format!("write {n} ✓")})
    }

    fn request(&self) -> (&'static str, &'static str, Value, &str) {
        match self {
            Write::Scope { caller, target, n } => {
                let target = json!({"targetIdentifier": {"targetId": {"accountId": target}, "targetType": "ACCOUNT"},
                                    "region": "eu-west-1"});
                ("POST", "/scopes", json!({"targets": [target], "tags": Self::scope_tags(*n)}), caller)
            }
            Write::Package { name, n } => (
                "POST",
                "/2021-01-01/packages",
                json!({"PackageName": name, "PackageType": "TXT-DICTIONARY", "PackageDescription": format!("write {n}"),
                       "PackageSource": {"S3BucketName": "bucket", "S3Key": format!("{n}.txt")},
                       "PackageVendingOptions": {"VendingEnabled": true}}),
                OWNER,
            ),
            Write::Member { account, email } => {
                ("POST", "/members", json!({"account": {"accountId": account, "email": email}}), ADMIN)
            }
        }
    }

    /// The ID the acknowledgement names (the member's is its account).
    fn acknowledged_id(&self, answer: &Value) -> Option<String> {
        match self {
            Write::Scope { .. } => answer["scopeId"].as_str().map(str::to_owned),
            Write::Package { .. } => answer["PackageDetails"]["PackageID"].as_str().map(str::to_owned),
            Write::Member { account, .. } => {
                answer["arn"].as_str().filter(|arn| arn.ends_with(account.as_str())).map(|_| account.clone())
            }
        }
    }
}

async fn call(
    addr: SocketAddr,
    method: &str,
    target: &str,
    body: &Value,
    account: &str,
) -> Result<RawResponse, String> {
    let body = body.to_string();
    send(addr, &Request { method, target, body: body.as_bytes(), account: Some(account) }).await
}

async fn json_ok(addr: SocketAddr, method: &str, target: &str, body: &Value, account: &str) -> Result<Value, String> {
    let resp = call(addr, method, target, body, account).await?;
    if resp.status != 200 {
        return Err(format!("{method} {target} as {account}: {resp:?}"));
    }
    serde_json::from_str(&resp.body).map_err(|e| format!("{method} {target}: {e}: {resp:?}"))
}

/// What a committed `write` reads back as, if it is there: `Ok(None)` if it is absent, `Err` if
/// it is there but not as written (or the server failed).
async fn read_back(addr: SocketAddr, write: &Write) -> Result<Option<String>, String> {
    match write {
        Write::Scope { caller, target, n } => {
            let listed = json_ok(addr, "GET", "/scopes", &json!({}), caller).await?;
            let Some(scope_id) = listed["scopes"][0]["scopeId"].as_str() else { return Ok(None) };
            let scope = json_ok(addr, "GET", &format!("/scopes/{scope_id}"), &json!({}), caller).await?;
            let targets = &scope["targets"];
            let whole = targets.as_array().is_some_and(|t| t.len() == 1)
                && targets[0]["targetIdentifier"]["targetId"]["accountId"] == json!(target)
                && targets[0]["region"] == "eu-west-1"
                && scope["tags"] == Write::scope_tags(*n);
            if whole {
                Ok(Some(scope_id.to_owned()))
            } else {
                Err(format!("scope of write {n} is not as written: {scope}"))
            }
        }
        Write::Package { name, n } => {
            let filter = json!({"Filters": [{"Name": "PackageName", "Value": [name]}]});
            let found = json_ok(addr, "POST", "/2021-01-01/packages/describe", &filter, OWNER).await?;
            let list = found["PackageDetailsList"].as_array().cloned().unwrap_or_default();
            match list.as_slice() {
                [] => Ok(None),
                [package] if package["PackageDescription"] == json!(format!("write {n}")) => {
                    Ok(package["PackageID"].as_str().map(str::to_owned))
                }
                _ => Err(format!("package of write {n} is not as written: {list:?}")),
            }
        }
        Write::Member { account, email } => {
            let resp = call(addr, "GET", &format!("/members/{account}"), &json!({}), ADMIN).await?;
            if resp.status == 404 {
                return Ok(None);
            }
            let member: Value = serde_json::from_str(&resp.body).map_err(|e| format!("{e}: {resp:?}"))?;
            if resp.status == 200 && member["email"] == json!(email) && member["relationshipStatus"] == "Enabled" {
                Ok(Some(account.clone()))
            } else {
                Err(format!("member {account} is not as written: {resp:?}"))
            }
        }
    }
}

/// Every acknowledged write of earlier rounds must read back as written, with its acknowledged ID.
async fn check_acknowledged(addr: SocketAddr, acknowledged: &[(Write, String)]) {
    for (write, id) in acknowledged {
        match read_back(addr, write).await {
            Ok(Some(found)) if &found == id => {}
            Ok(Some(found)) => panic!("acknowledged {write:?} reads back as {found}, acknowledged as {id}"),
            Ok(None) => panic!("acknowledged {write:?} (ID {id}) is lost after a SIGKILL and a restart"),
            Err(e) => panic!("acknowledged {write:?}: {e}"),
        }
    }
}

/// Writes in flight at a kill: each whole or absent. Returns how many were committed.
async fn check_in_flight(addr: SocketAddr, in_flight: &[Write]) -> usize {
    let mut committed = 0;
    for write in in_flight {
        match read_back(addr, write).await {
            Ok(Some(_)) => committed += 1,
            Ok(None) => {}
            Err(e) => panic!("a write in flight at the kill is neither whole nor absent: {e}"),
        }
    }
    committed
}

/// What one round of writing produced.
#[derive(Default)]
struct Round {
    acknowledged: Vec<(Write, String)>,
    in_flight: Vec<Write>,
}

/// Runs [`WRITERS`] concurrent writers at `server` and kills it (SIGKILL) once `kill_after` writes
/// are acknowledged, while the writers are still sending.
async fn write_until_killed(server: Server, next: &Arc<AtomicUsize>, kill_after: usize) -> Round {
    let round = Arc::new(Mutex::new(Round::default()));
    let enough = Arc::new(Notify::new());
    let addr = server.addr;
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..WRITERS {
        let (round, enough, next) = (Arc::clone(&round), Arc::clone(&enough), Arc::clone(next));
        writers.spawn(async move {
            loop {
                let write = Write::number(next.fetch_add(1, Ordering::Relaxed));
                let (method, target, body, account) = write.request();
                let answer = match call(addr, method, target, &body, account).await {
                    // The server is gone: this write's fate is unknown.
                    Err(_) => {
                        round.lock().expect("lock").in_flight.push(write);
                        return Ok(());
                    }
                    Ok(resp) if resp.status == 200 => resp,
                    Ok(resp) => return Err(format!("{write:?} was refused: {resp:?}")),
                };
                let id = serde_json::from_str(&answer.body)
                    .ok()
                    .and_then(|body| write.acknowledged_id(&body))
                    .ok_or_else(|| format!("{write:?}: an acknowledgement without its ID: {answer:?}"))?;
                let mut round = round.lock().expect("lock");
                round.acknowledged.push((write, id));
                if round.acknowledged.len() == kill_after {
                    enough.notify_one();
                }
            }
        });
    }
    // No writer may stop before the kill: a refusal, or a server that died on its own, fails here.
    let reached = tokio::time::timeout(WRITES_DEADLINE, async {
        tokio::select! {
            () = enough.notified() => Ok(()),
            Some(ended) = writers.join_next() => Err(format!("a writer stopped before the kill: {ended:?}")),
        }
    })
    .await
    .unwrap_or_else(|_| Err(format!("{kill_after} writes were not acknowledged within {WRITES_DEADLINE:?}")));
    if let Err(why) = reached {
        panic!("{why}\n{}", read(&server.log));
    }
    server.kill9();
    for result in writers.join_all().await {
        if let Err(e) = result {
            panic!("{e}");
        }
    }
    Arc::try_unwrap(round).ok().expect("the writers are done").into_inner().expect("lock")
}

/// A second `local-api` on `data` while `first` serves it: it must exit non-zero at once,
/// saying that the file is in use and naming it, and leave the first serving.
fn second_server_is_refused(binary: &Path, data: &Path, log: &Path, first: &Server) -> String {
    let status = match spawn(binary, data, free_port(), log) {
        Started::Exited(status) => status,
        Started::Serving(mut child) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a second server started serving on {} while the first runs:\n{}", data.display(), read(log));
        }
    };
    let message = read(log);
    assert!(!status.success(), "the second server exited with success: {message}");
    let file = data.display().to_string();
    assert!(
        message.contains(&file) && message.contains("in use"),
        "the second server's message should say that {file} is in use: {message:?}"
    );
    assert!(std::net::TcpStream::connect(first.addr).is_ok(), "the first server stopped serving");
    message.trim().to_owned()
}

#[test]
fn acknowledged_writes_survive_sigkill_and_restart() {
    let started = Instant::now();
    let binary = local_api_binary();
    let dir = TempDir::new();
    let data = dir.0.join("data dir").join("store.redb");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let next = Arc::new(AtomicUsize::new(0));
    let mut acknowledged: Vec<(Write, String)> = Vec::new();
    // The writes in flight at the last kill: checked on the next start, whole or absent.
    let mut in_flight: Vec<Write> = Vec::new();
    let (mut in_flight_seen, mut in_flight_committed, mut checks) = (0, 0, 0);
    let mut refusal = String::new();
    for round in 0..=ROUNDS {
        let server = Server::start(&binary, &data, dir.0.join(format!("server-{round}.log")));
        rt.block_on(async {
            check_acknowledged(server.addr, &acknowledged).await;
            if round > 0 {
                // EnableMacie of the first round, acknowledged before any kill.
                json_ok(server.addr, "GET", "/macie", &json!({}), ADMIN).await.unwrap_or_else(|e| panic!("{e}"));
            }
            in_flight_committed += check_in_flight(server.addr, &in_flight).await;
        });
        checks += acknowledged.len() + usize::from(round > 0) + in_flight.len();
        if round == 0 {
            refusal = second_server_is_refused(&binary, &data, &dir.0.join("second.log"), &server);
            rt.block_on(json_ok(server.addr, "POST", "/macie", &json!({}), ADMIN)).unwrap_or_else(|e| panic!("{e}"));
        }
        if round == ROUNDS {
            break; // the last start only checks
        }
        let written = rt.block_on(write_until_killed(server, &next, FIRST_KILL_AFTER + round * 9));
        in_flight_seen += written.in_flight.len();
        in_flight = written.in_flight;
        acknowledged.extend(written.acknowledged);
    }
    let by_kind = acknowledged.iter().fold(BTreeMap::new(), |mut counts, (write, _)| {
        let kind = match write {
            Write::Scope { .. } => "CreateScope",
            Write::Package { .. } => "CreatePackage",
            Write::Member { .. } => "CreateMember",
        };
        *counts.entry(kind).or_insert(0) += 1;
        counts
    });
    println!(
        "kill9: {ROUNDS} SIGKILLs mid-writes ({WRITERS} writers), {} acknowledged writes {by_kind:?} all read back after every restart ({checks} checks); {in_flight_seen} writes in flight at the kills, {in_flight_committed} committed whole, the rest absent; a second server on the file: {refusal:?}; {:.1?}",
        acknowledged.len(),
        started.elapsed()
    );
}
