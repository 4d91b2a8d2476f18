//! Many callers changing one resource at once, through the real SDKs with retries off (so the
//! server's own answers are counted, not hidden by the client): disjoint changes never answer
//! `ConflictException`, none is lost, and the caps stay exact. 32 writers, as a busy caller's
//! thread pool; each test prints the p50/p99 latency of its writes.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_macie2::types::{AccountDetail, FindingPublishingFrequency, MacieStatus};
use aws_sdk_networkflowmonitor::error::ProvideErrorMetadata;
use aws_sdk_networkflowmonitor::types::{TargetId, TargetIdentifier, TargetResource, TargetType};
use aws_sdk_opensearch::types::{PackageScopeOperationEnum, PackageSource, PackageType, PackageVendingOptions};

use crate::helpers::{StoreKind, TestServer, on_both_stores};

const WRITERS: u64 = 32;
const ME: &str = "111111111111";

on_both_stores!(
    update_scope_adds_from_32_writers,
    update_scope_deletes_from_32_writers,
    update_scope_adds_and_deletes_from_32_writers,
    update_scope_quota_stays_exact_under_contention,
    update_package_scope_adds_from_32_writers,
    macie_session_and_member_updates_from_32_writers,
);

/// What the writers met: each call's latency, and the error code of each failed call.
struct Outcome {
    latencies: Vec<Duration>,
    errors: Vec<String>,
}

impl Outcome {
    fn report(&mut self, what: &str, kind: StoreKind) {
        self.latencies.sort();
        let at = |q: f64| self.latencies[((self.latencies.len() - 1) as f64 * q).round() as usize];
        println!(
            "contention: {what} on {kind:?}: {} calls from {WRITERS} writers, {} failed, p50 {:.1} ms, p99 {:.1} ms",
            self.latencies.len(),
            self.errors.len(),
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3
        );
    }

    fn assert_none_failed(&self, what: &str) {
        assert!(
            self.errors.is_empty(),
            "{what}: {} of {} calls failed: {:?}",
            self.errors.len(),
            self.latencies.len(),
            {
                let codes: BTreeSet<&String> = self.errors.iter().collect();
                codes
            }
        );
    }
}

/// Runs `calls` calls of `call(writer, i)` on each of 32 concurrent writers.
async fn contend<F, Fut>(calls: u64, call: F) -> Outcome
where
    F: Fn(u64, u64) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                for i in 0..calls {
                    let started = Instant::now();
                    let result = call(w, i).await;
                    seen.push((started.elapsed(), result.err()));
                }
                seen
            })
        })
        .collect();
    let mut outcome = Outcome { latencies: Vec::new(), errors: Vec::new() };
    for writer in writers {
        for (latency, error) in writer.await.expect("writer task") {
            outcome.latencies.push(latency);
            outcome.errors.extend(error);
        }
    }
    outcome
}

fn code<E: ProvideErrorMetadata>(err: E) -> String {
    err.code().unwrap_or("no code").to_owned()
}

// ---------------------------------------------------------------------------------------------
// UpdateScope (docs/network-flow-monitor.md §3)
// ---------------------------------------------------------------------------------------------

fn target(account: u64) -> TargetResource {
    let identifier = TargetIdentifier::builder()
        .target_id(TargetId::AccountId(format!("{account:012}")))
        .target_type(TargetType::Account)
        .build()
        .expect("a complete target identifier");
    TargetResource::builder().target_identifier(identifier).region("us-east-1").build().expect("a complete target")
}

fn nfm_client(server: &TestServer) -> aws_sdk_networkflowmonitor::Client {
    let config = server
        .nfm(ME)
        .config()
        .to_builder()
        .retry_config(aws_sdk_networkflowmonitor::config::retry::RetryConfig::disabled());
    aws_sdk_networkflowmonitor::Client::from_conf(config.build())
}

/// A scope of the targets `accounts`, and its ID.
async fn scope_of(client: &aws_sdk_networkflowmonitor::Client, accounts: impl Iterator<Item = u64>) -> String {
    let out =
        client.create_scope().set_targets(Some(accounts.map(target).collect())).send().await.expect("CreateScope");
    out.scope_id().to_owned()
}

