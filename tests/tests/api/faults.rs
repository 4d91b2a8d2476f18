//! Faults injected into every DynamoDB call of every operation (issue #10 item 7). Each
//! operation's success path (`round_trips::success_paths`) runs once clean, recording its n
//! DynamoDB calls, its answer and the reads that show the state it left. Then, for each fault
//! (throttling, a 500 from DynamoDB, a timed-out attempt, a dropped connection) and each of its
//! first, middle and last calls, a fresh case (its own accounts) runs the setup, meets the fault
//! on every attempt of that call (so the SDK's retries cannot hide it), and must answer 429
//! `ThrottlingException` or 500 `InternalServerException` (`InternalException` in OpenSearch)
//! in the AWS error shape, the cause logged under its request ID and never sent; then the same
//! request, retried without the fault, must answer what the clean run answered (generated IDs,
//! accounts and timestamps aside) and the reads must show the same state. A fault on the first
//! attempt only is absorbed by the SDK's retries: the request succeeds at once.

use std::sync::Arc;

use shared::{Operation, Service};

use crate::helpers::{Case, Fault, INJECTED, capture_logs, dynamo_store, logs_of};
use crate::round_trips::{Scenario, success_paths};

/// Cases running at once (DynamoDB Local shares the machine).
const CONCURRENT_CASES: usize = 12;

/// What a clean run of a scenario did.
struct Clean {
    calls: usize,
    answer: serde_json::Value,
    checks: Vec<serde_json::Value>,
}

async fn clean_run(table: &str, scenario: &Scenario) -> Clean {
    let mut case = Case::new(table);
    for step in &scenario.setup {
        case.run(step).await;
    }
    case.calls.reset();
    let answer = case.run(&scenario.test).await;
    let calls = case.calls.count();
    let answer = case.normalize(&answer);
    let mut checks = Vec::new();
    for step in &scenario.check {
        let read = case.run(step).await;
        checks.push(case.normalize(&read));
    }
    Clean { calls, answer, checks }
}

/// The error an operation of `service` answers for `fault`.
fn expected(fault: Fault, service: Service) -> (u16, &'static str) {
    match (fault, service) {
        (Fault::Throttle, _) => (429, "ThrottlingException"),
        (_, Service::OpenSearch) => (500, "InternalException"),
        _ => (500, "InternalServerException"),
    }
}

/// One case: `fault` on every attempt of call `at` (or on its first attempt only, `transient`).
async fn fault_case(table: String, scenario: Scenario, clean: Arc<Clean>, fault: Fault, at: usize, transient: bool) {
    let what = format!("{} with {fault:?} on call {at}{}", scenario.name, if transient { " (once)" } else { "" });
    let mut case = Case::new(&table);
    for step in &scenario.setup {
        case.run(step).await;
    }
    case.calls.reset();
    if transient {
        case.calls.fail_first_attempt(at, fault);
        let answer = case.run(&scenario.test).await;
        assert_eq!(case.calls.injected(), 1, "{what}: the fault was injected once");
        assert_eq!(case.normalize(&answer), clean.answer, "{what}: a retried attempt answers as a clean run");
    } else {
        case.calls.fail_call(at, fault);
        let answer = case.send(&scenario.test).await;
        let response = &answer.response;
        assert!(case.calls.injected() >= 1, "{what}: the fault was never injected");
        let (status, shape) = expected(fault, scenario.test.op.service());
        assert_eq!((response.status, response.error_type), (status, Some(shape)), "{what}: {}", answer.json);
        assert!(!response.request_id.is_empty(), "{what}: no request ID");
        let message = answer.json["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty() && !message.contains(INJECTED), "{what}: the message {message:?}");
        let logged = logs_of(&response.request_id);
        assert!(
            logged.iter().any(|line| line.text.contains(INJECTED)),
            "{what}: the cause is not logged under request ID {}: {logged:?}",
            response.request_id
        );
        case.calls.heal();
        let answer = case.run(&scenario.test).await;
        assert_eq!(case.normalize(&answer), clean.answer, "{what}: the retry answers as a clean run");
    }
    for (step, want) in scenario.check.iter().zip(&clean.checks) {
        let read = case.run(step).await;
        assert_eq!(&case.normalize(&read), want, "{what}: {:?} shows the state a clean run leaves", step.op);
    }
}

/// The call indices a fault is injected at: first, middle, last.
fn positions(calls: usize) -> Vec<usize> {
    let mut at = vec![0, calls / 2, calls.saturating_sub(1)];
    at.dedup();
    at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_fault_on_every_call_of_every_operation() {
    capture_logs();
    let started = std::time::Instant::now();
    let table = dynamo_store().await.table().to_owned();
    let scenarios = success_paths();
    assert_eq!(scenarios.len(), Operation::ALL.len());

    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CASES));
    let mut tasks = Vec::new();
    for scenario in scenarios {
        let clean = Arc::new(clean_run(&table, &scenario).await);
        assert!(clean.calls > 0, "{}: a success path with no DynamoDB call", scenario.name);
        for fault in Fault::ALL {
            let transient = (clean.calls / 2, true);
            for (at, transient) in positions(clean.calls).into_iter().map(|at| (at, false)).chain([transient]) {
                let name = format!("{} / {fault:?} / call {at}{}", scenario.name, if transient { " once" } else { "" });
                let (table, scenario, clean, permits) =
                    (table.clone(), scenario.clone(), clean.clone(), permits.clone());
                tasks.push((
                    name,
                    tokio::spawn(async move {
                        let _permit = permits.acquire_owned().await.expect("the semaphore is open");
                        fault_case(table, scenario, clean, fault, at, transient).await
                    }),
                ));
            }
        }
    }
    let total = tasks.len();
    let mut failed = Vec::new();
    for (name, task) in tasks {
        if let Err(error) = task.await {
            let why = error.try_into_panic().ok().and_then(|p| {
                p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            });
            failed.push(format!("{name}: {}", why.unwrap_or_else(|| "cancelled".into())));
        }
    }
    eprintln!(
        "faults: {total} fault cases over {} operations, {} passed, {} failed, in {:?}",
        Operation::ALL.len(),
        total - failed.len(),
        failed.len(),
        started.elapsed()
    );
    assert!(failed.is_empty(), "{} of {total} fault cases failed:\n{}", failed.len(), failed.join("\n"));
}
