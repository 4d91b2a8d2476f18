//! Property tests of every parser (proptest), three ways:
//!
//! - **Every route of the operations table** (`shared::ROUTES`, never a hand list), through the
//!   local server: arbitrary JSON, arbitrary bytes, mutated and deeply nested JSON as the body,
//!   arbitrary query strings, percent-encoded arbitrary bytes in each `{label}` and arbitrary
//!   callers. The server never panics or dies and always answers 2xx with a JSON object or 4xx
//!   with the AWS error shape ([`check_aws_answer`]). On the embedded store, and with fewer cases
//!   on DynamoDB Local.
//! - **Each operation's wire input type**, at the unit level: `shared::request::parse_json` of
//!   arbitrary bytes, then the service's domain parser, never panics, and refuses only with
//!   `ValidationException`.
//! - **Valid requests round-trip** through the real SDKs: generated scopes and target changes
//!   (CreateScope, GetScope, UpdateScope), packages and scope changes (CreatePackage,
//!   UpdatePackageScope, DescribePackages) and members and discovery statuses (EnableMacie,
//!   CreateMember, GetMember, UpdateMemberSession, BatchUpdateAutomatedDiscoveryAccounts,
//!   ListAutomatedDiscoveryAccounts) read back exactly as sent: targets, tags, users, statuses.
//!
//! Case counts are fixed below (each test prints what it ran) so that the module stays well
//! under 30 s on a 2-core machine; nothing here measures time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::string::string_regex;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{Value, json};
use shared::ApiError;
use shared::common::AccountId;
use shared::request::{ApiRequest, parse_json};
use shared::{ROUTES, Route};

use crate::helpers::{StoreKind, TestServer};
use crate::wire_client::{Request, check_aws_answer, send};

/// Cases per route through the local server.
const EMBEDDED_CASES_PER_ROUTE: u32 = 64;
const DYNAMODB_CASES_PER_ROUTE: u32 = 6;
/// Cases per wire input type at the unit level (microseconds each).
const UNIT_CASES_PER_TYPE: u32 = 400;
/// Generated scenarios per round trip (each is several SDK calls).
const EMBEDDED_ROUND_TRIPS: u32 = 40;
const DYNAMODB_ROUND_TRIPS: u32 = 4;

fn config(cases: u32) -> Config {
    // No regression files are written into the source tree; a failure prints its minimal input.
    Config { cases, failure_persistence: None, max_shrink_iters: 400, ..Config::default() }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime")
}

/// Runs `test` on `cases` values of `strategy`, panicking with proptest's minimal failing input.
fn check<S: Strategy>(what: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: Debug,
{
    let mut config = config(cases);
    // A seed of our own (unless PROPTEST_RNG_SEED gives one), so that a failure can be replayed.
    let seed = match config.rng_seed {
        RngSeed::Fixed(seed) => seed,
        RngSeed::Random => uuid::Uuid::new_v4().as_u64_pair().0,
    };
    config.rng_seed = RngSeed::Fixed(seed);
    let mut runner = TestRunner::new(config);
    if let Err(failure) = runner.run(&strategy, test) {
        panic!("{what}: {failure}\n(replay these cases with PROPTEST_RNG_SEED={seed})");
    }
}

fn fail<E: Debug>(what: &'static str) -> impl FnOnce(E) -> TestCaseError {
    move |e| TestCaseError::fail(format!("{what}: {e:?}"))
}

// ---------------------------------------------------------------------------------------------
// Generators shared by the tests

/// Member names of every service's requests, so that generated objects reach the members'
/// parsers and not only the "unknown member" path.
const MEMBERS: &[&str] = &[
    "targets",
    "clientToken",
    "tags",
    "resourcesToAdd",
    "resourcesToDelete",
    "targetIdentifier",
    "targetId",
    "accountId",
    "targetType",
    "region",
    "PackageID",
    "Operation",
    "PackageUserList",
    "PackageName",
    "PackageType",
    "PackageDescription",
    "PackageSource",
    "S3BucketName",
    "S3Key",
    "PackageConfiguration",
    "LicenseRequirement",
    "LicenseFilepath",
    "ConfigurationRequirement",
    "RequiresRestartForConfigurationUpdate",
    "EngineVersion",
    "PackageVendingOptions",
    "VendingEnabled",
    "PackageEncryptionOptions",
    "KmsKeyIdentifier",
    "EncryptionEnabled",
    "Filters",
    "Name",
    "Value",
    "MaxResults",
    "NextToken",
    "status",
    "findingPublishingFrequency",
    "account",
    "email",
    "accounts",
];

/// Strings that some parser accepts, or nearly does.
const PLAUSIBLE: &[&str] = &[
    "",
    "ACCOUNT",
    "account",
    "us-east-1",
    "eusc-de-east-1",
    "us-gov-west-1",
    "us-east",
    "111111111111",
    "123456789012",
    "222222222222",
    "12345678901",
    "١٢٣٤٥٦٧٨٩٠١٢",
    "GLOBAL",
    "global",
    "ADD",
    "REMOVE",
    "OVERRIDE",
    "TXT-DICTIONARY",
    "ZIP-PLUGIN",
    "PACKAGE-LICENSE",
    "PACKAGE-CONFIG",
    "REQUIRED",
    "OPTIONAL",
    "NONE",
    "ENABLED",
    "DISABLED",
    "PAUSED",
    "Enabled",
    "FIFTEEN_MINUTES",
    "ONE_HOUR",
    "SIX_HOURS",
    "OpenSearch_2.11",
    "Elasticsearch_7.10",
    "PackageID",
    "PackageName",
    "PackageOwner",
    "PackageStatus",
    "pkg-0123456789abcdef0123",
    "F123",
    "a@example.com",
    "a@@example.com",
    "aws:x",
    "AWS:x",
    "my-dictionary",
    "a/b/../c",
    "0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f",
    "*",
    "\u{0}",
    "é",
];

fn plausible() -> impl Strategy<Value = String> {
    select(PLAUSIBLE).prop_map(str::to_owned)
}

fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![4 => select(MEMBERS).prop_map(str::to_owned), 1 => any::<String>()]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        2 => any::<String>().prop_map(Value::String),
        3 => plausible().prop_map(Value::String),
    ]
}

/// Any JSON value, a few levels deep, objects keyed mostly by real member names.
fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((member_name(), inner), 0..6).prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    vec((member_name(), json_value()), 0..8).prop_map(|members| Value::Object(members.into_iter().collect()))
}