async fn target_accounts(client: &aws_sdk_networkflowmonitor::Client, scope_id: &str) -> BTreeSet<u64> {
    let out = client.get_scope().scope_id(scope_id).send().await.expect("GetScope");
    out.targets()
        .iter()
        .map(|t| match t.target_identifier().and_then(|i| i.target_id()) {
            Some(TargetId::AccountId(id)) => id.parse().expect("12 digits"),
            other => panic!("not an account target: {other:?}"),
        })
        .collect()
}

/// The account writer `w` adds in its call `i`: every writer's are distinct.
fn own(w: u64, i: u64) -> u64 {
    500_000_000_000 + w * 1000 + i
}

const CALLS: u64 = 10;

async fn update_scope_adds_from_32_writers(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = nfm_client(&server);
    let scope_id = scope_of(&client, std::iter::once(1)).await;
    let (c, id) = (client.clone(), scope_id.clone());
    let mut outcome = contend(CALLS, move |w, i| {
        let (c, id) = (c.clone(), id.clone());
        async move {
            c.update_scope().scope_id(id).resources_to_add(target(own(w, i))).send().await.map(|_| ()).map_err(code)
        }
    })
    .await;
    outcome.report("UpdateScope adding distinct targets", kind);
    outcome.assert_none_failed("UpdateScope adds");
    let mut want: BTreeSet<u64> = (0..WRITERS).flat_map(|w| (0..CALLS).map(move |i| own(w, i))).collect();
    want.insert(1);
    assert_eq!(target_accounts(&client, &scope_id).await, want, "every add is in the scope");
}

async fn update_scope_deletes_from_32_writers(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = nfm_client(&server);
    let all = (0..WRITERS).flat_map(|w| (0..CALLS).map(move |i| own(w, i)));
    let scope_id = scope_of(&client, all.chain(std::iter::once(1))).await;
    let (c, id) = (client.clone(), scope_id.clone());
    let mut outcome = contend(CALLS, move |w, i| {
        let (c, id) = (c.clone(), id.clone());
        async move {
            c.update_scope().scope_id(id).resources_to_delete(target(own(w, i))).send().await.map(|_| ()).map_err(code)
        }
    })
    .await;
    outcome.report("UpdateScope deleting distinct targets", kind);
    outcome.assert_none_failed("UpdateScope deletes");
    assert_eq!(target_accounts(&client, &scope_id).await, BTreeSet::from([1]), "every delete took");
}

/// Each call adds the writer's next target and deletes its previous one: the scope ends with
/// each writer's last target.
async fn update_scope_adds_and_deletes_from_32_writers(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = nfm_client(&server);
    let firsts = (0..WRITERS).map(|w| own(w, 0));
    let scope_id = scope_of(&client, firsts).await;
    let (c, id) = (client.clone(), scope_id.clone());
    let mut outcome = contend(CALLS - 1, move |w, i| {
        let (c, id) = (c.clone(), id.clone());
        async move {
            c.update_scope()
                .scope_id(id)
                .resources_to_add(target(own(w, i + 1)))
                .resources_to_delete(target(own(w, i)))
                .send()
                .await
                .map(|_| ())
                .map_err(code)
        }
    })
    .await;
    outcome.report("UpdateScope adding and deleting", kind);
    outcome.assert_none_failed("UpdateScope adds and deletes");
    let want: BTreeSet<u64> = (0..WRITERS).map(|w| own(w, CALLS - 1)).collect();
    assert_eq!(target_accounts(&client, &scope_id).await, want);
}

/// 990 targets and 32 writers adding one each: exactly 10 fit under the quota of 1000, the
/// others are refused with `ServiceQuotaExceededException`.
async fn update_scope_quota_stays_exact_under_contention(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = nfm_client(&server);
    let scope_id = scope_of(&client, 1..=990).await;
    let (c, id) = (client.clone(), scope_id.clone());
    let outcome = contend(1, move |w, i| {
        let (c, id) = (c.clone(), id.clone());
        async move {
            c.update_scope().scope_id(id).resources_to_add(target(own(w, i))).send().await.map(|_| ()).map_err(code)
        }
    })
    .await;
    let refused: Vec<&String> = outcome.errors.iter().filter(|c| *c == "ServiceQuotaExceededException").collect();
    assert_eq!(refused.len(), outcome.errors.len(), "only quota refusals: {:?}", outcome.errors);
    assert_eq!(outcome.errors.len(), 22, "32 adds, 10 fit");
    assert_eq!(target_accounts(&client, &scope_id).await.len(), 1000, "the quota is exact");
}

