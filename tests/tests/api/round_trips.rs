//! The DynamoDB calls each operation makes, held to the README's table "DynamoDB calls per
//! operation": every scenario below (an operation's success path or one of its main failure
//! paths) runs against DynamoDB Local through a client that records each call's name, and the
//! recorded sequence must be exactly its row's. The table is parsed from README.md, and every
//! row must have its scenario and every scenario its row, so neither can change alone; a
//! mismatch prints the row as the code makes it today.
//!
//! The scenarios named after an operation alone (`GetScope`) are its success path: the `faults`
//! suite injects its faults into each of their calls.

use crate::helpers::{Case, Step, dynamo_store, step};
use shared::Operation as Op;

/// An operation's request after its setup, with the reads that show the state it left.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its row in the README's table.
    pub name: &'static str,
    pub setup: Vec<Step>,
    pub test: Step,
    /// Reads whose answers show the state `test` left (for the faults suite).
    pub check: Vec<Step>,
}

fn scenario(name: &'static str, setup: Vec<Step>, test: Step, check: Vec<Step>) -> Scenario {
    Scenario { name, setup, test, check }
}

fn target(account: &str, region: &str) -> serde_json::Value {
    serde_json::json!({"targetIdentifier": {"targetId": {"accountId": account}, "targetType": "ACCOUNT"}, "region": region})
}

const TOKEN: &str = "7d3c1b2a-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const UNKNOWN_SCOPE: &str = "00000000-0000-4000-8000-000000000000";
const UNKNOWN_PACKAGE: &str = "pkg-0123456789abcdef0123";
const SCOPE_ARN: &str = "arn:aws:networkflowmonitor:us-east-1:{a0}:scope/{scope}";

fn null() -> serde_json::Value {
    serde_json::Value::Null
}

fn create_scope() -> Step {
    step(Op::CreateScope, 0, serde_json::json!({"targets": [target("{a0}", "us-east-1")]})).capture("/scopeId", "scope")
}

fn get_scope() -> Step {
    step(Op::GetScope, 0, null()).label("scopeId", "{scope}")
}

fn list_scopes() -> Step {
    step(Op::ListScopes, 0, null())
}

fn tag(tags: serde_json::Value) -> Step {
    step(Op::TagResource, 0, serde_json::json!({ "tags": tags })).label("resourceArn", SCOPE_ARN)
}

fn list_tags() -> Step {
    step(Op::ListTagsForResource, 0, null()).label("resourceArn", SCOPE_ARN)
}

fn create_package(vending: bool) -> Step {
    step(
        Op::CreatePackage,
        0,
        serde_json::json!({
            "PackageName": "words",
            "PackageType": "TXT-DICTIONARY",
            "PackageSource": {"S3BucketName": "a-bucket", "S3Key": "words.txt"},
            "PackageVendingOptions": {"VendingEnabled": vending},
        }),
    )
    .capture("/PackageDetails/PackageID", "pkg")
}

fn package_scope(operation: &str, users: &[&str]) -> Step {
    step(
        Op::UpdatePackageScope,
        0,
        serde_json::json!({"PackageID": "{pkg}", "Operation": operation, "PackageUserList": users}),
    )
}

fn describe_as(caller: usize) -> Step {
    step(Op::DescribePackages, caller, null())
}

fn history() -> Step {
    step(Op::GetPackageVersionHistory, 0, null()).label("PackageID", "{pkg}")
}

fn enable() -> Step {
    step(Op::EnableMacie, 0, null())
}

fn session() -> Step {
    step(Op::GetMacieSession, 0, null())
}

fn create_member() -> Step {
    step(Op::CreateMember, 0, serde_json::json!({"account": {"accountId": "{a1}", "email": "ops@example.com"}}))
}

fn get_member() -> Step {
    step(Op::GetMember, 0, null()).label("id", "{a1}")
}

fn all_members() -> Step {
    step(Op::ListMembers, 0, null()).query("onlyAssociated=false")
}

fn discovery_accounts() -> Step {
    step(Op::ListAutomatedDiscoveryAccounts, 0, null())
}

fn configuration() -> Step {
    step(Op::GetAutomatedDiscoveryConfiguration, 0, null())
}

