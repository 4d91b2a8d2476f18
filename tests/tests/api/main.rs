//! The integration tests, linked as one binary (`cargo test -p integration-tests --test api`):
//! one module a suite, and the harness they share in `helpers`. Filter by module to run one suite,
//! e.g. `--test api macie_e2e::` or `--test api nfm_conformance::dynamodb::`.

mod helpers;

// Store conformance: every port on both adapters.
mod macie_conformance;
mod nfm_conformance;
mod opensearch_conformance;

// End to end through the real AWS SDKs against the local server, on both stores.
mod macie_e2e;
mod nfm_e2e;
mod opensearch_e2e;

// Every service alike, through raw HTTP.
mod http_hardening;
mod json_objects;

// Faults injected into every DynamoDB call of every operation, and the calls each one makes.
mod faults;
mod round_trips;

// Hardening: property tests of every parser, and the real binary killed with SIGKILL mid-writes.
mod kill9;
mod parser_properties;
mod wire_client;

// Project checks.
mod batch_concurrency;
mod contention;
mod execute_api_signing;
mod lambda_events;
mod policies;
mod template;