// ---------------------------------------------------------------------------------------------
// UpdatePackageScope (docs/opensearch.md)
// ---------------------------------------------------------------------------------------------

async fn update_package_scope_adds_from_32_writers(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let config = server
        .opensearch(ME)
        .config()
        .to_builder()
        .retry_config(aws_sdk_opensearch::config::retry::RetryConfig::disabled());
    let client = aws_sdk_opensearch::Client::from_conf(config.build());
    let source = PackageSource::builder().s3_bucket_name("bucket").s3_key("dict.txt").build();
    let created = client
        .create_package()
        .package_name("contended")
        .package_type(PackageType::TxtDictionary)
        .package_source(source)
        .package_vending_options(PackageVendingOptions::builder().vending_enabled(true).build().expect("vending"))
        .send()
        .await
        .expect("CreatePackage");
    let id = created.package_details().and_then(|d| d.package_id()).expect("packageId").to_owned();
    let (c, pid) = (client.clone(), id.clone());
    let mut outcome = contend(CALLS, move |w, i| {
        let (c, pid) = (c.clone(), pid.clone());
        async move {
            c.update_package_scope()
                .package_id(pid)
                .operation(PackageScopeOperationEnum::Add)
                .package_user_list(format!("{:012}", own(w, i)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.code().unwrap_or("no code").to_owned())
        }
    })
    .await;
    outcome.report("UpdatePackageScope adding distinct users", kind);
    outcome.assert_none_failed("UpdatePackageScope adds");
    let out = client.describe_packages().send().await.expect("DescribePackages");
    let users: BTreeSet<String> =
        out.package_details_list().iter().flat_map(|d| d.allow_listed_user_list().iter().cloned()).collect();
    assert_eq!(users.len(), (WRITERS * CALLS) as usize, "every user was added");
}

// ---------------------------------------------------------------------------------------------
// UpdateMacieSession and UpdateMemberSession (docs/macie.md)
// ---------------------------------------------------------------------------------------------

/// The administrator's 32 members, each paused and resumed by its own writer while the
/// administrator's session is changed by 32 more writers.
async fn macie_session_and_member_updates_from_32_writers(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let config =
        server.macie(ME).config().to_builder().retry_config(aws_sdk_macie2::config::retry::RetryConfig::disabled());
    let client = aws_sdk_macie2::Client::from_conf(config.build());
    client.enable_macie().send().await.expect("EnableMacie");
    for w in 0..WRITERS {
        let account = format!("{:012}", own(w, 0));
        let detail = AccountDetail::builder().account_id(&account).email(format!("m{w}@example.com")).build();
        client.create_member().account(detail).send().await.expect("CreateMember");
    }
    let c = client.clone();
    let members = contend(CALLS, move |w, i| {
        let c = c.clone();
        let status = if i % 2 == 0 { MacieStatus::Paused } else { MacieStatus::Enabled };
        async move {
            let account = format!("{:012}", own(w, 0));
            c.update_member_session().id(account).status(status).send().await.map(|_| ()).map_err(code)
        }
    });
    let c = client.clone();
    let sessions = contend(CALLS, move |w, i| {
        let c = c.clone();
        let frequency = match (w + i) % 3 {
            0 => FindingPublishingFrequency::FifteenMinutes,
            1 => FindingPublishingFrequency::OneHour,
            _ => FindingPublishingFrequency::SixHours,
        };
        async move {
            c.update_macie_session().finding_publishing_frequency(frequency).send().await.map(|_| ()).map_err(code)
        }
    });
    let (mut members, mut sessions) = tokio::join!(members, sessions);
    members.report("UpdateMemberSession, one member a writer", kind);
    sessions.report("UpdateMacieSession", kind);
    members.assert_none_failed("UpdateMemberSession");
    sessions.assert_none_failed("UpdateMacieSession");
    // Each writer's last call resumed its member (CALLS is even: the last `i` is odd).
    let mut members = Vec::new();
    let mut token = None;
    loop {
        let out = client.list_members().only_associated("true").set_next_token(token).send().await;
        let out = out.unwrap_or_else(|e| panic!("ListMembers: {e:?}"));
        members.extend(out.members().iter().cloned());
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(members.len(), WRITERS as usize);
    for member in &members {
        assert_eq!(member.relationship_status().map(|s| s.as_str()), Some("Enabled"), "{member:?}");
    }
}