/// Every scenario, in the README table's order.
pub fn scenarios() -> Vec<Scenario> {
    let add_target = |account: &str| serde_json::json!({"resourcesToAdd": [target(account, "eu-west-1")]});
    vec![
        // Network Flow Monitor
        scenario("CreateScope", vec![], create_scope(), vec![list_scopes()]),
        scenario(
            "CreateScope, with a client token",
            vec![],
            step(
                Op::CreateScope,
                0,
                serde_json::json!({"targets": [target("{a0}", "us-east-1")], "clientToken": TOKEN}),
            ),
            vec![list_scopes()],
        ),
        scenario("CreateScope, the account has a scope", vec![create_scope()], create_scope().status(409), vec![]),
        scenario(
            "UpdateScope",
            vec![create_scope()],
            step(Op::UpdateScope, 0, add_target("{a1}")).label("scopeId", "{scope}"),
            vec![get_scope()],
        ),
        scenario(
            "UpdateScope, no change",
            vec![create_scope()],
            step(Op::UpdateScope, 0, serde_json::json!({"resourcesToAdd": [target("{a0}", "us-east-1")]}))
                .label("scopeId", "{scope}"),
            vec![],
        ),
        scenario(
            "UpdateScope, unknown scope",
            vec![],
            step(Op::UpdateScope, 0, add_target("{a1}")).label("scopeId", UNKNOWN_SCOPE).status(404),
            vec![],
        ),
        scenario("GetScope", vec![create_scope()], get_scope(), vec![]),
        scenario("GetScope, unknown scope", vec![], get_scope().label("scopeId", UNKNOWN_SCOPE).status(404), vec![]),
        scenario("ListScopes", vec![create_scope()], list_scopes(), vec![]),
        scenario(
            "DeleteScope",
            vec![create_scope()],
            step(Op::DeleteScope, 0, null()).label("scopeId", "{scope}"),
            vec![list_scopes()],
        ),
        scenario(
            "DeleteScope, unknown scope",
            vec![],
            step(Op::DeleteScope, 0, null()).label("scopeId", UNKNOWN_SCOPE).status(404),
            vec![],
        ),
        scenario("TagResource", vec![create_scope()], tag(serde_json::json!({"team": "net"})), vec![list_tags()]),
        scenario("TagResource, no tags", vec![create_scope()], tag(serde_json::json!({})), vec![]),
        scenario(
            "UntagResource",
            vec![create_scope(), tag(serde_json::json!({"team": "net", "env": "prod"}))],
            step(Op::UntagResource, 0, null()).label("resourceArn", SCOPE_ARN).query("tagKeys=team"),
            vec![list_tags()],
        ),
        scenario(
            "ListTagsForResource",
            vec![create_scope(), tag(serde_json::json!({"team": "net"}))],
            list_tags(),
            vec![],
        ),
        scenario(
            "ListTagsForResource, another account's ARN",
            vec![],
            step(Op::ListTagsForResource, 0, null())
                .label("resourceArn", &format!("arn:aws:networkflowmonitor:us-east-1:{{a1}}:scope/{UNKNOWN_SCOPE}"))
                .status(404),
            vec![],
        ),
        // OpenSearch packages
        scenario("CreatePackage", vec![], create_package(true), vec![describe_as(0)]),
        scenario(
            "CreatePackage, the name is taken",
            vec![create_package(true)],
            create_package(true).status(409),
            vec![],
        ),
        scenario(
            "UpdatePackageScope",
            vec![create_package(true)],
            package_scope("ADD", &["{a1}", "{a2}"]),
            vec![describe_as(0), describe_as(1), describe_as(2)],
        ),
        scenario(
            "UpdatePackageScope, ADD of users already there",
            vec![create_package(true), package_scope("ADD", &["{a1}"])],
            package_scope("ADD", &["{a1}"]),
            vec![],
        ),
        scenario(
            "UpdatePackageScope, REMOVE",
            vec![create_package(true), package_scope("ADD", &["{a1}", "{a2}"])],
            package_scope("REMOVE", &["{a1}"]),
            vec![],
        ),
        scenario(
            "UpdatePackageScope, OVERRIDE",
            vec![create_package(true), package_scope("ADD", &["{a1}"])],
            package_scope("OVERRIDE", &["{a2}"]),
            vec![],
        ),
        scenario("UpdatePackageScope, empty list", vec![create_package(true)], package_scope("ADD", &[]), vec![]),
        scenario(
            "UpdatePackageScope, vending off",
            vec![create_package(false)],
            package_scope("ADD", &["{a1}"]).status(409),
            vec![],
        ),
        scenario(
            "DescribePackages",
            vec![create_package(true), package_scope("ADD", &["{a1}"])],
            describe_as(1),
            vec![],
        ),
        scenario("DescribePackages, own packages only", vec![create_package(true)], describe_as(0), vec![]),
        scenario(
            "DeletePackage",
            vec![create_package(true), package_scope("ADD", &["{a1}"])],
            step(Op::DeletePackage, 0, null()).label("PackageID", "{pkg}"),
            vec![describe_as(0), describe_as(1)],
        ),
        scenario(
            "DeletePackage, unknown package",
            vec![],
            step(Op::DeletePackage, 0, null()).label("PackageID", UNKNOWN_PACKAGE).status(409),
            vec![],
        ),
        scenario(
            "UpdatePackage",
            vec![create_package(true)],
            step(
                Op::UpdatePackage,
                0,
                serde_json::json!({
                    "PackageID": "{pkg}",
                    "PackageSource": {"S3BucketName": "a-bucket", "S3Key": "words-2.txt"},
                    "CommitMessage": "second",
                }),
            ),
            vec![history()],
        ),
        scenario("GetPackageVersionHistory", vec![create_package(true)], history(), vec![]),
        // Macie
        scenario("EnableMacie", vec![], enable(), vec![session()]),
        scenario("EnableMacie, already enabled", vec![enable()], enable().status(409), vec![]),
        scenario("GetMacieSession", vec![enable()], session(), vec![]),
        scenario("GetMacieSession, not enabled", vec![], session().status(403), vec![]),
        scenario(
            "UpdateMacieSession",
            vec![enable()],
            step(Op::UpdateMacieSession, 0, serde_json::json!({"status": "PAUSED"})),
            vec![session()],
        ),
        scenario("CreateMember", vec![enable()], create_member(), vec![get_member()]),
        scenario(
            "CreateMember, already a member",
            vec![enable(), create_member()],
            create_member().status(409),
            vec![],
        ),
        scenario("GetMember", vec![enable(), create_member()], get_member(), vec![]),
        scenario("GetMember, unknown member", vec![enable()], get_member().status(404), vec![]),
        scenario(
            "DeleteMember",
            vec![enable(), create_member()],
            step(Op::DeleteMember, 0, null()).label("id", "{a1}"),
            vec![all_members()],
        ),
        scenario(
            "UpdateMemberSession",
            vec![enable(), create_member()],
            step(Op::UpdateMemberSession, 0, serde_json::json!({"status": "PAUSED"})).label("id", "{a1}"),
            vec![get_member()],
        ),
        scenario("DisableMacie", vec![enable()], step(Op::DisableMacie, 0, null()), vec![session().status(403)]),
        scenario(
            "DisableMacie, a member is associated",
            vec![enable(), create_member()],
            step(Op::DisableMacie, 0, null()).status(409),
            vec![],
        ),
        scenario("ListMembers", vec![enable(), create_member()], all_members(), vec![]),
        scenario(
            "DisassociateMember",
            vec![enable(), create_member()],
            step(Op::DisassociateMember, 0, null()).label("id", "{a1}"),
            vec![get_member()],
        ),
        scenario("GetAutomatedDiscoveryConfiguration", vec![enable()], configuration(), vec![]),
        scenario(
            "UpdateAutomatedDiscoveryConfiguration",
            vec![enable(), create_member()],
            step(
                Op::UpdateAutomatedDiscoveryConfiguration,
                0,
                serde_json::json!({"status": "ENABLED", "autoEnableOrganizationMembers": "ALL"}),
            ),
            vec![configuration(), discovery_accounts()],
        ),
        scenario(
            "BatchUpdateAutomatedDiscoveryAccounts",
            vec![enable(), create_member()],
            step(
                Op::BatchUpdateAutomatedDiscoveryAccounts,
                0,
                serde_json::json!({"accounts": [{"accountId": "{a1}", "status": "ENABLED"}]}),
            ),
            vec![discovery_accounts()],
        ),
        scenario("ListAutomatedDiscoveryAccounts", vec![enable(), create_member()], discovery_accounts(), vec![]),
        scenario(
            "ListAutomatedDiscoveryAccounts, accountIds filter",
            vec![enable(), create_member()],
            discovery_accounts().query("accountIds={a1}"),
            vec![],
        ),
    ]
}

