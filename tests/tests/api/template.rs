//! `template.yaml` declares exactly the routes and functions of the shared route table.

use std::collections::BTreeSet;
use std::path::Path;

use serde_yaml::Value;
use shared::{Operation, ROUTES};

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let text = std::fs::read_to_string(&path).expect("template.yaml");
    serde_yaml::from_str(&text).expect("template.yaml is YAML")
}

fn functions(template: &Value) -> Vec<(String, &Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| (id.as_str().expect("logical id").to_owned(), r))
        .collect()
}

#[test]
fn template_routes_are_exactly_the_route_table() {
    let template = template();
    let mut declared = BTreeSet::new();
    for (id, function) in functions(&template) {
        let binary =
            function["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or_else(|| panic!("{id}: no Binary"));
        assert_eq!(function["Metadata"]["BuildMethod"], "rust-cargolambda", "{id}");
        let events = function["Properties"]["Events"].as_mapping().unwrap_or_else(|| panic!("{id}: no Events"));
        for (_, event) in events {
            assert_eq!(event["Type"], "HttpApi", "{id}: every route is on the HTTP API");
            let props = &event["Properties"];
            let method = props["Method"].as_str().expect("Method").to_ascii_uppercase();
            let path = props["Path"].as_str().expect("Path").to_owned();
            assert!(declared.insert((binary.to_owned(), method, path)), "{id}: route declared twice");
        }
    }
    let expected: BTreeSet<_> =
        ROUTES.iter().map(|r| (r.operation.function_name(), r.method.to_owned(), r.path.to_owned())).collect();
    assert_eq!(declared, expected);
}

#[test]
fn cargo_lambda_watch_routes_are_generated_from_the_route_table() {
    // `make dev` hands this router to `cargo lambda watch` (scripts/dev.sh).
    let generated: toml::Table =
        local_api::routes(local_api::RoutesFormat::WatchRouter).parse().expect("the generated router is TOML");
    let mut declared = BTreeSet::new();
    for route in generated["watch"]["router"].as_array().expect("a router list") {
        let function = route["function"].as_str().expect("function").to_owned();
        let path = route["path"].as_str().expect("path").to_owned();
        for method in route["methods"].as_array().expect("methods") {
            let method = method.as_str().expect("method").to_owned();
            assert!(declared.insert((function.clone(), method, path.clone())), "route declared twice");
        }
    }
    // The table's paths in the router's (matchit's) syntax: a greedy `{label+}` is `{*label}`.
    let matchit_path = |path: &str| {
        let segments: Vec<String> = path
            .split('/')
            .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
                Some(label) => format!("{{*{label}}}"),
                None => s.to_owned(),
            })
            .collect();
        segments.join("/")
    };
    let expected: BTreeSet<_> =
        ROUTES.iter().map(|r| (r.operation.function_name(), r.method.to_owned(), matchit_path(r.path))).collect();
    assert_eq!(declared, expected);

    // Routed as cargo lambda watch does (matchit, on the path as sent): the SDK's encoded ARN and
    // an ARN with literal slashes both reach the tag functions, with the whole ARN as the label.
    let mut router = matchit::Router::new();
    let mut functions: std::collections::BTreeMap<String, Vec<(String, String)>> = Default::default();
    for (function, method, path) in &declared {
        functions.entry(path.clone()).or_default().push((method.clone(), function.clone()));
    }
    for (path, methods) in &functions {
        router.insert(path.as_str(), methods.clone()).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let arn = "arn:aws:networkflowmonitor:us-east-1:111111111111:scope/0f5b6c1e-8c1a-4d2b-9e3f-5a6b7c8d9e0f";
    for raw in [arn.replace(':', "%3A").replace('/', "%2F"), arn.to_owned()] {
        let path = format!("/tags/{raw}");
        let matched = router.at(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(matched.params.get("resourceArn"), Some(raw.as_str()));
        let mut served: Vec<(String, String)> = matched.value.clone();
        served.sort();
        let want = [("DELETE", "untag-resource"), ("GET", "list-tags-for-resource"), ("POST", "tag-resource")];
        assert_eq!(served, want.map(|(m, f)| (m.to_owned(), f.to_owned())));
    }
    assert!(router.at("/scopes/a/b").is_err(), "an ordinary label is still one segment");

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let manifest: toml::Table = std::fs::read_to_string(&path).expect("Cargo.toml").parse().expect("TOML");
    let watch = &manifest["workspace"]["metadata"]["lambda"]["watch"];
    assert!(watch.get("router").is_none(), "the router is generated, not written by hand in Cargo.toml");
    assert_eq!(watch["invoke_port"].as_integer(), Some(9000));
    assert_eq!(watch["env"]["IDENTITY_MODE"].as_str(), Some("local"), "the dev loop switches local identity on");
}

#[test]
fn every_operation_has_its_function_entry_point_and_logical_id() {
    let template = template();
    let ids: BTreeSet<String> = functions(&template).into_iter().map(|(id, _)| id).collect();
    let bins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions/src/bin");
    for op in Operation::ALL {
        assert!(ids.contains(&op.template_resource()), "{} has no function in template.yaml", op.name());
        let main = bins.join(format!("{}.rs", op.function_name()));
        let code = std::fs::read_to_string(&main).unwrap_or_else(|_| panic!("{} has no {}", op.name(), main.display()));
        assert!(
            code.contains(&format!("shared::lambda::run::<shared::op::{}>()", op.name())),
            "{} does not run its own operation",
            main.display()
        );
    }
    assert_eq!(ids.len(), Operation::ALL.len(), "a function in template.yaml serves no operation");
    assert_eq!(std::fs::read_dir(&bins).unwrap().count(), Operation::ALL.len(), "a function serves no operation");
    // Builds start in functions/, where functions/.cargo/config.toml makes the deployed profile.
    assert_eq!(template["Globals"]["Function"]["CodeUri"], "functions");
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions/.cargo/config.toml").exists());
}

#[test]
fn every_route_requires_iam_and_the_table_keeps_its_data() {
    let template = template();
    let api = &template["Resources"]["Api"];
    assert_eq!(api["Type"], "AWS::Serverless::HttpApi");
    assert_eq!(api["Properties"]["Auth"]["DefaultAuthorizer"], "AWS_IAM");
    assert_eq!(api["Properties"]["Auth"]["EnableIamAuthorizer"], true);
    for (id, function) in functions(&template) {
        for (_, event) in function["Properties"]["Events"].as_mapping().expect("Events") {
            let auth = &event["Properties"]["Auth"]["Authorizer"];
            assert!(auth.is_null() || auth == "AWS_IAM", "{id} overrides the IAM authoriser");
        }
    }
    let table = &template["Resources"]["Table"];
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["Properties"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(table["Properties"]["TimeToLiveSpecification"]["AttributeName"], shared::store::dynamodb::TTL_ATTRIBUTE);
    assert_eq!(table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
}