/// `depth` arrays or objects nested under a member: past serde_json's recursion limit too.
fn deeply_nested() -> impl Strategy<Value = Vec<u8>> {
    (1usize..=300, any::<bool>(), select(MEMBERS)).prop_map(|(depth, arrays, member)| {
        let (open, close) = if arrays { ("[", "]") } else { (r#"{"a":"#, "}") };
        format!(r#"{{"{member}": {}1{}}}"#, open.repeat(depth), close.repeat(depth)).into_bytes()
    })
}

/// A valid body of `operation`, the seed that [`mutated`] bodies start from, so that mutations
/// reach each member's parser and the store rather than stopping at a missing member. The
/// operations come from the table; one without a seed here starts from `{}`.
fn seed(operation: &str, package_id: &str) -> Value {
    let target = |account: &str, region: &str| json!({"targetIdentifier": {"targetId": {"accountId": account}, "targetType": "ACCOUNT"}, "region": region});
    match operation {
        "CreateScope" => json!({"targets": [target("111111111111", "us-east-1"), target("222222222222", "eu-west-1")],
                                "tags": {"team": "network"}, "clientToken": "0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f"}),
        "UpdateScope" => json!({"resourcesToAdd": [target("333333333333", "us-west-2")],
                                "resourcesToDelete": [target("777777777777", "us-east-1")]}),
        "UpdatePackageScope" => {
            json!({"PackageID": package_id, "Operation": "ADD", "PackageUserList": ["222222222222", "GLOBAL"]})
        }
        "CreatePackage" => json!({"PackageName": "fuzz-package", "PackageType": "PACKAGE-CONFIG",
                                  "PackageDescription": "seed", "EngineVersion": "OpenSearch_2.11",
                                  "PackageSource": {"S3BucketName": "bucket", "S3Key": "key.zip"},
                                  "PackageConfiguration": {"LicenseRequirement": "NONE", "LicenseFilepath": "lic/a.txt",
                                                           "ConfigurationRequirement": "OPTIONAL",
                                                           "RequiresRestartForConfigurationUpdate": true},
                                  "PackageVendingOptions": {"VendingEnabled": true},
                                  "PackageEncryptionOptions": {"EncryptionEnabled": true, "KmsKeyIdentifier": "key"}}),
        "DescribePackages" => json!({"Filters": [{"Name": "PackageName", "Value": ["fuzzed", "fuzz-package"]}],
                                     "MaxResults": 10}),
        "EnableMacie" => json!({"clientToken": "seed", "status": "ENABLED", "findingPublishingFrequency": "ONE_HOUR"}),
        "UpdateMacieSession" => json!({"status": "PAUSED", "findingPublishingFrequency": "SIX_HOURS"}),
        "CreateMember" => {
            json!({"account": {"accountId": "333333333333", "email": "a@example.com"}, "tags": {"k": "v"}})
        }
        "UpdateMemberSession" => json!({"status": "PAUSED"}),
        "BatchUpdateAutomatedDiscoveryAccounts" => {
            json!({"accounts": [{"accountId": "123456789012", "status": "ENABLED"},
                                                                       {"accountId": "222222222222", "status": "DISABLED"}]})
        }
        _ => json!({}),
    }
}

/// One step of the path to a node of a JSON tree.
#[derive(Debug, Clone)]
enum Step {
    Member(String),
    Item(usize),
}

/// The path of every node of `value`, the root first.
fn node_paths(value: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(at.clone());
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                at.push(Step::Member(name.clone()));
                node_paths(member, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(Step::Item(i));
                node_paths(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Member(name) => node.get_mut(name.as_str()),
        Step::Item(i) => node.get_mut(*i),
    })
}

/// One change to a JSON tree, at a node chosen by index.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    Remove,
    /// A member into an object, an item at the end of an array.
    Add(String, Value),
    /// The node's first item (a small one) repeated `n` times: lists around their size limits.
    Repeat(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => json_value().prop_map(Mutation::Replace),
        3 => plausible().prop_map(|s| Mutation::Replace(Value::String(s))),
        2 => Just(Mutation::Remove),
        2 => (member_name(), json_value()).prop_map(|(name, value)| Mutation::Add(name, value)),
        1 => prop_oneof![1usize..4, 95usize..=105, 995usize..=1005].prop_map(Mutation::Repeat),
    ]
}

fn apply(value: &mut Value, at: Index, mutation: Mutation) {
    let mut paths = Vec::new();
    node_paths(value, &mut Vec::new(), &mut paths);
    let path = &paths[at.index(paths.len())];
    match mutation {
        Mutation::Replace(new) => {
            if let Some(node) = node_mut(value, path) {
                *node = new;
            }
        }
        Mutation::Remove => {
            let Some((last, parent)) = path.split_last() else { return };
            match (node_mut(value, parent), last) {
                (Some(Value::Object(members)), Step::Member(name)) => drop(members.remove(name)),
                (Some(Value::Array(items)), Step::Item(i)) => drop(items.remove(*i)),
                _ => {}
            }
        }
        Mutation::Add(name, new) => match node_mut(value, path) {
            Some(Value::Object(members)) => drop(members.insert(name, new)),
            Some(Value::Array(items)) => items.push(new),
            _ => {}
        },
        Mutation::Repeat(n) => {
            if let Some(Value::Array(items)) = node_mut(value, path)
                && let Some(first) = items.first().filter(|first| first.to_string().len() <= 300).cloned()
            {
                items.extend(std::iter::repeat_n(first, n));
            }
        }
    }
}

/// `seed` with one to three mutations.
fn mutated(seed: Value) -> impl Strategy<Value = Value> {
    vec((any::<Index>(), mutation()), 1..4).prop_map(move |mutations| {
        let mut value = seed.clone();
        for (at, mutation) in mutations {
            apply(&mut value, at, mutation);
        }
        value
    })
}

/// A mutated seed's text with a few bytes replaced and perhaps cut short.
fn mangled(seed: Value) -> impl Strategy<Value = Vec<u8>> {
    (mutated(seed), vec((any::<Index>(), any::<u8>()), 1..4), proptest::option::of(any::<Index>())).prop_map(
        |(value, edits, cut)| {
            let mut bytes = value.to_string().into_bytes();
            for (at, byte) in edits {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len()));
            }
            bytes
        },
    )
}

