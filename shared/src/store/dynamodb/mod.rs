//! The DynamoDB adapter: one table, string keys `pk` and `sk`.
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | scope | `ACCOUNT#<account>` | `SCOPE` | `scopeId` S, `targets` M (`<account>/<region>` → `true`), `tags` M, `version` N |
//! | CreateScope client token | `ACCOUNT#<account>` | `SCOPE_TOKEN#<token>` | `fingerprint` S, `scopeId` S, `expiresAt` N (the TTL attribute) |
//!
//! Keying the scope by its account makes "one scope per account" a condition on one item.
//! Every write is conditional and answers in one round trip; a failed condition is classified
//! from the item DynamoDB returns with it (`ReturnValuesOnConditionCheckFailure`), never by a
//! second read.

mod http;
mod item;
mod macie;
mod packages;

pub use self::http::{Connections, EXTRA_CA_FILE_VAR, TlsSetupError};

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, KeySchemaElement, KeyType, KeysAndAttributes,
    Put, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem,
};
use futures::{StreamExt, TryStreamExt};

use self::item::{Item, account_key, corrupt, get_n, get_s, n, s, tags, tags_value};
use super::{
    CreateOutcome, MAX_UPDATE_ATTEMPTS, Scope, ScopeStore, StoreError, TargetWrite, TokenRecord, replay, scope_named,
    tagged_scope, target_write,
};
use crate::budget;
use crate::common::{AccountId, MAX_TAGS, TagKeys, Tags};
use crate::nfm::domain::{TargetChanges, TargetSet};

/// The TTL attribute of expiring items.
pub const TTL_ATTRIBUTE: &str = "expiresAt";

const SCOPE_SK: &str = "SCOPE";

/// Keys per BatchGetItem call (the API's limit).
const BATCH_GET_KEYS: usize = 100;
/// BatchGetItem calls in flight at once for one read.
const BATCH_GET_CONCURRENCY: usize = 4;

/// The attributes a read returns: a projection expression and its attribute-name placeholders.
struct Projection {
    expression: &'static str,
    names: &'static [(&'static str, &'static str)],
}

impl Projection {
    fn attribute_names(&self) -> HashMap<String, String> {
        self.names.iter().map(|(placeholder, name)| ((*placeholder).to_owned(), (*name).to_owned())).collect()
    }
}

/// Builds a DynamoDB client from the AWS environment, at `endpoint` if given (DynamoDB Local),
/// in `region` if given, and returns it with the Region in force (`us-east-1` if none is
/// configured). Its timeouts and retries are the invocation budget's ([`crate::budget`]), set
/// on the client so that neither the environment nor a profile changes them. Against a loopback
/// endpoint with no credentials in the environment, dummy ones are used: DynamoDB Local accepts
/// any. For the local server and the tests: it reads the whole default chain (profiles too);
/// the Lambda functions use [`lambda_dynamodb_client`].
pub async fn dynamodb_client(endpoint: Option<&str>, region: Option<&str>) -> (Client, String) {
    let connections = Connections::from_env().unwrap_or_else(|error| {
        tracing::error!(%error, "the extra CA file is ignored");
        Connections::with_compiled_in_roots()
    });
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(connections.http_client());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
        let loopback = ["://localhost", "://127.", "://[::1]"].iter().any(|h| endpoint.contains(h));
        if loopback && std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(local_credentials());
        }
    }
    let config = loader.load().await;
    let region = config.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".to_owned());
    let config = aws_sdk_dynamodb::config::Builder::from(&config)
        .region(aws_sdk_dynamodb::config::Region::new(region.clone()))
        .timeout_config(budget::dynamodb_timeouts())
        .retry_config(budget::dynamodb_retries())
        .build();
    (Client::from_conf(config), region)
}

fn local_credentials() -> aws_sdk_dynamodb::config::Credentials {
    aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "dynamodb-local")
}

/// Why a Lambda function's DynamoDB client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    #[error("environment variable {0} is not set (Lambda sets it)")]
    Missing(&'static str),
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
}

