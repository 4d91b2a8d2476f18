//! The time budget of one Lambda invocation, in one place: the DynamoDB client's timeouts and
//! retries, and the deadline that bounds all the store work of a request, inside the functions'
//! `Timeout` in `template.yaml` (Globals, 10 s; `tests/tests/api/template.rs` holds every
//! function's `Timeout` to at least [`invocation_worst_case`]).
//!
//! The arithmetic, worst cases:
//!
//! ```text
//! one attempt    connect ≤ 1 s and first byte ≤ 2 s, all of it ≤ ATTEMPT_TIMEOUT      = 2 s
//! one SDK call   MAX_ATTEMPTS × ATTEMPT_TIMEOUT + (MAX_ATTEMPTS − 1) × MAX_BACKOFF
//!                = 3 × 2 s + 2 × 0.2 s                                              = 6.4 s
//!                whatever else happens (a server-asked retry delay) ≤ OPERATION_TIMEOUT = 7 s
//! one request    every SDK call, the adapter's own retries and their sleeps,
//!                cut at REQUEST_DEADLINE (the request then answers 500)             ≤ 9 s
//! invocation     9 s + HEADROOM (read the event, write the answer: milliseconds) 1 s = 10 s
//!                = the template's Timeout
//! ```
//!
//! The deadline, not the call count, is what bounds the DynamoDB adapter's internal retries
//! (`MAX_UPDATE_ATTEMPTS` = 10 tries with up to 200 ms of backoff): UpdateScope is a GetItem and
//! up to 10 UpdateItems, 11 × 7 s + 10 × 0.2 s = 79 s; DeletePackage retries a transaction that
//! itself retries, 1 + 10 × 10 calls, over 700 s. Counting them call by call would leave under 90
//! ms per call, too little for DynamoDB's own retries, so they are cut at [`REQUEST_DEADLINE`]
//! instead. Every DynamoDB write is conditional and atomic, so a request cut between two calls
//! leaves the table as an SDK error between them would; the caller gets `InternalServerException`
//! (500), which the SDKs retry.
//!
//! A single call is capped below the deadline (7 s < 9 s), so a request that makes one call
//! (most operations) always answers with that call's own outcome: a throttled call is a 429
//! after its 3 attempts, a timed-out call a 500 with its cause logged. Backoffs are short on
//! purpose: the caller's SDK backs off again, longer, before its own retry.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;

use crate::error::ApiError;

/// The functions' `Timeout` in `template.yaml` this budget is written for.
pub const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Opening a connection to DynamoDB (TCP and TLS; milliseconds inside a Region).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// From sending a request to the first byte of its response.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// One attempt of an SDK call, connection, request and whole response included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts of one SDK call (the first and two retries), for throttling and transient errors.
pub const MAX_ATTEMPTS: u32 = 3;
/// Backoff before the first retry; doubled for each next one, jittered, at most [`MAX_BACKOFF`].
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(50);
/// The longest backoff between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_millis(200);
/// One SDK call, all its attempts and backoffs included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(7);
/// All the store work of one request: every SDK call and the adapter's own retries.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(9);
/// What an invocation spends outside [`REQUEST_DEADLINE`]: reading the event, answering.
pub const HEADROOM: Duration = Duration::from_secs(1);

/// The longest one SDK call takes with these settings before [`OPERATION_TIMEOUT`] would cap it:
/// every attempt timing out, the longest backoff between each two.
pub fn sdk_call_worst_case() -> Duration {
    ATTEMPT_TIMEOUT * MAX_ATTEMPTS + MAX_BACKOFF * (MAX_ATTEMPTS - 1)
}

/// The longest an invocation takes: its store work cut at the deadline, then the answer.
pub fn invocation_worst_case() -> Duration {
    REQUEST_DEADLINE + HEADROOM
}

/// The DynamoDB client's timeouts.
pub fn dynamodb_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The DynamoDB client's retries: standard mode (a retry costs from a token bucket, so a failing
/// DynamoDB is not hammered), [`MAX_ATTEMPTS`] attempts, jittered exponential backoff.
pub fn dynamodb_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

/// `work`, cut short at `deadline` if there is one: past it, the request answers
/// [`ApiError::Internal`] and the cut is logged (under the caller's span).
pub async fn within_deadline<T>(
    deadline: Option<Duration>,
    work: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let Some(deadline) = deadline else { return work.await };
    match tokio::time::timeout(deadline, work).await {
        Ok(outcome) => outcome,
        Err(_) => {
            tracing::error!(
                deadline_ms = deadline.as_millis() as u64,
                "request deadline passed: its store work was cut short"
            );
            Err(ApiError::Internal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arithmetic_fits_the_function_timeout() {
        // Each part of an attempt fits in the attempt.
        assert!(CONNECT_TIMEOUT <= ATTEMPT_TIMEOUT && READ_TIMEOUT <= ATTEMPT_TIMEOUT);
        // The retries fit in the operation timeout, so it only cuts what the settings do not
        // foresee (a server-requested delay). Counting MAX_BACKOFF for each backoff is an upper
        // bound: the last one, INITIAL_BACKOFF doubled MAX_ATTEMPTS - 2 times, is below it.
        assert_eq!(sdk_call_worst_case(), Duration::from_millis(6_400));
        assert!(sdk_call_worst_case() <= OPERATION_TIMEOUT);
        assert!(INITIAL_BACKOFF * 2u32.pow(MAX_ATTEMPTS - 2) <= MAX_BACKOFF);
        // One call ends before the deadline: a one-call request answers with the call's outcome.
        assert!(OPERATION_TIMEOUT < REQUEST_DEADLINE);
        // The whole request, then the answer, within the function's Timeout.
        assert!(!HEADROOM.is_zero());
        assert!(REQUEST_DEADLINE < FUNCTION_TIMEOUT);
        assert!(invocation_worst_case() <= FUNCTION_TIMEOUT);
    }

    #[test]
    fn the_sdk_settings_are_the_budget() {
        let timeouts = dynamodb_timeouts();
        assert_eq!(timeouts.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(timeouts.read_timeout(), Some(READ_TIMEOUT));
        assert_eq!(timeouts.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
        let retries = dynamodb_retries();
        assert_eq!(retries.max_attempts(), MAX_ATTEMPTS);
        assert_eq!(retries.initial_backoff(), INITIAL_BACKOFF);
        assert_eq!(retries.max_backoff(), MAX_BACKOFF);
    }

    #[tokio::test]
    async fn the_dynamodb_client_is_built_with_the_budget() {
        let (client, _) = crate::store::dynamodb::dynamodb_client(Some("http://127.0.0.1:9"), Some("us-east-1")).await;
        assert_eq!(client.config().timeout_config(), Some(&dynamodb_timeouts()));
        assert_eq!(client.config().retry_config(), Some(&dynamodb_retries()));
    }

    #[tokio::test]
    async fn work_past_the_deadline_answers_internal_error() {
        let cut = within_deadline(Some(Duration::from_millis(20)), std::future::pending::<Result<(), ApiError>>());
        assert_eq!(cut.await, Err(ApiError::Internal));
        let quick = within_deadline(Some(Duration::from_secs(5)), async { Ok::<_, ApiError>(7) });
        assert_eq!(quick.await, Ok(7));
        let unbounded = within_deadline(None, async { Err::<(), _>(ApiError::Throttling) });
        assert_eq!(unbounded.await, Err(ApiError::Throttling));
    }
}
