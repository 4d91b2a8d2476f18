//! BatchUpdateAutomatedDiscoveryAccounts runs its entries' writes concurrently (docs/macie.md §9.4): with a
//! simulated network round trip in front of DynamoDB Local, all 100 conditional writes of a full
//! batch are in flight at once, so the batch costs about one round trip of wall time plus the
//! session read, not 100. The assertion is on the number of writes in flight, never on timing;
//! the wall times are printed (`-- --nocapture`) as a measurement.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use shared::ApiRequest;
use shared::common::AccountId;
use shared::operations::dispatch;
use shared::{App, Operation};

use crate::helpers::{REGION, dynamo_store, dynamo_store_on, is_marked, mark_update_item};

/// The simulated network round trip added to every DynamoDB call.
const ROUND_TRIP: Duration = Duration::from_millis(150);

/// Adds [`ROUND_TRIP`] before every request reaches DynamoDB Local.
#[derive(Debug)]
struct SlowNetwork(SharedHttpClient);

#[derive(Debug)]
struct SlowConnector(SharedHttpConnector);

impl HttpConnector for SlowConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.0.clone();
        HttpConnectorFuture::new(async move {
            tokio::time::sleep(ROUND_TRIP).await;
            inner.call(request).await
        })
    }
}

impl HttpClient for SlowNetwork {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(SlowConnector(self.0.http_connector(settings, components)))
    }
}

/// Counts UpdateItem calls between transmit and completion, and the most seen at once.
#[derive(Debug, Clone, Default)]
struct InFlight {
    now: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Intercept for InFlight {
    fn name(&self) -> &'static str {
        "InFlight"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        mark_update_item(context, cfg, |_| true);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if is_marked(cfg) {
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if is_marked(cfg) {
            self.now.fetch_sub(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

async fn call(app: &App, operation: Operation, account: &str, body: serde_json::Value) -> serde_json::Value {
    let request = ApiRequest {
        request_id: "batch-concurrency".into(),
        caller: AccountId::parse(account),
        body: body.to_string().into_bytes(),
        ..Default::default()
    };
    let response = dispatch(app, operation, request).await;
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(response.status, 200, "{operation:?}: {body}");
    body
}

fn batch_of(accounts: &[String], status: &str) -> serde_json::Value {
    let entries: Vec<_> = accounts.iter().map(|a| serde_json::json!({"accountId": a, "status": status})).collect();
    serde_json::json!({ "accounts": entries })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_batch_has_all_its_writes_in_flight_at_once() {
    let admin = "400000000001";
    let plain = dynamo_store().await;
    let table = plain.table().to_owned();
    let setup = App::new(Arc::new(plain), REGION);
    call(&setup, Operation::EnableMacie, admin, serde_json::json!({})).await;
    let members: Vec<String> = (2..=101).map(|i| format!("{:012}", 400_000_000_000u64 + i)).collect();
    for member in &members {
        let body = serde_json::json!({"account": {"accountId": member, "email": "m@example.com"}});
        call(&setup, Operation::CreateMember, admin, body).await;
    }

    let in_flight = InFlight::default();
    // DynamoDB Local speaks plain HTTP on loopback.
    let network = aws_smithy_http_client::Builder::new().build_http();
    let slow = dynamo_store_on(&table, |c| c.http_client(SlowNetwork(network)).interceptor(in_flight.clone()));
    let app = App::new(Arc::new(slow), REGION);

    let started = Instant::now();
    let out =
        call(&app, Operation::BatchUpdateAutomatedDiscoveryAccounts, admin, batch_of(&members[..1], "ENABLED")).await;
    let single = started.elapsed();
    assert_eq!(out["errors"], serde_json::json!([]));
    assert_eq!(in_flight.peak.load(Ordering::SeqCst), 1);

    let started = Instant::now();
    let out = call(&app, Operation::BatchUpdateAutomatedDiscoveryAccounts, admin, batch_of(&members, "ENABLED")).await;
    let full = started.elapsed();
    assert_eq!(out["errors"], serde_json::json!([]));
    assert_eq!(in_flight.now.load(Ordering::SeqCst), 0, "every write completed");
    assert_eq!(
        in_flight.peak.load(Ordering::SeqCst),
        100,
        "the 100 conditional writes of a full batch are issued together, not one after another"
    );
    eprintln!(
        "BatchUpdateAutomatedDiscoveryAccounts with a {ROUND_TRIP:?} round trip to DynamoDB Local: \
         1 entry {single:?}, 100 entries {full:?} (one after another would be at least {:?})",
        ROUND_TRIP * 101
    );
}
