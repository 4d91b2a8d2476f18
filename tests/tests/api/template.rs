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

// ---------------------------------------------------------------------------------------------
// Operations: log retention, stage throttling and access logs, alarms, timeouts. The functions are
// the template's and the operations table's together, so a function added to either is held here.
// ---------------------------------------------------------------------------------------------

/// The values CloudWatch Logs accepts for a log group's `RetentionInDays`.
const CLOUDWATCH_RETENTION_DAYS: [u64; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// The template as CloudFormation reads it: short-form intrinsics (`!Ref X`, `!GetAtt A.B`,
/// `!If [...]`) in their long form (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, ...).
fn template_json() -> serde_json::Value {
    fn convert(value: &Value) -> serde_json::Value {
        match value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::to_value(n).expect("a YAML number is a JSON number"),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Sequence(items) => items.iter().map(convert).collect(),
            Value::Mapping(map) => map
                .iter()
                .map(|(k, v)| (k.as_str().map(str::to_owned).unwrap_or_else(|| format!("{k:?}")), convert(v)))
                .collect(),
            Value::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let name = tag.trim_start_matches('!');
                let inner = convert(&tagged.value);
                match (name, inner.as_str()) {
                    ("Ref", _) => serde_json::json!({ "Ref": inner }),
                    ("GetAtt", Some(path)) => {
                        let (resource, attribute) = path.split_once('.').expect("!GetAtt Resource.Attribute");
                        serde_json::json!({ "Fn::GetAtt": [resource, attribute] })
                    }
                    _ => serde_json::json!({ format!("Fn::{name}"): inner }),
                }
            }
        }
    }
    convert(&template())
}

/// The logical IDs of the resources of type `kind`.
fn ids_of_type(template: &serde_json::Value, kind: &str) -> BTreeSet<String> {
    let resources = template["Resources"].as_object().expect("Resources");
    resources.iter().filter(|(_, r)| r["Type"] == kind).map(|(id, _)| id.clone()).collect()
}

/// Every function: the template's and the operations table's.
fn all_functions(template: &serde_json::Value) -> BTreeSet<String> {
    let mut ids = ids_of_type(template, "AWS::Serverless::Function");
    ids.extend(Operation::ALL.iter().map(|op| op.template_resource()));
    ids
}

/// The alarms on `namespace`'s `metric` whose dimensions are exactly `dimensions`.
fn alarms_on<'t>(
    template: &'t serde_json::Value,
    namespace: &str,
    metric: &str,
    dimensions: &serde_json::Value,
) -> Vec<(String, &'t serde_json::Value)> {
    let wanted: BTreeSet<String> =
        dimensions.as_object().expect("dimensions").iter().map(|(k, v)| format!("{k}={v}")).collect();
    ids_of_type(template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|id| {
            let alarm = &template["Resources"][id.as_str()];
            (id, alarm)
        })
        .filter(|(_, alarm)| {
            let p = &alarm["Properties"];
            let dims: BTreeSet<String> = p["Dimensions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| format!("{}={}", d["Name"].as_str().unwrap_or_default(), d["Value"]))
                .collect();
            p["Namespace"] == namespace && p["MetricName"] == metric && dims == wanted
        })
        .collect()
}

/// The one alarm on `metric` with `dimensions`: fires on a sum of at least one event over a period,
/// notifies the topic when there is one, and is OK without data.
fn assert_one_alarm(template: &serde_json::Value, namespace: &str, metric: &str, dimensions: serde_json::Value) {
    let alarms = alarms_on(template, namespace, metric, &dimensions);
    assert_eq!(alarms.len(), 1, "exactly one alarm must watch {namespace} {metric} {dimensions}: {alarms:?}");
    let (id, alarm) = &alarms[0];
    let p = &alarm["Properties"];
    assert_eq!(p["Statistic"], "Sum", "{id}");
    assert_eq!(p["ComparisonOperator"], "GreaterThanOrEqualToThreshold", "{id}");
    assert!(p["Threshold"].as_f64().is_some_and(|t| t >= 1.0), "{id}: a threshold of at least one");
    assert!(p["Period"].as_u64().is_some_and(|s| s > 0 && s % 60 == 0), "{id}: a period in minutes");
}

#[test]
fn the_operations_parameters_and_the_alarm_topic_condition() {
    let template = template_json();
    let params = &template["Parameters"];
    let retention = &params["LogRetentionDays"];
    assert_eq!(retention["Type"], "Number");
    assert_eq!(retention["Default"], 30);
    assert_eq!(retention["AllowedValues"], serde_json::json!(CLOUDWATCH_RETENTION_DAYS));
    for name in ["ThrottlingRateLimit", "ThrottlingBurstLimit"] {
        let p = &params[name];
        assert_eq!(p["Type"], "Number", "{name}");
        assert!(p["Default"].as_f64().is_some_and(|d| d >= 1.0), "{name}: a default that lets requests through");
        assert!(p["Description"].as_str().is_some_and(|d| d.len() > 80), "{name}: the Description says why");
    }
    let topic = &params["AlarmTopicArn"];
    assert_eq!(topic["Type"], "String");
    assert_eq!(topic["Default"], "", "alarms need no topic to deploy");
    assert_eq!(
        template["Conditions"]["HasAlarmTopic"],
        serde_json::json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "AlarmTopicArn" }, ""] }] })
    );
}

