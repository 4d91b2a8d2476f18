//! Macie wire shapes, member names exactly as in the model (camelCase).
//!
//! Inputs keep required members optional so that a missing one is reported by name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// EnableMacie input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnableMacieInput {
    #[serde(default)]
    pub client_token: Option<String>,
    #[serde(default)]
    pub finding_publishing_frequency: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// UpdateMacieSession input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMacieSessionInput {
    #[serde(default)]
    pub finding_publishing_frequency: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// GetMacieSession output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMacieSessionOutput {
    pub created_at: String,
    pub finding_publishing_frequency: &'static str,
    pub service_role: String,
    pub status: &'static str,
    pub updated_at: String,
}

/// CreateMember's `account`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDetailWire {
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// CreateMember input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMemberInput {
    #[serde(default)]
    pub account: Option<AccountDetailWire>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

/// CreateMember output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMemberOutput {
    pub arn: String,
}

/// GetMember output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMemberOutput<'a> {
    pub account_id: &'a str,
    pub administrator_account_id: &'a str,
    pub arn: String,
    pub email: &'a str,
    pub invited_at: String,
    pub master_account_id: &'a str,
    pub relationship_status: &'static str,
    pub tags: &'a BTreeMap<String, String>,
    pub updated_at: String,
}

/// UpdateMemberSession input (the `id` label comes from the path).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMemberSessionInput {
    #[serde(default)]
    pub status: Option<String>,
}

/// One entry of BatchUpdateAutomatedDiscoveryAccounts' `accounts`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountUpdateWire {
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// BatchUpdateAutomatedDiscoveryAccounts input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchUpdateInput {
    #[serde(default)]
    pub accounts: Option<Vec<AccountUpdateWire>>,
}

/// One account whose status was not changed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountUpdateErrorOut<'a> {
    pub account_id: &'a str,
    pub error_code: &'static str,
}

/// BatchUpdateAutomatedDiscoveryAccounts output: `errors` is always present (docs/macie.md §9.2).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchUpdateOutput<'a> {
    pub errors: Vec<AccountUpdateErrorOut<'a>>,
}

/// One item of ListAutomatedDiscoveryAccounts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomatedDiscoveryAccountOut<'a> {
    pub account_id: &'a str,
    pub status: &'static str,
}

/// ListAutomatedDiscoveryAccounts output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAutomatedDiscoveryAccountsOutput<'a> {
    pub items: Vec<AutomatedDiscoveryAccountOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One member of ListMembers: exactly GetMember's members (docs/macie.md §12.2).
pub type MemberOut<'a> = GetMemberOutput<'a>;

/// ListMembers output: `members` is always present.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMembersOutput<'a> {
    pub members: Vec<MemberOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// GetAutomatedDiscoveryConfiguration output; each timestamp only once set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAutomatedDiscoveryConfigurationOutput {
    pub auto_enable_organization_members: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_enabled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_at: Option<String>,
    pub status: &'static str,
}

/// UpdateAutomatedDiscoveryConfiguration input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAutomatedDiscoveryConfigurationInput {
    #[serde(default)]
    pub auto_enable_organization_members: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// DisassociateMember input: no body members (the `id` label comes from the path). Parsed all the
/// same, so that a POST body that is not a JSON object is refused like anywhere else.
#[derive(Debug, Deserialize)]
pub struct DisassociateMemberInput {}