/// Whether the Lambda client opens its connection during init: `SCOPES_PRIME_CONNECTION=false`
/// turns it off (the bench compares both).
pub const PRIME_CONNECTION_VAR: &str = "SCOPES_PRIME_CONNECTION";

/// A Lambda function's DynamoDB client, configured from what Lambda puts in the environment
/// and nothing else (no profile files, no SSO, STS or instance metadata): the Region from
/// `AWS_REGION` (else `AWS_DEFAULT_REGION`, else `us-east-1`), the role's credentials from
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` (dummy ones when
/// `endpoint` is given and they are not: DynamoDB Local), the budget's timeouts and retries.
/// TLS trusts the compiled-in roots (and `SCOPES_EXTRA_CA_FILE`'s), not the system store.
///
/// It then opens the connection the first request will use (within the connect timeout; a
/// failure is only logged, the request connects itself), unless `SCOPES_PRIME_CONNECTION=false`.
pub async fn lambda_dynamodb_client(endpoint: Option<&str>) -> Result<(Client, String), ClientSetupError> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".to_owned());
    let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => aws_sdk_dynamodb::config::Credentials::new(
            key,
            secret,
            var("AWS_SESSION_TOKEN"),
            None,
            "lambda-environment",
        ),
        _ if endpoint.is_some() => local_credentials(),
        (None, _) => return Err(ClientSetupError::Missing("AWS_ACCESS_KEY_ID")),
        (Some(_), None) => return Err(ClientSetupError::Missing("AWS_SECRET_ACCESS_KEY")),
    };
    let connections = Connections::from_env()?;
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new(region.clone()))
        .credentials_provider(credentials)
        .http_client(connections.http_client())
        .timeout_config(budget::dynamodb_timeouts())
        .retry_config(budget::dynamodb_retries());
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint);
    }
    let client = Client::from_conf(config.build());
    if var(PRIME_CONNECTION_VAR).is_none_or(|v| v != "false") {
        match regional_endpoint(endpoint, &region).await {
            Some(url) => {
                if let Err(error) = connections.prime(&url, budget::CONNECT_TIMEOUT).await {
                    tracing::warn!(%error, "could not open the DynamoDB connection at init");
                }
            }
            None => tracing::warn!(region, "no DynamoDB endpoint for the Region"),
        }
    }
    Ok((client, region))
}

/// The URL the client sends requests to: `endpoint` if given, else the Region's, as the SDK's
/// own endpoint rules resolve it.
async fn regional_endpoint(endpoint: Option<&str>, region: &str) -> Option<String> {
    use aws_sdk_dynamodb::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    if let Some(endpoint) = endpoint {
        return Some(endpoint.to_owned());
    }
    let params = Params::builder().region(region).build().ok()?;
    let resolved = DefaultResolver::new().resolve_endpoint(&params).await.ok()?;
    Some(resolved.url().to_owned())
}

pub struct DynamoStore {
    client: Client,
    table: String,
}

fn scope_key(account: &AccountId) -> Item {
    account_key(account, SCOPE_SK)
}

fn scope_item(scope: &Scope) -> Item {
    let mut item = scope_key(&scope.account);
    item.insert("scopeId".into(), s(&scope.scope_id));
    item.insert("targets".into(), targets_value(&scope.targets));
    item.insert("tags".into(), tags_value(&scope.tags));
    item.insert("version".into(), n(scope.version));
    item
}

/// A scope's targets: a map from each target's key to `true`, so that UpdateScope adds and
/// removes targets one map entry each, and concurrent writers of other targets do not meet.
fn targets_value(targets: &TargetSet) -> AttributeValue {
    AttributeValue::M(targets.keys().into_iter().map(|key| (key, AttributeValue::Bool(true))).collect())
}

fn scope_from_item(account: &AccountId, item: &Item) -> Result<Scope, StoreError> {
    let targets = match item.get("targets") {
        Some(AttributeValue::M(map)) => TargetSet::from_keys(map.keys().map(String::as_str)),
        _ => None,
    }
    .ok_or_else(|| corrupt("targets"))?;
    Ok(Scope {
        account: account.clone(),
        scope_id: get_s(item, "scopeId")?.to_owned(),
        targets,
        tags: tags(item, "tags")?,
        version: get_n(item, "version")? as u64,
    })
}

/// The scope `scope_id` in the item an UpdateItem returned with its failed condition
/// ([`StoreError::NotFound`] when the account has no scope, or another one).
fn returned_scope(account: &AccountId, old: Option<Item>, scope_id: &str) -> Result<Scope, StoreError> {
    scope_named(old.map(|item| scope_from_item(account, &item)).transpose()?, scope_id)
}

/// Why the table could not be created or used: what the local server says before it exits.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("cannot reach DynamoDB: {cause}")]
    Unreachable { cause: String },
    #[error("table {0} does not exist (create it with --create-table, or `local-api create-table`)")]
    Missing(String),
    #[error("DynamoDB refused the request: {code}: {message}")]
    Refused { code: String, message: String },
    #[error("could not build a DynamoDB request: {0}")]
    Build(String),
}

impl TableError {
    fn build(err: aws_sdk_dynamodb::error::BuildError) -> Self {
        Self::Build(err.to_string())
    }
}

/// The innermost cause of an error, e.g. `Connection refused (os error 111)`.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Throttling becomes [`StoreError::Throttled`]; a write that met a running transaction on its
/// item, [`StoreError::Contention`] (409, retry); anything else is a backend failure with its full
/// context (logged, never sent to the caller).
fn classify<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let context = DisplayErrorContext(&err).to_string();
    match err.code() {
        Some("ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded") => {
            StoreError::Throttled(context)
        }
        Some("TransactionConflictException") => StoreError::Contention,
        _ => StoreError::Backend(context),
    }
}

/// Whether a conditional write applied: `Ok(false)` when its condition failed, the classified
/// error for any other failure.
fn applied<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if err.code() == Some("ConditionalCheckFailedException") => Ok(false),
        Err(err) => Err(classify(err)),
    }
}

fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Backend(format!("could not build a DynamoDB request: {err}"))
}

/// The cancellation reason of transaction item `i`, if it was that item's condition that failed.
fn failed(reasons: &[CancellationReason], i: usize) -> Option<&CancellationReason> {
    reasons.get(i).filter(|r| r.code() == Some("ConditionalCheckFailed"))
}

/// Jittered exponential backoff between optimistic retries.
async fn backoff(attempt: u32) {
    let cap_ms = (4u64 << attempt.min(6)).min(200);
    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=cap_ms))).await;
}

/// The tag writes of TagResource (`SET tags.#k0 = :v0, …`) and UntagResource (`REMOVE tags.#k0,
/// …`), each with `ADD version :one`: one map entry per key, so concurrent writers of other keys
/// (and UpdateScope, which writes `targets`) are neither overwritten nor lost. Keys go in as
/// attribute-name placeholders, so any character is safe.
struct TagWrite {
    expression: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl TagWrite {
    fn set(tags: &Tags) -> Self {
        let mut write = Self::new();
        let mut clauses = Vec::with_capacity(tags.len());
        for (i, (key, value)) in tags.as_map().iter().enumerate() {
            clauses.push(format!("tags.#k{i} = :v{i}"));
            write.names.insert(format!("#k{i}"), key.clone());
            write.values.insert(format!(":v{i}"), s(value));
        }
        write.expression = format!("SET {} ADD version :one", clauses.join(", "));
        write
    }

    fn remove(keys: &TagKeys) -> Self {
        let mut write = Self::new();
        let mut paths = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            paths.push(format!("tags.#k{i}"));
            write.names.insert(format!("#k{i}"), key.to_owned());
        }
        write.expression = format!("REMOVE {} ADD version :one", paths.join(", "));
        write
    }