/// The success-path scenario of each operation, in the operations table's order.
pub fn success_paths() -> Vec<Scenario> {
    let all = scenarios();
    Op::ALL
        .iter()
        .map(|op| {
            all.iter()
                .find(|s| s.name == op.name())
                .unwrap_or_else(|| panic!("no success scenario named {}", op.name()))
                .clone()
        })
        .collect()
}

/// The calls of one README row: stages in order (` → `), each a multiset of calls made at once
/// (` + `, `Name ×n` for n of them); `none` for no call.
fn parse_calls(cell: &str) -> Vec<Vec<String>> {
    let cell = cell.replace('`', "");
    if cell.trim() == "none" {
        return Vec::new();
    }
    cell.split('→')
        .map(|stage| {
            let mut calls = Vec::new();
            for call in stage.split('+') {
                let call = call.trim();
                let (name, times) = match call.split_once('×') {
                    Some((name, n)) => {
                        (name.trim(), n.trim().parse().unwrap_or_else(|_| panic!("bad count in {call}")))
                    }
                    None => (call, 1),
                };
                calls.extend(std::iter::repeat_n(name.to_owned(), times));
            }
            calls.sort();
            calls
        })
        .collect()
}

/// A recorded sequence as a README cell, for the failure message (each call its own stage).
fn as_cell(names: &[String]) -> String {
    if names.is_empty() { "none".to_owned() } else { names.join(" → ") }
}