fn text(value: Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// A body for an operation whose valid body is `seed`.
fn body(seed: Value) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        5 => mutated(seed.clone()).prop_map(text),
        1 => Just(text(seed.clone())),
        2 => mangled(seed),
        2 => json_object().prop_map(text),
        1 => json_value().prop_map(text),
        2 => vec(any::<u8>(), 0..300),
        1 => deeply_nested(),
    ]
}

/// Every byte but the unreserved ones as `%XX`.
fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// base64url without padding: the alphabet of the pagination tokens.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// A `{label}` value: percent-encoded arbitrary bytes or text, an existing resource's ID, or
/// raw path characters (a stray `%` included).
fn label(known: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => vec(any::<u8>(), 0..40).prop_map(|b| percent_encode(&b)),
        1 => any::<String>().prop_map(|s| percent_encode(s.as_bytes())),
        4 => select(known),
        1 => "[A-Za-z0-9._~!$&'()*+,;=:@%-]{0,24}",
    ]
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => vec(any::<u8>(), 0..32).prop_map(|b| percent_encode(&b)),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        2 => plausible().prop_map(|s| percent_encode(s.as_bytes())),
        1 => select(&["0", "1", "25", "26", "-1", "99999999999999999999999", "1e3", "+5"][..])
            .prop_map(|s| percent_encode(s.as_bytes())),
        // Pagination tokens that decode, to cursors of any content.
        2 => json_value().prop_map(|v| base64url(json!({ "after": v }).to_string().as_bytes())),
        2 => "[0-9]{12}(,[0-9]{12}){0,3}".prop_map(|s| percent_encode(s.as_bytes())),
    ]
}

fn query() -> impl Strategy<Value = Option<String>> {
    let key = prop_oneof![
        4 => select(&["maxResults", "nextToken", "accountIds"][..]).prop_map(str::to_owned),
        1 => vec(any::<u8>(), 0..12).prop_map(|b| percent_encode(&b)),
    ];
    let pair = (key, query_value()).prop_map(|(k, v)| format!("{k}={v}"));
    prop_oneof![
        1 => Just(None),
        4 => vec(pair, 0..6).prop_map(|pairs| Some(pairs.join("&"))),
        // Many account IDs: around the filter's 50-ID limit.
        1 => vec("[0-9]{12}", 40..60).prop_map(|ids| Some(ids.iter().map(|id| format!("accountIds={id}")).collect::<Vec<_>>().join("&"))),
        1 => "[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{0,64}".prop_map(Some),
    ]
}

/// The caller: mostly the local default, sometimes another account or a key that is none.
fn caller() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(None),
        1 => Just(Some("222222222222".to_owned())),
        1 => "[0-9]{12}".prop_map(Some),
        1 => "[!-~]{0,20}".prop_map(Some),
    ]
}

/// `route`'s path with `labels` in its `{label}` segments, then `?query`.
fn request_target(route: &Route, labels: [&str; 2], query: Option<&str>) -> String {
    let mut labels = labels.into_iter();
    let path: Vec<&str> = route
        .path
        .split('/')
        .map(|segment| if segment.starts_with('{') { labels.next().unwrap_or_default() } else { segment })
        .collect();
    match query {
        Some(query) => format!("{}?{query}", path.join("/")),
        None => path.join("/"),
    }
}

// ---------------------------------------------------------------------------------------------
// Every route through the local server

/// IDs of resources that exist when the fuzzing starts, for labels to name sometimes.
async fn fixtures(server: &TestServer) -> Vec<String> {
    let ok = |resp: Result<crate::helpers::RawResponse, String>| {
        let resp = resp.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.status, 200, "{resp:?}");
        serde_json::from_str::<Value>(&resp.body).expect("JSON")
    };
    let post = |target: &'static str, body: Value| async move {
        let body = body.to_string();
        send(server.addr, &Request { method: "POST", target, body: body.as_bytes(), account: None }).await
    };
    let target = json!({"targetIdentifier": {"targetId": {"accountId": "777777777777"}, "targetType": "ACCOUNT"},
                        "region": "us-east-1"});
    let scope = ok(post("/scopes", json!({"targets": [target], "tags": {"k": "v"}})).await);
    let package = ok(post(
        "/2021-01-01/packages",
        json!({"PackageName": "fuzzed", "PackageType": "TXT-DICTIONARY",
               "PackageSource": {"S3BucketName": "bucket", "S3Key": "key"},
               "PackageVendingOptions": {"VendingEnabled": true}}),
    )
    .await);
    ok(post("/macie", json!({})).await);
    ok(post("/members", json!({"account": {"accountId": "222222222222", "email": "m@example.com"}})).await);
    vec![
        scope["scopeId"].as_str().expect("scopeId").to_owned(),
        package["PackageDetails"]["PackageID"].as_str().expect("PackageID").to_owned(),
        "222222222222".to_owned(),
        "123456789012".to_owned(),
        "pkg-0123456789abcdef0123".to_owned(),
    ]
}

/// Answers seen for one route.
#[derive(Default)]
struct Seen {
    ok: usize,
    refused: usize,
}

fn fuzz_every_route(kind: StoreKind, cases_per_route: u32) {
    let started = Instant::now();
    let rt = runtime();
    let server = rt.block_on(TestServer::on(kind));
    let known = rt.block_on(fixtures(&server));
    let mut report = Vec::new();
    let (mut ok, mut refused) = (0, 0);
    for route in ROUTES {
        let seen = Mutex::new(Seen::default());
        let seed = seed(route.operation.name(), &known[1]);
        let strategy = (label(known.clone()), label(known.clone()), query(), body(seed), caller());
        check(&format!("{kind:?}: {} {}", route.method, route.path), cases_per_route, strategy, |case| {
            let (label_a, label_b, query, body, account) = case;
            let target = request_target(route, [&label_a, &label_b], query.as_deref());
            let request = Request { method: route.method, target: &target, body: &body, account: account.as_deref() };
            let resp = rt.block_on(send(server.addr, &request)).map_err(TestCaseError::fail)?;
            check_aws_answer(&resp);
            let mut seen = seen.lock().expect("lock");
            if resp.status < 300 {
                seen.ok += 1
            } else {
                seen.refused += 1
            }
            Ok(())
        });
        let seen = seen.into_inner().expect("lock");
        report.push(format!("{}: {} 2xx, {} 4xx", route.operation.name(), seen.ok, seen.refused));
        ok += seen.ok;
        refused += seen.refused;
    }
    // Still serving after all of it.
    let resp = rt
        .block_on(send(server.addr, &Request { method: "GET", target: "/scopes", body: b"", account: None }))
        .unwrap_or_else(|e| panic!("the server stopped answering: {e}"));
    assert_eq!(resp.status, 200, "{resp:?}");
    println!(
        "parser_properties ({kind:?}): {} routes x {cases_per_route} cases = {} requests ({ok} 2xx, {refused} 4xx, none else) in {:.1?}",
        ROUTES.len(),
        ok + refused,
        started.elapsed()
    );
    println!("  {}", report.join("; "));
}