    fn new() -> Self {
        Self { expression: String::new(), names: HashMap::new(), values: HashMap::from([(":one".into(), n(1))]) }
    }
}

/// DynamoDB's limit on the length of one expression.
const MAX_EXPRESSION_BYTES: usize = 4096;

/// The expressions of UpdateScope's UpdateItem for a [`TargetWrite`]. Per target: `SET
/// targets.#a0 = :t` / `REMOVE targets.#r0`, conditioned on each named target's membership
/// (`attribute_not_exists(targets.#a0)`, …) and `size(targets) BETWEEN :min AND :max`; each
/// adds 1 to `version`. A request naming too many targets for that to fit in an expression
/// writes the whole set instead, conditioned on the version it was computed from.
struct TargetExpressions {
    update: String,
    condition: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl TargetExpressions {
    fn new(write: &TargetWrite, version: u64) -> Self {
        Self::per_target(write).unwrap_or_else(|| Self::whole(write, version))
    }

    fn per_target(write: &TargetWrite) -> Option<Self> {
        let mut names = HashMap::new();
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        let mut conditions = vec!["scopeId = :id".to_owned(), "size(targets) BETWEEN :min AND :max".to_owned()];
        let groups: [(&[String], &str); 4] = [
            (&write.add, "attribute_not_exists"),
            (&write.remove, "attribute_exists"),
            (&write.stay_present, "attribute_exists"),
            (&write.stay_absent, "attribute_not_exists"),
        ];
        for (group, (keys, check)) in groups.into_iter().enumerate() {
            for (i, key) in keys.iter().enumerate() {
                let name = format!("#t{group}_{i}");
                conditions.push(format!("{check}(targets.{name})"));
                match group {
                    0 => sets.push(format!("targets.{name} = :t")),
                    1 => removes.push(format!("targets.{name}")),
                    _ => {}
                }
                names.insert(name, key.clone());
            }
        }
        let mut update = String::new();
        if !sets.is_empty() {
            update.push_str(&format!("SET {} ", sets.join(", ")));
        }
        if !removes.is_empty() {
            update.push_str(&format!("REMOVE {} ", removes.join(", ")));
        }
        update.push_str("ADD version :one");
        let condition = conditions.join(" AND ");
        if update.len() > MAX_EXPRESSION_BYTES || condition.len() > MAX_EXPRESSION_BYTES {
            return None;
        }
        let mut values = HashMap::from([
            (":one".to_owned(), n(1)),
            (":min".to_owned(), n(write.min_size)),
            (":max".to_owned(), n(write.max_size)),
        ]);
        if !write.add.is_empty() {
            values.insert(":t".to_owned(), AttributeValue::Bool(true));
        }
        Some(Self { update, condition, names, values })
    }

    fn whole(write: &TargetWrite, version: u64) -> Self {
        Self {
            update: "SET targets = :targets ADD version :one".into(),
            condition: "scopeId = :id AND version = :version".into(),
            names: HashMap::new(),
            values: HashMap::from([
                (":targets".to_owned(), targets_value(&write.next.targets)),
                (":one".to_owned(), n(1)),
                (":version".to_owned(), n(version)),
            ]),
        }
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// Runs a transaction, retrying (with backoff) while it meets other transactions on its
    /// items. `Ok(None)` when it committed, `Ok(Some(reasons))` when a condition failed (one
    /// reason per item, with the item where `ReturnValuesOnConditionCheckFailure` asked for it).
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Option<Vec<CancellationReason>>, StoreError> {
        for attempt in 0..MAX_UPDATE_ATTEMPTS {
            let result = self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            let err = match result {
                Ok(_) => return Ok(None),
                Err(err) => err,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) = err.as_service_error() else {
                return Err(classify(err));
            };
            let reasons = cancel.cancellation_reasons();
            let codes: Vec<&str> = reasons.iter().filter_map(|r| r.code()).collect();
            if codes.contains(&"ConditionalCheckFailed") {
                return Ok(Some(reasons.to_vec()));
            }
            if codes.iter().any(|c| matches!(*c, "ThrottlingError" | "ProvisionedThroughputExceeded")) {
                return Err(StoreError::Throttled(format!("transaction cancelled: {codes:?}")));
            }
            if !codes.contains(&"TransactionConflict") {
                return Err(StoreError::Backend(format!("transaction cancelled: {codes:?}")));
            }
            // Another request is writing the same items right now: retry, and its outcome decides.
            backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    /// The item at `key`, strongly consistent.
    async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.item)
    }

    /// The items at `keys` (any number, [`BATCH_GET_KEYS`] per BatchGetItem, a few calls at
    /// once), strongly consistent, with only the attributes of `projection` if given; keys
    /// DynamoDB leaves unprocessed are asked again with backoff. In no particular order.
    async fn batch_get(&self, keys: Vec<Item>, projection: Option<&Projection>) -> Result<Vec<Item>, StoreError> {
        let batches: Vec<Vec<Item>> = futures::stream::iter(keys.chunks(BATCH_GET_KEYS).map(<[Item]>::to_vec))
            .map(|chunk| self.batch_get_chunk(chunk, projection))
            .buffer_unordered(BATCH_GET_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(batches.into_iter().flatten().collect())
    }

    /// One BatchGetItem of at most [`BATCH_GET_KEYS`] keys, and its retries.
    async fn batch_get_chunk(&self, keys: Vec<Item>, projection: Option<&Projection>) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut pending = keys;
        for attempt in 0..MAX_UPDATE_ATTEMPTS {
            let mut request = KeysAndAttributes::builder().set_keys(Some(pending)).consistent_read(true);
            if let Some(projection) = projection {
                request = request
                    .projection_expression(projection.expression)
                    .set_expression_attribute_names(Some(projection.attribute_names()));
            }
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request.build().map_err(build_error)?)
                .send()
                .await
                .map_err(classify)?;
            if let Some(found) = out.responses().and_then(|r| r.get(&self.table)) {
                items.extend(found.iter().cloned());
            }
            pending =
                out.unprocessed_keys().and_then(|u| u.get(&self.table)).map(|k| k.keys().to_vec()).unwrap_or_default();
            if pending.is_empty() {
                return Ok(items);
            }
            backoff(attempt).await;
        }
        Err(StoreError::Throttled(format!("BatchGetItem left {} keys unprocessed", pending.len())))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table (on-demand, TTL on [`TTL_ATTRIBUTE`]) if it does not exist, and waits
    /// until it is active. The same definition as `template.yaml`'s.
    pub async fn create_table(&self) -> Result<(), TableError> {
        let attr = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attr("pk").map_err(TableError::build)?)
            .attribute_definitions(attr("sk").map_err(TableError::build)?)
            .key_schema(key("pk", KeyType::Hash).map_err(TableError::build)?)
            .key_schema(key("sk", KeyType::Range).map_err(TableError::build)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(err) if err.code() == Some("ResourceInUseException") => return Ok(()),
            Err(err) => return Err(self.table_error(&err)),
        }
        for _ in 0..120 {
            let table =
                self.client.describe_table().table_name(&self.table).send().await.map_err(|e| self.table_error(&e))?;
            let status = table.table().and_then(|t| t.table_status()).map(|s| s.as_str().to_owned());
            if status.as_deref() == Some("ACTIVE") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let ttl = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(TTL_ATTRIBUTE)
            .build()
            .map_err(TableError::build)?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| self.table_error(&e))?;
        Ok(())
    }

    /// Whether the table exists and answers: the start-up check of the local server.
    pub async fn check_table(&self) -> Result<(), TableError> {
        match self.client.describe_table().table_name(&self.table).send().await {
            Ok(_) => Ok(()),
            Err(err) if err.code() == Some("ResourceNotFoundException") => Err(TableError::Missing(self.table.clone())),
            Err(err) => Err(self.table_error(&err)),
        }
    }

    /// A failed table call in one line a person can act on, never the SDK's debug form.
    fn table_error<E: ProvideErrorMetadata, R>(&self, err: &SdkError<E, R>) -> TableError {
        match err {
            SdkError::DispatchFailure(failure) => TableError::Unreachable {
                cause: failure.as_connector_error().map(|e| root_cause(e)).unwrap_or_else(|| "no connection".into()),
            },
            SdkError::TimeoutError(_) => TableError::Unreachable { cause: "no answer in time".into() },
            _ => TableError::Refused {
                code: err.code().unwrap_or("unknown error").to_owned(),
                message: err.message().unwrap_or("no message").to_owned(),
            },
        }
    }

    /// Sends an UpdateItem, retrying while it meets a transaction on its item. `Ok(Ok(out))`
    /// when it applied; `Ok(Err(old))` when its condition failed, with the item as it was
    /// (`None`: there is no such package).
    async fn send_update(
        &self,
        request: UpdateItemFluentBuilder,
    ) -> Result<Result<UpdateItemOutput, Option<Item>>, StoreError> {
        for attempt in 0..MAX_UPDATE_ATTEMPTS {
            match request.clone().send().await {
                Ok(out) => return Ok(Ok(out)),
                Err(err) => match err.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(e)) => return Ok(Err(e.item().cloned())),
                    Some(UpdateItemError::TransactionConflictException(_)) => backoff(attempt).await,
                    _ => return Err(classify(err)),
                },
            }
        }
        Err(StoreError::Contention)
    }

    /// A transaction Put of `item`, which must not exist yet.
    fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn put(&self, item: Item, condition: &str) -> aws_sdk_dynamodb::types::builders::PutBuilder {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    }

    async fn create_without_token(&self, scope: &Scope) -> Result<CreateOutcome, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(scope_item(scope)))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(CreateOutcome::Created),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(e)) => {
                    let existing = e.item().map(|item| get_s(item, "scopeId")).transpose()?.unwrap_or_default();
                    Err(StoreError::ScopeExists(existing.to_owned()))
                }
                _ => Err(classify(err)),
            },
        }
    }

    /// The scope and its token in one transaction: both are written, or neither.
    async fn create_with_token(
        &self,
        scope: &Scope,
        token: &TokenRecord,
        now: i64,
    ) -> Result<CreateOutcome, StoreError> {
        let mut token_item = account_key(&scope.account, format!("SCOPE_TOKEN#{}", token.token));
        token_item.insert("fingerprint".into(), s(&token.fingerprint));
        token_item.insert("scopeId".into(), s(&token.scope_id));
        token_item.insert(TTL_ATTRIBUTE.into(), n(token.expires_at));
        let put_scope = self.put(scope_item(scope), "attribute_not_exists(pk)").build().map_err(build_error)?;
        // An expired token is forgotten even before TTL deletes it: the negation of `token_live`.
        let put_token = self
            .put(token_item, "attribute_not_exists(pk) OR expiresAt <= :now")
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().put(put_scope).build(),
            TransactWriteItem::builder().put(put_token).build(),
        ];
        let Some(reasons) = self.transact(items).await? else { return Ok(CreateOutcome::Created) };
        if let Some(existing) = failed(&reasons, 1).and_then(|r| r.item()) {
            return replay(token, get_s(existing, "fingerprint")?, get_s(existing, "scopeId")?);
        }
        match failed(&reasons, 0).and_then(|r| r.item()) {
            Some(existing) => Err(StoreError::ScopeExists(get_s(existing, "scopeId")?.to_owned())),
            None => Err(StoreError::Backend("transaction condition failed without the item".into())),
        }
    }
}