#[test]
fn every_log_group_keeps_its_logs_for_the_retention_parameter() {
    let template = template_json();
    let groups = ids_of_type(&template, "AWS::Logs::LogGroup");
    assert!(!groups.is_empty());
    for id in groups {
        let retention = &template["Resources"][id.as_str()]["Properties"]["RetentionInDays"];
        assert_eq!(retention, &serde_json::json!({ "Ref": "LogRetentionDays" }), "{id}");
    }
}

#[test]
fn every_alarm_notifies_the_topic_when_there_is_one_and_is_ok_without_data() {
    let template = template_json();
    let notify =
        serde_json::json!({ "Fn::If": ["HasAlarmTopic", [{ "Ref": "AlarmTopicArn" }], { "Ref": "AWS::NoValue" }] });
    let alarms = ids_of_type(&template, "AWS::CloudWatch::Alarm");
    assert!(!alarms.is_empty());
    for id in alarms {
        let p = &template["Resources"][id.as_str()]["Properties"];
        assert_eq!(p["AlarmActions"], notify, "{id}: AlarmActions");
        assert_eq!(p["OKActions"], notify, "{id}: OKActions");
        assert_eq!(p["TreatMissingData"], "notBreaching", "{id}");
        assert!(p["AlarmDescription"].as_str().is_some_and(|d| !d.is_empty()), "{id}: says what it watches");
    }
}

#[test]
fn every_function_logs_to_its_own_group_and_has_errors_and_throttles_alarms() {
    let template = template_json();
    let resources = &template["Resources"];
    let mut groups = BTreeSet::new();
    for id in all_functions(&template) {
        let function = &resources[id.as_str()];
        assert_eq!(function["Type"], "AWS::Serverless::Function", "{id} is not in template.yaml");
        let group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no LoggingConfig.LogGroup: !Ref <its log group>"));
        assert!(groups.insert(group_id.to_owned()), "{id} shares the log group {group_id}");
        let group = &resources[group_id];
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{id}: {group_id}");
        assert_eq!(group["Properties"]["RetentionInDays"], serde_json::json!({ "Ref": "LogRetentionDays" }), "{id}");
        assert_eq!(
            group["Properties"]["LogGroupName"],
            serde_json::json!({ "Fn::Sub": format!("/aws/lambda/${{AWS::StackName}}/{id}") }),
            "{id}: its group is named after it"
        );
        for metric in ["Errors", "Throttles"] {
            assert_one_alarm(&template, "AWS/Lambda", metric, serde_json::json!({ "FunctionName": { "Ref": id } }));
        }
    }
}

#[test]
fn the_api_5xx_and_the_table_throttles_have_alarms() {
    let template = template_json();
    let stage = serde_json::json!({ "ApiId": { "Ref": "Api" }, "Stage": { "Ref": "Stage" } });
    assert_one_alarm(&template, "AWS/ApiGateway", "5xx", stage);
    for metric in ["ReadThrottleEvents", "WriteThrottleEvents"] {
        assert_one_alarm(&template, "AWS/DynamoDB", metric, serde_json::json!({ "TableName": { "Ref": "Table" } }));
    }
}

#[test]
fn the_stage_logs_each_request_as_json_and_throttles_its_default_route() {
    let template = template_json();
    let api = &template["Resources"]["Api"]["Properties"];
    let throttling = &api["DefaultRouteSettings"];
    assert_eq!(throttling["ThrottlingRateLimit"], serde_json::json!({ "Ref": "ThrottlingRateLimit" }));
    assert_eq!(throttling["ThrottlingBurstLimit"], serde_json::json!({ "Ref": "ThrottlingBurstLimit" }));

    let logs = &api["AccessLogSettings"];
    let group = logs["DestinationArn"]["Fn::GetAtt"][0].as_str().expect("DestinationArn: !GetAtt <log group>.Arn");
    assert_eq!(logs["DestinationArn"]["Fn::GetAtt"][1], "Arn");
    assert_eq!(template["Resources"][group]["Type"], "AWS::Logs::LogGroup");
    let format = logs["Format"].as_str().expect("Format");
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(format).unwrap_or_else(|e| panic!("the access log format is not a JSON object: {e}"));
    for (field, variable) in [
        ("requestId", "$context.requestId"),
        ("accountId", "$context.identity.accountId"),
        ("routeKey", "$context.routeKey"),
        ("status", "$context.status"),
        ("responseLatency", "$context.responseLatency"),
        ("integrationLatency", "$context.integrationLatency"),
        ("integrationErrorMessage", "$context.integrationErrorMessage"),
    ] {
        assert_eq!(fields.get(field).and_then(|v| v.as_str()), Some(variable), "access log field {field}");
    }
}

#[test]
fn every_function_answers_within_its_timeout() {
    use shared::budget;
    use std::time::Duration;
    let template = template_json();
    let global = template["Globals"]["Function"]["Timeout"].as_u64();
    // One SDK call ends before the request deadline, the deadline before the function's Timeout.
    assert!(budget::sdk_call_worst_case().min(budget::OPERATION_TIMEOUT) < budget::REQUEST_DEADLINE);
    for id in all_functions(&template) {
        let own = template["Resources"][id.as_str()]["Properties"]["Timeout"].as_u64();
        let timeout = Duration::from_secs(own.or(global).unwrap_or_else(|| panic!("{id}: no Timeout")));
        assert!(
            budget::invocation_worst_case() <= timeout,
            "{id}: Timeout {timeout:?} is shorter than the worst case of the SDK budget \
             ({:?} of store work, then the answer; shared/src/budget.rs)",
            budget::REQUEST_DEADLINE
        );
    }
}