#[test]
fn every_route_answers_any_request_with_2xx_or_an_aws_4xx_on_the_embedded_store() {
    fuzz_every_route(StoreKind::Embedded, EMBEDDED_CASES_PER_ROUTE);
}

#[test]
fn every_route_answers_any_request_with_2xx_or_an_aws_4xx_on_dynamodb() {
    fuzz_every_route(StoreKind::DynamoDb, DYNAMODB_CASES_PER_ROUTE);
}

// ---------------------------------------------------------------------------------------------
// Each wire input type, at the unit level

/// A body parser: `parse_json` into the operation's wire input type, then its domain parser.
type Parser = fn(&[u8]) -> Result<(), ApiError>;

/// The operations whose body has a wire input type, by name. The server-level test above covers
/// every route whatever this list says; an operation named here must exist in the table.
fn body_parsers() -> Vec<(&'static str, Parser)> {
    use shared::macie::{domain as macie, model as macie_wire};
    use shared::nfm::{domain as nfm, model as nfm_wire};
    use shared::opensearch::{domain as os, model as os_wire};
    fn caller() -> AccountId {
        AccountId::local_default()
    }
    vec![
        ("CreateScope", |b| nfm::NewScope::parse(parse_json::<nfm_wire::CreateScopeInput>(b)?).map(drop)),
        ("UpdateScope", |b| nfm::TargetChanges::parse(parse_json::<nfm_wire::UpdateScopeInput>(b)?).map(drop)),
        ("UpdatePackageScope", |b| {
            os::ScopeUpdate::parse(parse_json::<os_wire::UpdatePackageScopeInput>(b)?).map(drop)
        }),
        ("CreatePackage", |b| os::NewPackage::parse(parse_json::<os_wire::CreatePackageInput>(b)?).map(drop)),
        ("DescribePackages", |b| os::DescribeQuery::parse(parse_json::<os_wire::DescribePackagesInput>(b)?).map(drop)),
        ("EnableMacie", |b| macie::NewSession::parse(parse_json::<macie_wire::EnableMacieInput>(b)?).map(drop)),
        ("UpdateMacieSession", |b| {
            macie::SessionChanges::parse(parse_json::<macie_wire::UpdateMacieSessionInput>(b)?).map(drop)
        }),
        ("CreateMember", |b| {
            macie::NewMember::parse(&caller(), parse_json::<macie_wire::CreateMemberInput>(b)?).map(drop)
        }),
        ("UpdateMemberSession", |b| match parse_json::<macie_wire::UpdateMemberSessionInput>(b)?.status {
            Some(status) => macie::MacieStatus::parse("status", &status).map(drop),
            None => Ok(()),
        }),
        ("BatchUpdateAutomatedDiscoveryAccounts", |b| {
            macie::DiscoveryBatch::parse(parse_json::<macie_wire::BatchUpdateInput>(b)?).map(drop)
        }),
    ]
}