#[async_trait]
impl ScopeStore for DynamoStore {
    async fn create_scope(
        &self,
        scope: &Scope,
        token: Option<&TokenRecord>,
        now: i64,
    ) -> Result<CreateOutcome, StoreError> {
        match token {
            None => self.create_without_token(scope).await,
            Some(token) => self.create_with_token(scope, token, now).await,
        }
    }

    async fn get_scope(&self, account: &AccountId) -> Result<Option<Scope>, StoreError> {
        self.get(scope_key(account)).await?.map(|item| scope_from_item(account, &item)).transpose()
    }

    /// A read, then one conditional UpdateItem (docs/network-flow-monitor.md §3): see
    /// [`TargetExpressions`]. Its condition fails only when a target this request names changed,
    /// or the size bounds broke; then the item returned with the failure is the new `current`.
    async fn update_scope(
        &self,
        account: &AccountId,
        scope_id: &str,
        changes: &TargetChanges,
    ) -> Result<Scope, StoreError> {
        let mut current = scope_named(self.get_scope(account).await?, scope_id)?;
        for attempt in 0..MAX_UPDATE_ATTEMPTS {
            let Some(write) = target_write(&current, changes)? else { return Ok(current) };
            let expressions = TargetExpressions::new(&write, current.version);
            let mut request = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(scope_key(account)))
                .update_expression(expressions.update)
                .condition_expression(expressions.condition)
                .set_expression_attribute_values(Some(expressions.values))
                .expression_attribute_values(":id", s(scope_id))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
            if !expressions.names.is_empty() {
                request = request.set_expression_attribute_names(Some(expressions.names));
            }
            match self.send_update(request).await? {
                Ok(out) => return scope_from_item(account, out.attributes().ok_or_else(|| corrupt("update result"))?),
                Err(old) => {
                    current = returned_scope(account, old, scope_id)?;
                    if attempt > 0 {
                        backoff(attempt).await;
                    }
                }
            }
        }
        Err(StoreError::Contention)
    }

    /// One UpdateItem that sets the tags, guarded so that the scope cannot pass 200 tags whatever
    /// its keys: `size(tags) <= 200 - n`. Only when that guard fails is the exact outcome decided,
    /// from the item returned with the failure: over 200 is refused, else the write is repeated
    /// conditioned on that item's version (and again, from each newer item, while others win).
    async fn tag_scope(&self, account: &AccountId, scope_id: &str, tags: &Tags) -> Result<Scope, StoreError> {
        if tags.is_empty() {
            return scope_named(self.get_scope(account).await?, scope_id);
        }
        let write = TagWrite::set(tags);
        let room = MAX_TAGS.saturating_sub(tags.len());
        let mut expected_version: Option<u64> = None;
        for attempt in 0..MAX_UPDATE_ATTEMPTS {
            let request = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(scope_key(account)))
                .update_expression(&write.expression)
                .set_expression_attribute_names(Some(write.names.clone()))
                .set_expression_attribute_values(Some(write.values.clone()))
                .expression_attribute_values(":id", s(scope_id))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
            let request = match expected_version {
                None => request
                    .condition_expression("scopeId = :id AND size(tags) <= :room")
                    .expression_attribute_values(":room", n(room)),
                Some(version) => request
                    .condition_expression("scopeId = :id AND version = :version")
                    .expression_attribute_values(":version", n(version)),
            };
            match self.send_update(request).await? {
                Ok(out) => return scope_from_item(account, out.attributes().ok_or_else(|| corrupt("tag result"))?),
                Err(old) => {
                    let current = returned_scope(account, old, scope_id)?;
                    // Over the cap for real: refuse. Else the guard was only conservative (keys
                    // already there) or someone wrote in between: retry on this exact version.
                    tagged_scope(&current, tags)?;
                    if expected_version.is_some() {
                        backoff(attempt).await;
                    }
                    expected_version = Some(current.version);
                }
            }
        }
        Err(StoreError::Contention)
    }

    /// One UpdateItem that removes the keys, conditioned only on the scope being there.
    async fn untag_scope(&self, account: &AccountId, scope_id: &str, keys: &TagKeys) -> Result<Scope, StoreError> {
        if keys.is_empty() {
            return scope_named(self.get_scope(account).await?, scope_id);
        }
        let write = TagWrite::remove(keys);
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(scope_key(account)))
            .update_expression(&write.expression)
            .set_expression_attribute_names(Some(write.names))
            .set_expression_attribute_values(Some(write.values))
            .condition_expression("scopeId = :id")
            .expression_attribute_values(":id", s(scope_id))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match self.send_update(request).await? {
            Ok(out) => scope_from_item(account, out.attributes().ok_or_else(|| corrupt("untag result"))?),
            Err(old) => {
                // The only condition is the scope's ID: the scope named is not there.
                returned_scope(account, old, scope_id)?;
                Err(StoreError::Backend("the untag condition failed on the scope it names".into()))
            }
        }
    }

    async fn delete_scope(&self, account: &AccountId, scope_id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(scope_key(account)))
            .condition_expression("scopeId = :id")
            .expression_attribute_values(":id", s(scope_id))
            .send()
            .await;
        if applied(result)? { Ok(()) } else { Err(StoreError::NotFound) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_tag_writes_fit_in_one_expression() {
        let keys: Vec<String> = (0..MAX_TAGS).map(|i| format!("{i:0>128}")).collect();
        let tags = Tags::from_stored(keys.iter().map(|k| (k.clone(), "v".repeat(256))).collect());
        let set = TagWrite::set(&tags);
        assert!(set.expression.len() < MAX_EXPRESSION_BYTES, "{} bytes", set.expression.len());
        assert!(set.expression.starts_with("SET tags.#k0 = :v0, tags.#k1 = :v1, "));
        assert!(set.expression.ends_with("tags.#k199 = :v199 ADD version :one"));
        assert_eq!((set.names.len(), set.values.len()), (200, 201));

        let remove = TagWrite::remove(&TagKeys::parse("tagKeys", keys.iter().map(String::as_str)).unwrap());
        assert!(remove.expression.len() < MAX_EXPRESSION_BYTES);
        assert!(remove.expression.starts_with("REMOVE tags.#k0, tags.#k1, "));
        assert_eq!(remove.names.len(), 200);
    }

    #[test]
    fn tag_keys_travel_as_placeholders() {
        let tags = Tags::from_stored([("a.b #:c".to_owned(), "v".to_owned())].into());
        let set = TagWrite::set(&tags);
        assert_eq!(set.expression, "SET tags.#k0 = :v0 ADD version :one");
        assert_eq!(set.names["#k0"], "a.b #:c");
        assert_eq!(set.values[":v0"], s("v"));
    }

    fn scope_of(accounts: std::ops::Range<u64>) -> Scope {
        let keys: Vec<String> = accounts.map(|a| format!("{a:012}/us-east-1")).collect();
        Scope {
            account: AccountId::parse("111122223333").expect("account"),
            scope_id: "s".into(),
            targets: TargetSet::from_keys(keys.iter().map(String::as_str)).expect("targets"),
            tags: Tags::default(),
            version: 3,
        }
    }

    fn changes(add: std::ops::Range<u64>, delete: std::ops::Range<u64>) -> TargetChanges {
        TargetChanges { add: scope_of(add).targets, delete: scope_of(delete).targets }
    }

    #[test]
    fn a_target_update_names_each_target_it_depends_on() {
        let write = target_write(&scope_of(0..3), &changes(2..4, 0..1)).unwrap().expect("a change");
        let e = TargetExpressions::new(&write, 3);
        assert_eq!(e.update, "SET targets.#t0_0 = :t REMOVE targets.#t1_0 ADD version :one");
        assert_eq!(
            e.condition,
            "scopeId = :id AND size(targets) BETWEEN :min AND :max AND attribute_not_exists(targets.#t0_0) \
             AND attribute_exists(targets.#t1_0) AND attribute_exists(targets.#t2_0)"
        );
        assert_eq!(e.names["#t0_0"], "000000000003/us-east-1");
        assert_eq!((e.values[":min"].clone(), e.values[":max"].clone()), (n(1), n(1000)));
    }

    #[test]
    fn a_target_update_too_large_for_an_expression_writes_the_whole_set_at_its_version() {
        let write = target_write(&scope_of(0..500), &changes(500..1000, 0..400)).unwrap().expect("a change");
        let e = TargetExpressions::new(&write, 3);
        assert_eq!(e.condition, "scopeId = :id AND version = :version");
        assert_eq!(e.values[":version"], n(3));
        assert!(matches!(&e.values[":targets"], AttributeValue::M(m) if m.len() == 600));
    }
}
