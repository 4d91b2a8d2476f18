//! Network Flow Monitor wire shapes, member names exactly as in the model (camelCase).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetIdentifierWire {
    /// A union: exactly one member, today only `accountId`. Kept raw so that an unknown or
    /// extra member is reported as such.
    pub target_id: serde_json::Map<String, serde_json::Value>,
    pub target_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResourceWire {
    pub target_identifier: TargetIdentifierWire,
    pub region: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateScopeInput {
    pub targets: Vec<TargetResourceWire>,
    #[serde(default)]
    pub client_token: Option<String>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateScopeInput {
    #[serde(default)]
    pub resources_to_add: Option<Vec<TargetResourceWire>>,
    #[serde(default)]
    pub resources_to_delete: Option<Vec<TargetResourceWire>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetIdOut<'a> {
    pub account_id: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetIdentifierOut<'a> {
    pub target_id: TargetIdOut<'a>,
    pub target_type: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResourceOut<'a> {
    pub target_identifier: TargetIdentifierOut<'a>,
    pub region: &'a str,
}

/// CreateScope, UpdateScope and GetScope output (GetScope adds `targets`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeOutput<'a> {
    pub scope_id: &'a str,
    pub status: &'static str,
    pub scope_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<TargetResourceOut<'a>>>,
    pub tags: &'a BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeSummaryOut<'a> {
    pub scope_id: &'a str,
    pub status: &'static str,
    pub scope_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListScopesOutput<'a> {
    pub scopes: Vec<ScopeSummaryOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceInput {
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceOutput<'a> {
    pub tags: &'a BTreeMap<String, String>,
}