#[test]
fn every_wire_input_type_parses_any_bytes_without_panicking() {
    let started = Instant::now();
    let parsers = body_parsers();
    for (name, _) in &parsers {
        assert!(ROUTES.iter().any(|r| r.operation.name() == *name), "{name} is no operation of the table");
    }
    let mut total = 0;
    for (name, parser) in &parsers {
        let accepted = AtomicU64::new(0);
        check(name, UNIT_CASES_PER_TYPE, body(seed(name, "pkg-0123456789abcdef0123")), |bytes| {
            match parser(&bytes) {
                Ok(()) => {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                Err(ApiError::Validation(message)) => prop_assert!(!message.is_empty(), "an empty message"),
                Err(other) => return Err(TestCaseError::fail(format!("not a ValidationException: {other:?}"))),
            }
            Ok(())
        });
        total += UNIT_CASES_PER_TYPE;
        println!("  {name}: {UNIT_CASES_PER_TYPE} bodies, {} accepted", accepted.into_inner());
    }
    // The query side: any query string, and the filters and integers read from it.
    check(
        "query strings",
        UNIT_CASES_PER_TYPE,
        prop_oneof![any::<String>(), query().prop_map(Option::unwrap_or_default)],
        |raw| {
            let request = ApiRequest { query: ApiRequest::parse_query(Some(&raw)), ..Default::default() };
            for result in [
                request.query_int("maxResults", 1, 25).map(drop),
                shared::common::pagination::decode::<Value>(
                    "nextToken",
                    request.query_param("nextToken").unwrap_or_default(),
                )
                .map(drop),
            ] {
                if let Err(error) = result {
                    prop_assert!(matches!(error, ApiError::Validation(_)), "{error:?}");
                }
            }
            let ids = request.query.iter().filter(|(k, _)| k == "accountIds").map(|(_, v)| v.as_str());
            if let Err(error) = shared::macie::domain::AccountFilter::parse(ids) {
                prop_assert!(matches!(error, ApiError::Validation(_)), "{error:?}");
            }
            Ok(())
        },
    );
    total += UNIT_CASES_PER_TYPE;
    let uncovered: Vec<&str> = ROUTES
        .iter()
        .filter(|r| matches!(r.method, "POST" | "PATCH" | "PUT"))
        .map(|r| r.operation.name())
        .filter(|name| !parsers.iter().any(|(n, _)| n == name))
        .collect();
    println!(
        "parser_properties (unit): {} wire input types and the query, {total} cases in {:.1?}; body operations without a unit-level parser here (covered through the server): {uncovered:?}",
        parsers.len(),
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// Valid requests round-trip through the SDKs

/// A fresh account for each generated scenario, so that scenarios never meet.
fn fresh_account() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(400_000_000_000);
    format!("{:012}", NEXT.fetch_add(1, Ordering::Relaxed))
}

const REGION_PATTERN: &str = "([a-z]{2}(-gov|-iso[a-z]?)?|eusc-[a-z]{2})-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]{1,2}";

fn regex(pattern: &str) -> impl Strategy<Value = String> + use<> {
    string_regex(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

/// A tag key AWS accepts: 1–128 characters of anything, not starting `aws:` in any case.
fn tag_key() -> impl Strategy<Value = String> {
    prop_oneof![regex("[a-zA-Z0-9 _.:/=+@-]{1,20}"), regex("(?s).{1,128}")]
        .prop_filter("aws: is reserved", |k| !k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")))
}

fn tags() -> impl Strategy<Value = BTreeMap<String, String>> {
    btree_map(tag_key(), prop_oneof![regex("[a-zA-Z0-9 ]{0,12}"), regex("(?s).{0,256}")], 0..6)
}

fn hash_map(tags: &BTreeMap<String, String>) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn sorted(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

/// Runs `scenario` on `cases` generated values against a fresh server of `kind`.
fn round_trips<S, F>(what: &str, kind: StoreKind, cases: u32, strategy: S, scenario: F)
where
    S: Strategy,
    S::Value: Debug,
    F: AsyncFn(&TestServer, S::Value) -> Result<(), TestCaseError>,
{
    let started = Instant::now();
    let rt = runtime();
    let server = rt.block_on(TestServer::on(kind));
    check(&format!("{what} ({kind:?})"), cases, strategy, |case| rt.block_on(scenario(&server, case)));
    println!(
        "parser_properties ({kind:?}): {what}: {cases} generated scenarios round-tripped in {:.1?}",
        started.elapsed()
    );
}

// Network Flow Monitor

mod nfm_round_trip {
    use super::*;
    use aws_sdk_networkflowmonitor::operation::update_scope::UpdateScopeError;
    use aws_sdk_networkflowmonitor::types::{ScopeStatus, TargetId, TargetIdentifier, TargetResource, TargetType};

    type Target = (String, String);

    #[derive(Debug, Clone)]
    pub struct Case {
        targets: Vec<Target>,
        tags: BTreeMap<String, String>,
        add: Vec<Target>,
        /// Existing targets to delete, by index, and absent ones.
        delete_existing: Vec<Index>,
        delete_absent: Vec<Target>,
    }

    fn target() -> impl Strategy<Value = Target> {
        (regex("[0-9]{12}"), regex(REGION_PATTERN))
    }

    pub fn case() -> impl Strategy<Value = Case> {
        (vec(target(), 1..8), tags(), vec(target(), 0..4), vec(any::<Index>(), 0..4), vec(target(), 0..3)).prop_map(
            |(targets, tags, add, delete_existing, delete_absent)| Case {
                targets,
                tags,
                add,
                delete_existing,
                delete_absent,
            },
        )
    }

    fn sdk(targets: &[Target]) -> Vec<TargetResource> {
        targets
            .iter()
            .map(|(account, region)| {
                let identifier = TargetIdentifier::builder()
                    .target_id(TargetId::AccountId(account.clone()))
                    .target_type(TargetType::Account)
                    .build()
                    .expect("a complete target identifier");
                TargetResource::builder().target_identifier(identifier).region(region).build().expect("a target")
            })
            .collect()
    }

    fn set(targets: &[TargetResource]) -> Result<BTreeSet<Target>, TestCaseError> {
        targets
            .iter()
            .map(|t| {
                let id = t.target_identifier().ok_or_else(|| TestCaseError::fail("no targetIdentifier"))?;
                prop_assert_eq!(id.target_type(), &TargetType::Account);
                match id.target_id() {
                    Some(TargetId::AccountId(account)) => Ok((account.clone(), t.region().to_owned())),
                    other => Err(TestCaseError::fail(format!("targetId is no accountId: {other:?}"))),
                }
            })
            .collect()
    }

    pub async fn scenario(server: &TestServer, case: Case) -> Result<(), TestCaseError> {
        let me = fresh_account();
        let client = server.nfm(&me);
        let created = client
            .create_scope()
            .set_targets(Some(sdk(&case.targets)))
            .set_tags(Some(hash_map(&case.tags)))
            .send()
            .await
            .map_err(fail("CreateScope"))?;
        let id = created.scope_id().to_owned();
        prop_assert_eq!(created.status(), &ScopeStatus::Succeeded);
        let arn_tail = format!("scope/{id}");
        prop_assert!(created.scope_arn().contains(&me) && created.scope_arn().ends_with(&arn_tail));
        prop_assert_eq!(sorted(created.tags()), case.tags.clone());

        let mut expected: BTreeSet<Target> = case.targets.iter().cloned().collect();
        let got = client.get_scope().scope_id(&id).send().await.map_err(fail("GetScope"))?;
        prop_assert_eq!(set(got.targets())?, expected.clone());
        prop_assert_eq!(sorted(got.tags()), case.tags.clone());

        // A valid update: the lists are disjoint, and each is sent only when it has items.
        let add: BTreeSet<Target> = case.add.iter().cloned().collect();
        let current: Vec<&Target> = expected.iter().collect();
        let delete: BTreeSet<Target> = case
            .delete_existing
            .iter()
            .map(|i| current[i.index(current.len())].clone())
            .chain(case.delete_absent.iter().cloned())
            .filter(|t| !add.contains(t))
            .collect();
        if add.is_empty() && delete.is_empty() {
            client.delete_scope().scope_id(&id).send().await.map_err(fail("DeleteScope"))?;
            return Ok(());
        }
        let nonempty = |s: &BTreeSet<Target>| (!s.is_empty()).then(|| sdk(&s.iter().cloned().collect::<Vec<_>>()));
        let updated = client
            .update_scope()
            .scope_id(&id)
            .set_resources_to_add(nonempty(&add))
            .set_resources_to_delete(nonempty(&delete))
            .send()
            .await;
        let next: BTreeSet<Target> = expected.difference(&delete).chain(&add).cloned().collect();
        if next.is_empty() {
            // Deleting every target is refused and changes nothing.
            match updated.map_err(|e| e.into_service_error()) {
                Err(UpdateScopeError::ValidationException(_)) => {}
                other => return Err(TestCaseError::fail(format!("an empty scope was not refused: {other:?}"))),
            }
        } else {
            let updated = updated.map_err(fail("UpdateScope"))?;
            prop_assert_eq!(updated.scope_id(), id.as_str());
            prop_assert_eq!(sorted(updated.tags()), case.tags.clone());
            expected = next;
        }
        let got = client.get_scope().scope_id(&id).send().await.map_err(fail("GetScope"))?;
        prop_assert_eq!(set(got.targets())?, expected);
        prop_assert_eq!(sorted(got.tags()), case.tags);
        client.delete_scope().scope_id(&id).send().await.map_err(fail("DeleteScope"))?;
        Ok(())
    }
}

#[test]
fn generated_scopes_and_target_changes_round_trip_on_the_embedded_store() {
    round_trips(
        "CreateScope/GetScope/UpdateScope",
        StoreKind::Embedded,
        EMBEDDED_ROUND_TRIPS,
        nfm_round_trip::case(),
        nfm_round_trip::scenario,
    );
}

#[test]
fn generated_scopes_and_target_changes_round_trip_on_dynamodb() {
    round_trips(
        "CreateScope/GetScope/UpdateScope",
        StoreKind::DynamoDb,
        DYNAMODB_ROUND_TRIPS,
        nfm_round_trip::case(),
        nfm_round_trip::scenario,
    );
}

// OpenSearch Service

mod opensearch_round_trip {
    use super::*;
    use aws_sdk_opensearch::operation::update_package_scope::UpdatePackageScopeError;
    use aws_sdk_opensearch::types::{
        DescribePackagesFilter, DescribePackagesFilterName, PackageConfiguration, PackageDetails,
        PackageEncryptionOptions, PackageScopeOperationEnum, PackageSource, PackageStatus, PackageType,
        PackageVendingOptions, RequirementLevel,
    };

    /// Accounts a package may be shared with: few, so that operations meet the same users.
    const USERS: &[&str] = &["700000000000", "700000000001", "700000000002", "700000000003", "GLOBAL"];

    #[derive(Debug, Clone)]
    pub struct Configuration {
        license: &'static str,
        filepath: Option<String>,
        configuration: &'static str,
        restart: Option<bool>,
    }

    #[derive(Debug, Clone)]
    pub struct Case {
        name: String,
        package_type: &'static str,
        description: Option<String>,
        bucket: String,
        key: String,
        configuration: Option<Configuration>,
        engine_version: Option<String>,
        vending: Option<bool>,
        encryption: Option<(bool, Option<String>)>,
        updates: Vec<(&'static str, Vec<&'static str>)>,
        viewer: &'static str,
    }

    fn requirement() -> impl Strategy<Value = &'static str> {
        select(&["REQUIRED", "OPTIONAL", "NONE"][..])
    }

    fn configuration() -> impl Strategy<Value = Configuration> {
        let filepath = regex("[a-zA-Z0-9_.-]{1,12}(/[a-zA-Z0-9_.-]{1,12}){0,4}").prop_map(|mut path| {
            while path.contains("..") {
                path = path.replace("..", "._");
            }
            path
        });
        (requirement(), proptest::option::of(filepath), requirement(), proptest::option::of(any::<bool>())).prop_map(
            |(license, filepath, configuration, restart)| Configuration { license, filepath, configuration, restart },
        )
    }

    pub fn case() -> impl Strategy<Value = Case> {
        let package = (
            regex("[a-z][a-z0-9-]{2,40}"),
            select(&["TXT-DICTIONARY", "ZIP-PLUGIN", "PACKAGE-LICENSE", "PACKAGE-CONFIG"][..]),
            proptest::option::of(regex("(?s).{0,300}")),
            regex("(?s).{3,63}"),
            regex("(?s).{1,200}"),
            proptest::option::of(configuration()),
        );
        let options = (
            proptest::option::of(regex(r"Elasticsearch_[0-9]\.[0-9]{1,2}|OpenSearch_[0-9]{1,2}\.[0-9]{1,2}")),
            proptest::option::of(any::<bool>()),
            proptest::option::of((any::<bool>(), proptest::option::of(regex("(?s).{1,100}")))),
            vec((select(&["ADD", "REMOVE", "OVERRIDE"][..]), vec(select(USERS), 0..6)), 0..5),
            select(USERS),
        );
        (package, options).prop_map(
            |(
                (name, package_type, description, bucket, key, configuration),
                (engine_version, vending, encryption, updates, viewer),
            )| Case {
                name,
                package_type,
                description,
                bucket,
                key,
                configuration,
                engine_version,
                vending,
                encryption,
                updates,
                viewer,
            },
        )
    }

    /// Checks `details` against what `case` sent, as `owner` sees it with scope `users`.
    fn check_details(
        details: &PackageDetails,
        case: &Case,
        owner: &str,
        users: Option<&BTreeSet<String>>,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(details.package_name(), Some(case.name.as_str()));
        prop_assert_eq!(details.package_type().map(|t| t.as_str()), Some(case.package_type));
        prop_assert_eq!(details.package_description(), case.description.as_deref());
        prop_assert_eq!(details.package_status(), Some(&PackageStatus::Available));
        prop_assert_eq!(details.engine_version(), case.engine_version.as_deref());
        prop_assert_eq!(details.package_owner(), Some(owner));
        let vending = details.package_vending_options().map(|v| v.vending_enabled());
        prop_assert_eq!(vending, Some(case.vending.unwrap_or(false)));
        let configuration = details.available_package_configuration().map(|c| {
            (
                c.license_requirement().as_str().to_owned(),
                c.license_filepath().map(str::to_owned),
                c.configuration_requirement().as_str().to_owned(),
                c.requires_restart_for_configuration_update(),
            )
        });
        let sent = case
            .configuration
            .as_ref()
            .map(|c| (c.license.to_owned(), c.filepath.clone(), c.configuration.to_owned(), c.restart));
        prop_assert_eq!(configuration, sent);
        let encryption = details
            .package_encryption_options()
            .map(|e| (e.encryption_enabled(), e.kms_key_identifier().map(str::to_owned)));
        prop_assert_eq!(encryption, case.encryption.clone());
        // The field, not the accessor: absent (not the owner's view) is not `[]`.
        let listed = details.allow_listed_user_list.as_ref().map(|u| u.iter().cloned().collect::<BTreeSet<_>>());
        prop_assert_eq!(listed.as_ref(), users);
        Ok(())
    }

    async fn describe_one(
        client: &aws_sdk_opensearch::Client,
        id: &str,
    ) -> Result<Option<PackageDetails>, TestCaseError> {
        let filter = DescribePackagesFilter::builder().name(DescribePackagesFilterName::PackageId).value(id).build();
        let out = client.describe_packages().filters(filter).send().await.map_err(fail("DescribePackages"))?;
        let mut list = out.package_details_list.unwrap_or_default();
        prop_assert!(list.len() <= 1, "one ID, one package: {:?}", list);
        Ok(list.pop())
    }

    pub async fn scenario(server: &TestServer, case: Case) -> Result<(), TestCaseError> {
        let me = fresh_account();
        let client = server.opensearch(&me);
        let source = PackageSource::builder().s3_bucket_name(&case.bucket).s3_key(&case.key).build();
        let configuration = case.configuration.as_ref().map(|c| {
            PackageConfiguration::builder()
                .license_requirement(RequirementLevel::from(c.license))
                .set_license_filepath(c.filepath.clone())
                .configuration_requirement(RequirementLevel::from(c.configuration))
                .set_requires_restart_for_configuration_update(c.restart)
                .build()
                .expect("a complete configuration")
        });
        let vending =
            case.vending.map(|v| PackageVendingOptions::builder().vending_enabled(v).build().expect("vending options"));
        let encryption = case.encryption.as_ref().map(|(enabled, key)| {
            PackageEncryptionOptions::builder()
                .encryption_enabled(*enabled)
                .set_kms_key_identifier(key.clone())
                .build()
                .expect("encryption options")
        });
        let created = client
            .create_package()
            .package_name(&case.name)
            .package_type(PackageType::from(case.package_type))
            .set_package_description(case.description.clone())
            .package_source(source)
            .set_package_configuration(configuration)
            .set_engine_version(case.engine_version.clone())
            .set_package_vending_options(vending)
            .set_package_encryption_options(encryption)
            .send()
            .await
            .map_err(fail("CreatePackage"))?;
        let details = created.package_details().ok_or_else(|| TestCaseError::fail("no PackageDetails"))?;
        let id = details.package_id().ok_or_else(|| TestCaseError::fail("no PackageID"))?.to_owned();
        let mut users = BTreeSet::new();
        check_details(details, &case, &me, Some(&users))?;
        let described = describe_one(&client, &id).await?.ok_or_else(|| TestCaseError::fail("not described"))?;
        check_details(&described, &case, &me, Some(&users))?;

        for (operation, list) in &case.updates {
            let list: BTreeSet<String> = list.iter().map(|u| (*u).to_owned()).collect();
            let answer = client
                .update_package_scope()
                .package_id(&id)
                .operation(PackageScopeOperationEnum::from(*operation))
                .set_package_user_list(Some(list.iter().cloned().collect()))
                .send()
                .await;
            if !case.vending.unwrap_or(false) {
                match answer.map_err(|e| e.into_service_error()) {
                    Err(UpdatePackageScopeError::DisabledOperationException(_)) => continue,
                    other => return Err(TestCaseError::fail(format!("vending is off, yet: {other:?}"))),
                }
            }
            users = match *operation {
                "ADD" => users.union(&list).cloned().collect(),
                "REMOVE" => users.difference(&list).cloned().collect(),
                _ => list,
            };
            let answer = answer.map_err(fail("UpdatePackageScope"))?;
            prop_assert_eq!(answer.package_id(), Some(id.as_str()));
            prop_assert_eq!(answer.operation().map(|o| o.as_str()), Some(*operation));
            // The whole scope after the change, sorted.
            let whole_scope: Vec<String> = users.iter().cloned().collect();
            prop_assert_eq!(answer.package_user_list(), whole_scope.as_slice());
        }
        let described = describe_one(&client, &id).await?.ok_or_else(|| TestCaseError::fail("not described"))?;
        check_details(&described, &case, &me, Some(&users))?;

        // Who may see it: the users listed, or everyone with GLOBAL; never its scope.
        let seen = describe_one(&server.opensearch(case.viewer), &id).await?;
        let visible = users.contains("GLOBAL") || users.contains(case.viewer);
        prop_assert_eq!(seen.is_some(), visible, "visibility to {} with scope {:?}", case.viewer, users);
        if let Some(seen) = seen {
            check_details(&seen, &case, &me, None)?;
        }
        client.delete_package().package_id(&id).send().await.map_err(fail("DeletePackage"))?;
        Ok(())
    }
}

#[test]
fn generated_packages_and_scope_changes_round_trip_on_the_embedded_store() {
    round_trips(
        "CreatePackage/UpdatePackageScope/DescribePackages",
        StoreKind::Embedded,
        EMBEDDED_ROUND_TRIPS,
        opensearch_round_trip::case(),
        opensearch_round_trip::scenario,
    );
}

#[test]
fn generated_packages_and_scope_changes_round_trip_on_dynamodb() {
    round_trips(
        "CreatePackage/UpdatePackageScope/DescribePackages",
        StoreKind::DynamoDb,
        DYNAMODB_ROUND_TRIPS,
        opensearch_round_trip::case(),
        opensearch_round_trip::scenario,
    );
}

// Macie

mod macie_round_trip {
    use super::*;
    use aws_sdk_macie2::types::{
        AccountDetail, AutomatedDiscoveryAccountStatus, AutomatedDiscoveryAccountUpdate, FindingPublishingFrequency,
        MacieStatus, RelationshipStatus,
    };

    #[derive(Debug, Clone)]
    pub struct Member {
        email: String,
        tags: BTreeMap<String, String>,
        paused: bool,
    }

    /// Whose status one batch entry sets.
    #[derive(Debug, Clone)]
    pub enum Entry {
        Caller,
        Member(Index),
        /// An account that is no member of anyone.
        Stranger,
        /// A value that is no account ID.
        Malformed(String),
    }

    #[derive(Debug, Clone)]
    pub struct Case {
        paused: bool,
        frequency: Option<&'static str>,
        members: Vec<Member>,
        batch: Vec<(Entry, bool)>,
    }

    fn email() -> impl Strategy<Value = String> {
        prop_oneof![
            regex("[a-zA-Z0-9!#$%&'*+/=?^_`{|}~.-]{1,24}@[a-z0-9-]{1,12}(\\.[a-z0-9-]{1,12}){1,3}"),
            // Unicode without whitespace or control characters, either side of the @.
            regex("[\\p{L}\\p{N}]{1,16}@[\\p{L}\\p{N}]{1,12}\\.[\\p{L}]{2,8}"),
        ]
    }

    fn entry() -> impl Strategy<Value = Entry> {
        prop_oneof![
            1 => Just(Entry::Caller),
            3 => any::<Index>().prop_map(Entry::Member),
            1 => Just(Entry::Stranger),
            1 => regex("(?s).{1,20}").prop_filter("not an account ID", |s| AccountId::parse(s).is_none()).prop_map(Entry::Malformed),
        ]
    }

    pub fn case() -> impl Strategy<Value = Case> {
        let member = (email(), tags(), any::<bool>()).prop_map(|(email, tags, paused)| Member { email, tags, paused });
        (
            any::<bool>(),
            proptest::option::of(select(&["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"][..])),
            vec(member, 0..5),
            vec((entry(), any::<bool>()), 0..8),
        )
            .prop_map(|(paused, frequency, members, batch)| Case { paused, frequency, members, batch })
    }

    fn status(enabled: bool) -> &'static str {
        if enabled { "ENABLED" } else { "DISABLED" }
    }

    pub async fn scenario(server: &TestServer, case: Case) -> Result<(), TestCaseError> {
        let me = fresh_account();
        let client = server.macie(&me);
        let session_status = if case.paused { MacieStatus::Paused } else { MacieStatus::Enabled };
        client
            .enable_macie()
            .status(session_status.clone())
            .set_finding_publishing_frequency(case.frequency.map(FindingPublishingFrequency::from))
            .send()
            .await
            .map_err(fail("EnableMacie"))?;
        let session = client.get_macie_session().send().await.map_err(fail("GetMacieSession"))?;
        prop_assert_eq!(session.status(), Some(&session_status));
        let frequency = session.finding_publishing_frequency().map(|f| f.as_str());
        prop_assert_eq!(frequency, Some(case.frequency.unwrap_or("FIFTEEN_MINUTES")));

        // Members, read back as sent; the paused ones paused.
        let mut discovery: BTreeMap<String, bool> = BTreeMap::from([(me.clone(), false)]);
        let mut accounts = Vec::new();
        for member in &case.members {
            let account = fresh_account();
            let created = client
                .create_member()
                .account(AccountDetail::builder().account_id(&account).email(&member.email).build())
                .set_tags(Some(hash_map(&member.tags)))
                .send()
                .await
                .map_err(fail("CreateMember"))?;
            let arn = created.arn().unwrap_or_default();
            prop_assert!(arn.ends_with(&format!(":{me}:member/{account}")), "{}", arn);
            if member.paused {
                client
                    .update_member_session()
                    .id(&account)
                    .status(MacieStatus::Paused)
                    .send()
                    .await
                    .map_err(fail("UpdateMemberSession"))?;
            }
            let got = client.get_member().id(&account).send().await.map_err(fail("GetMember"))?;
            prop_assert_eq!(got.account_id(), Some(account.as_str()));
            prop_assert_eq!(got.email(), Some(member.email.as_str()));
            prop_assert_eq!(got.administrator_account_id(), Some(me.as_str()));
            prop_assert_eq!(sorted(got.tags()), member.tags.clone());
            let relationship = if member.paused { RelationshipStatus::Paused } else { RelationshipStatus::Enabled };
            prop_assert_eq!(got.relationship_status(), Some(&relationship));
            discovery.insert(account.clone(), false);
            accounts.push((account, member.paused));
        }

        // One batch: each entry applied, or refused for its own reason, in request order.
        let mut entries = Vec::new();
        let mut expected_errors = Vec::new();
        let mut sent = BTreeSet::new();
        for (entry, enable) in &case.batch {
            let (account, outcome) = match entry {
                Entry::Caller => (me.clone(), if case.paused { Some("ACCOUNT_PAUSED") } else { None }),
                Entry::Member(i) if !accounts.is_empty() => {
                    let (account, paused) = &accounts[i.index(accounts.len())];
                    (account.clone(), paused.then_some("ACCOUNT_PAUSED"))
                }
                Entry::Member(_) | Entry::Stranger => (fresh_account(), Some("ACCOUNT_NOT_FOUND")),
                Entry::Malformed(raw) => (raw.clone(), Some("ACCOUNT_NOT_FOUND")),
            };
            if !sent.insert(account.clone()) {
                continue; // an ID twice is a ValidationException, not this property
            }
            match outcome {
                Some(code) => expected_errors.push((account.clone(), code.to_owned())),
                None => {
                    discovery.insert(account.clone(), *enable);
                }
            }
            entries.push(
                AutomatedDiscoveryAccountUpdate::builder()
                    .account_id(account)
                    .status(AutomatedDiscoveryAccountStatus::from(status(*enable)))
                    .build(),
            );
        }
        let answer = client
            .batch_update_automated_discovery_accounts()
            .set_accounts(Some(entries))
            .send()
            .await
            .map_err(fail("BatchUpdateAutomatedDiscoveryAccounts"))?;
        let errors: Vec<(String, String)> = answer
            .errors()
            .iter()
            .map(|e| {
                (
                    e.account_id().unwrap_or_default().to_owned(),
                    e.error_code().map(|c| c.as_str().to_owned()).unwrap_or_default(),
                )
            })
            .collect();
        prop_assert_eq!(errors, expected_errors);

        let listed =
            client.list_automated_discovery_accounts().send().await.map_err(fail("ListAutomatedDiscoveryAccounts"))?;
        prop_assert_eq!(listed.next_token(), None);
        let listed: Vec<(String, String)> = listed
            .items()
            .iter()
            .map(|i| {
                (
                    i.account_id().unwrap_or_default().to_owned(),
                    i.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> =
            discovery.iter().map(|(account, enabled)| (account.clone(), status(*enabled).to_owned())).collect();
        prop_assert_eq!(listed, expected);
        Ok(())
    }
}

#[test]
fn generated_members_and_discovery_statuses_round_trip_on_the_embedded_store() {
    round_trips(
        "EnableMacie/CreateMember/GetMember/BatchUpdateAutomatedDiscoveryAccounts/ListAutomatedDiscoveryAccounts",
        StoreKind::Embedded,
        EMBEDDED_ROUND_TRIPS,
        macie_round_trip::case(),
        macie_round_trip::scenario,
    );
}

#[test]
fn generated_members_and_discovery_statuses_round_trip_on_dynamodb() {
    round_trips(
        "EnableMacie/CreateMember/GetMember/BatchUpdateAutomatedDiscoveryAccounts/ListAutomatedDiscoveryAccounts",
        StoreKind::DynamoDb,
        DYNAMODB_ROUND_TRIPS,
        macie_round_trip::case(),
        macie_round_trip::scenario,
    );
}
