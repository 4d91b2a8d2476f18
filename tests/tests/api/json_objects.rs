//! Every operation with a body refuses anything but a JSON object, in every service, with
//! `ValidationException`, and writes nothing (docs/conventions.md §2.1). serde alone would read a
//! structure from an array of its fields: `[]` would enable Macie and `[[[[…]]]]` create a scope.

use serde_json::{Value, json};

use crate::helpers::{LOCAL_DEFAULT, StoreKind, TestServer, assert_raw_error, on_both_stores};

/// Bodies that are JSON but not objects, at the top or where the model has a structure.
const NOT_OBJECTS: &[&str] = &["[]", "[[]]", "\"x\"", "1", "null", "true"];

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Sends `body` and expects a 200, returning the answer.
async fn ok(server: &TestServer, method: &str, path: &str, body: Value) -> Value {
    let resp = server.raw(method, path, body.to_string().as_bytes()).await;
    assert_eq!(resp.status, 200, "{method} {path}: {}", resp.body);
    json_of(&resp.body)
}

/// Everything the caller can read back: if a refused request wrote anything, this changes.
async fn state(server: &TestServer, scope_id: &str) -> Vec<Value> {
    let mut seen = vec![
        ok(server, "GET", "/scopes", json!({})).await,
        ok(server, "GET", &format!("/scopes/{scope_id}"), json!({})).await,
        ok(server, "GET", &format!("/tags/{}", scope_arn(scope_id)), json!({})).await,
        ok(server, "POST", "/2021-01-01/packages/describe", json!({})).await,
        ok(server, "GET", "/macie", json!({})).await,
        ok(server, "GET", "/members/222222222222", json!({})).await,
        ok(server, "GET", "/automated-discovery/accounts", json!({})).await,
        ok(server, "GET", "/members?onlyAssociated=false", json!({})).await,
        ok(server, "GET", "/automated-discovery/configuration", json!({})).await,
    ];
    // Timestamps that reads compute are not writes.
    for value in &mut seen {
        if let Some(object) = value.as_object_mut() {
            object.remove("updatedAt");
        }
    }
    seen
}

/// The ARN of the local caller's scope `scope_id`.
fn scope_arn(scope_id: &str) -> String {
    format!("arn:aws:networkflowmonitor:us-east-1:{LOCAL_DEFAULT}:scope/{scope_id}")
}

async fn every_body_operation_refuses_json_that_is_not_an_object(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    // One of everything, so that refused updates have something to change.
    let target = json!({"targetIdentifier": {"targetId": {"accountId": "777777777777"}, "targetType": "ACCOUNT"},
                        "region": "us-east-1"});
    let scope = ok(&server, "POST", "/scopes", json!({"targets": [target]})).await;
    let scope_id = scope["scopeId"].as_str().expect("scopeId").to_owned();
    let package = ok(
        &server,
        "POST",
        "/2021-01-01/packages",
        json!({"PackageName": "dictionary", "PackageType": "TXT-DICTIONARY",
               "PackageSource": {"S3BucketName": "bucket", "S3Key": "key"},
               "PackageVendingOptions": {"VendingEnabled": true}}),
    )
    .await;
    let package_id = package["PackageDetails"]["PackageID"].as_str().expect("PackageID").to_owned();
    ok(&server, "POST", "/macie", json!({})).await;
    ok(&server, "POST", "/members", json!({"account": {"accountId": "222222222222", "email": "m@example.com"}})).await;
    let before = state(&server, &scope_id).await;

    let mut refused = 0;
    for route in shared::ROUTES.iter().filter(|r| matches!(r.method, "POST" | "PATCH" | "PUT")) {
        let path = route
            .path
            .replace("{scopeId}", &scope_id)
            .replace("{id}", "222222222222")
            .replace("{resourceArn+}", &scope_arn(&scope_id));
        let nested: &[String] = match route.operation.name() {
            // Where the model nests a structure, an array there is refused too.
            "CreateScope" => &[r#"{"targets": [[[{"accountId": "777777777778"}, "ACCOUNT"], "us-east-1"]]}"#.into()],
            "UpdateScope" => {
                &[r#"{"resourcesToAdd": [[[{"accountId": "777777777778"}, "ACCOUNT"], "eu-west-1"]]}"#.into()]
            }
            "CreatePackage" => {
                &[r#"{"PackageName": "other", "PackageType": "TXT-DICTIONARY", "PackageSource": ["b", "k"]}"#.into()]
            }
            "UpdatePackageScope" => &[format!(r#"["{package_id}", "ADD", ["333333333333"]]"#)],
            "DescribePackages" => &[r#"{"Filters": [["PackageName", ["dictionary"]]]}"#.into()],
            "UpdatePackage" => &[
                format!(r#"{{"PackageID": "{package_id}", "PackageSource": ["bucket", "key-2"]}}"#),
                format!(
                    r#"{{"PackageID": "{package_id}", "PackageSource": {{"S3BucketName": "bucket", "S3Key": "k"}}, "PackageConfiguration": ["NONE", "NONE"]}}"#
                ),
            ],
            "CreateMember" => &[r#"{"account": ["333333333333", "x@example.com"]}"#.into()],
            "BatchUpdateAutomatedDiscoveryAccounts" => &[r#"{"accounts": [["222222222222", "DISABLED"]]}"#.into()],
            "TagResource" => &[r#"{"tags": [["team", "x"]]}"#.into()],
            _ => &[],
        };
        let bodies = NOT_OBJECTS.iter().map(|b| b.to_string()).chain(nested.iter().cloned());
        for body in bodies {
            let resp = server.raw(route.method, &path, body.as_bytes()).await;
            assert_raw_error(&resp, 400, "ValidationException");
            refused += 1;
        }
    }
    assert!(refused >= 10 * NOT_OBJECTS.len(), "every body operation was tried ({refused} requests)");
    assert_eq!(state(&server, &scope_id).await, before, "a refused request wrote something");
}

on_both_stores!(every_body_operation_refuses_json_that_is_not_an_object);