/// The rows of the README's "DynamoDB calls per operation" table: (scenario, calls).
fn readme_rows() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let section = readme
        .split("#### DynamoDB calls per operation")
        .nth(1)
        .expect("README.md has a \"#### DynamoDB calls per operation\" section");
    section
        .lines()
        .skip_while(|l| !l.starts_with("| scenario |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 2, "a row of two cells: {l}");
            (cells[0].to_owned(), cells[1].to_owned())
        })
        .collect()
}

/// Whether `names` (in the order started) is `stages`: each stage's calls, in any order, before
/// the next stage's.
fn matches(names: &[String], stages: &[Vec<String>]) -> bool {
    let mut rest = names;
    for stage in stages {
        if rest.len() < stage.len() {
            return false;
        }
        let (head, tail) = rest.split_at(stage.len());
        let mut head = head.to_vec();
        head.sort();
        if &head != stage {
            return false;
        }
        rest = tail;
    }
    rest.is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_operation_makes_the_calls_the_readme_documents() {
    let rows = readme_rows();
    let scenarios = scenarios();
    let names: Vec<&str> = scenarios.iter().map(|s| s.name).collect();
    for (row, _) in &rows {
        assert!(names.contains(&row.as_str()), "README row {row:?} has no scenario in round_trips.rs");
    }
    assert_eq!(success_paths().len(), Op::ALL.len(), "one success path per operation");

    let table = dynamo_store().await.table().to_owned();
    let mut tasks = Vec::new();
    for scenario in scenarios {
        let table = table.clone();
        tasks.push(tokio::spawn(async move {
            let mut case = Case::new(&table);
            for setup in &scenario.setup {
                case.run(setup).await;
            }
            case.calls.reset();
            case.run(&scenario.test).await;
            (scenario.name, case.calls.names())
        }));
    }
    let mut wrong = Vec::new();
    for task in tasks {
        let (name, recorded) = task.await.expect("a scenario ran");
        let Some((_, cell)) = rows.iter().find(|(row, _)| row == name) else {
            wrong.push(format!("| {name} | {} |   (no README row)", as_cell(&recorded)));
            continue;
        };
        if !matches(&recorded, &parse_calls(cell)) {
            wrong.push(format!("| {name} | {} |   (README: {cell})", as_cell(&recorded)));
        }
    }
    assert!(wrong.is_empty(), "calls differ from README.md's table; as the code makes them:\n{}", wrong.join("\n"));
}

#[test]
fn the_table_notation_parses() {
    assert_eq!(parse_calls("none"), Vec::<Vec<String>>::new());
    let stages = parse_calls("`GetItem + Query` → `TransactWriteItems ×2`");
    assert_eq!(stages, [vec!["GetItem".to_owned(), "Query".to_owned()], vec!["TransactWriteItems".to_owned(); 2]]);
    let recorded = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert!(matches(&recorded(&["Query", "GetItem", "TransactWriteItems", "TransactWriteItems"]), &stages));
    assert!(!matches(&recorded(&["Query", "GetItem", "TransactWriteItems"]), &stages));
    assert!(!matches(&recorded(&["TransactWriteItems", "Query", "GetItem", "TransactWriteItems"]), &stages));
}
