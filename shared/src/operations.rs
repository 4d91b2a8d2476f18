//! Every operation, declared once: the table below is the only list of operations. The
//! operation enum, its names, services and routes, the compile-time binding of each operation to
//! its handler (used by each Lambda function) and the dispatcher of the local server all come from
//! it; the template, event, watch-router and emulator checks read it (docs/README.md lists the
//! operations for users).

use std::future::Future;
use std::time::Instant;

use percent_encoding::percent_decode_str;
use tracing::Instrument;

use crate::app::App;
use crate::budget::within_deadline;
use crate::common::AccountId;
use crate::error::{ApiError, Service};
use crate::identity::missing_identity;
use crate::request::{ApiRequest, ApiResponse, MAX_BODY_BYTES, PathParams};
use crate::{macie, nfm, opensearch};

/// An operation bound to its handler at compile time: `op::GetScope` is GetScope. A Lambda
/// function names one (`shared::lambda::run::<op::GetScope>()`), so it links only that handler.
pub trait Handler {
    const OPERATION: Operation;

    /// Runs the operation for an authorised `caller`; the body is the JSON answer.
    fn handle<'a>(
        app: &'a App,
        caller: &'a AccountId,
        request: &'a ApiRequest,
    ) -> impl Future<Output = Result<Vec<u8>, ApiError>> + Send + 'a;
}

/// Expands the table: the `Operation` enum with its facts, one `op::<Name>` handler binding per
/// row, and [`dispatch`] for the local server.
macro_rules! operations {
    ($($name:ident: $service:ident, $method:literal, $path:literal => $handler:path;)+) => {
        /// Every operation this API serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $($name,)+
        }

        impl Operation {
            /// Every operation, in table order.
            pub const ALL: &'static [Operation] = &[$(Operation::$name,)+];

            /// The operation's name in the AWS model, e.g. `CreateScope`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name),)+
                }
            }

            /// The service whose model the operation follows.
            pub const fn service(self) -> Service {
                match self {
                    $(Operation::$name => Service::$service,)+
                }
            }

            /// The operation's method and path template.
            pub const fn route(self) -> Route {
                match self {
                    $(Operation::$name => Route { operation: self, method: $method, path: $path },)+
                }
            }
        }

        /// One type per operation, naming its handler: what a Lambda function is built around.
        pub mod op {
            use super::*;

            $(
                #[doc = concat!("The ", stringify!($name), " operation.")]
                pub struct $name;

                impl Handler for $name {
                    const OPERATION: Operation = Operation::$name;

                    fn handle<'a>(
                        app: &'a App,
                        caller: &'a AccountId,
                        request: &'a ApiRequest,
                    ) -> impl Future<Output = Result<Vec<u8>, ApiError>> + Send + 'a {
                        $handler(app, caller, request)
                    }
                }
            )+
        }

        /// Serves `request` with `operation`: the local server's way in, where every operation
        /// runs in one process.
        pub async fn dispatch(app: &App, operation: Operation, request: ApiRequest) -> ApiResponse {
            match operation {
                $(Operation::$name => serve::<op::$name>(app, request).await,)+
            }
        }
    };
}
operations! {
    // name: service, method, path => handler
    CreateScope: NetworkFlowMonitor, "POST", "/scopes" => nfm::handlers::create_scope;
    UpdateScope: NetworkFlowMonitor, "PATCH", "/scopes/{scopeId}" => nfm::handlers::update_scope;
    GetScope: NetworkFlowMonitor, "GET", "/scopes/{scopeId}" => nfm::handlers::get_scope;
    ListScopes: NetworkFlowMonitor, "GET", "/scopes" => nfm::handlers::list_scopes;
    DeleteScope: NetworkFlowMonitor, "DELETE", "/scopes/{scopeId}" => nfm::handlers::delete_scope;
    TagResource: NetworkFlowMonitor, "POST", "/tags/{resourceArn+}" => nfm::handlers::tag_resource;
    UntagResource: NetworkFlowMonitor, "DELETE", "/tags/{resourceArn+}" => nfm::handlers::untag_resource;
    ListTagsForResource: NetworkFlowMonitor, "GET", "/tags/{resourceArn+}" => nfm::handlers::list_tags_for_resource;
    UpdatePackageScope: OpenSearch, "POST", "/2021-01-01/packages/updateScope" => opensearch::handlers::update_package_scope;
    CreatePackage: OpenSearch, "POST", "/2021-01-01/packages" => opensearch::handlers::create_package;
    DescribePackages: OpenSearch, "POST", "/2021-01-01/packages/describe" => opensearch::handlers::describe_packages;
    DeletePackage: OpenSearch, "DELETE", "/2021-01-01/packages/{PackageID}" => opensearch::handlers::delete_package;
    UpdatePackage: OpenSearch, "POST", "/2021-01-01/packages/update" => opensearch::handlers::update_package;
    GetPackageVersionHistory: OpenSearch, "GET", "/2021-01-01/packages/{PackageID}/history" => opensearch::handlers::get_package_version_history;
    BatchUpdateAutomatedDiscoveryAccounts: Macie, "PATCH", "/automated-discovery/accounts" => macie::handlers::batch_update_automated_discovery_accounts;
    ListAutomatedDiscoveryAccounts: Macie, "GET", "/automated-discovery/accounts" => macie::handlers::list_automated_discovery_accounts;
    EnableMacie: Macie, "POST", "/macie" => macie::handlers::enable_macie;
    GetMacieSession: Macie, "GET", "/macie" => macie::handlers::get_macie_session;
    UpdateMacieSession: Macie, "PATCH", "/macie" => macie::handlers::update_macie_session;
    CreateMember: Macie, "POST", "/members" => macie::handlers::create_member;
    GetMember: Macie, "GET", "/members/{id}" => macie::handlers::get_member;
    DeleteMember: Macie, "DELETE", "/members/{id}" => macie::handlers::delete_member;
    UpdateMemberSession: Macie, "PATCH", "/macie/members/{id}" => macie::handlers::update_member_session;
    DisableMacie: Macie, "DELETE", "/macie" => macie::handlers::disable_macie;
    ListMembers: Macie, "GET", "/members" => macie::handlers::list_members;
    DisassociateMember: Macie, "POST", "/members/disassociate/{id}" => macie::handlers::disassociate_member;
    GetAutomatedDiscoveryConfiguration: Macie, "GET", "/automated-discovery/configuration" => macie::handlers::get_automated_discovery_configuration;
    UpdateAutomatedDiscoveryConfiguration: Macie, "PUT", "/automated-discovery/configuration" => macie::handlers::update_automated_discovery_configuration;
}

/// All routes, one per operation, in table order.
pub const ROUTES: &[Route] = &{
    let mut routes = [Operation::CreateScope.route(); Operation::ALL.len()];
    let mut i = 0;
    while i < routes.len() {
        routes[i] = Operation::ALL[i].route();
        i += 1;
    }
    routes
};

impl Operation {
    /// The Lambda function's binary name, e.g. `create-scope`.
    pub fn function_name(self) -> String {
        let mut out = String::new();
        for (i, c) in self.name().chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    /// The function's logical ID in `template.yaml`, e.g. `CreateScopeFunction`.
    pub fn template_resource(self) -> String {
        format!("{}Function", self.name())
    }
}

/// One operation's method and path template: literal segments, `{label}` segments (one path
/// segment each) and, as the last segment only, a greedy `{label+}` that takes the whole rest of
/// the path, `/` included (API Gateway's syntax; docs/network-flow-monitor.md §1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub operation: Operation,
    pub method: &'static str,
    pub path: &'static str,
}

/// A segment of a path template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    Literal(&'a str),
    Label(&'a str),
    /// `{label+}`: the rest of the path.
    Greedy(&'a str),
}

impl<'a> Segment<'a> {
    fn of(segment: &'a str) -> Self {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(label) => match label.strip_suffix('+') {
                Some(greedy) => Segment::Greedy(greedy),
                None => Segment::Label(label),
            },
            None => Segment::Literal(segment),
        }
    }

    fn label(self) -> Option<&'a str> {
        match self {
            Segment::Literal(_) => None,
            Segment::Label(label) | Segment::Greedy(label) => Some(label),
        }
    }
}

/// A label's value: percent-decoded once; bytes that are not UTF-8 become U+FFFD.
fn decode(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

impl Route {
    /// The route's label names (`{label}` and `{label+}` alike), in path order.
    pub fn labels(&self) -> impl Iterator<Item = &'static str> {
        self.path.split('/').filter_map(|s| Segment::of(s).label())
    }

    /// Matches a raw (percent-encoded) path against this route's template. With
    /// `allow_prefix`, leading segments before the template (an API Gateway stage, a base path)
    /// are ignored; for a template with a greedy label, the first place where its fixed segments
    /// match is the one. Labels are percent-decoded once (a greedy one as a whole); bytes that
    /// are not UTF-8 become U+FFFD, so such an ID is simply one that exists nowhere.
    pub fn match_path(&self, raw_path: &str, allow_prefix: bool) -> Option<PathParams> {
        // Exactly one leading `/`: `//macie` is no route (an empty first segment matches nothing).
        let template: Vec<Segment> = self.path.strip_prefix('/')?.split('/').map(Segment::of).collect();
        let segments: Vec<&str> = raw_path.strip_prefix('/')?.split('/').collect();
        let greedy = matches!(template.last(), Some(Segment::Greedy(_)));
        if segments.len() < template.len() || (!allow_prefix && !greedy && segments.len() != template.len()) {
            return None;
        }
        let spare = segments.len() - template.len();
        let starts = match (allow_prefix, greedy) {
            (false, _) => 0..=0,
            (true, false) => spare..=spare,
            (true, true) => 0..=spare,
        };
        starts.into_iter().find_map(|start| Self::match_at(&template, &segments[start..]))
    }

    /// Matches `template` against `segments` from their first segment; a greedy label takes
    /// whatever follows.
    fn match_at(template: &[Segment<'static>], segments: &[&str]) -> Option<PathParams> {
        let mut params = Vec::new();
        for (i, want) in template.iter().enumerate() {
            match *want {
                Segment::Literal(literal) if segments.get(i) == Some(&literal) => {}
                Segment::Literal(_) => return None,
                Segment::Label(label) => params.push((label, decode(segments.get(i)?))),
                Segment::Greedy(label) => params.push((label, decode(&segments.get(i..)?.join("/")))),
            }
        }
        let greedy = matches!(template.last(), Some(Segment::Greedy(_)));
        (greedy || segments.len() == template.len()).then(|| PathParams::new(params))
    }

    /// The route's template as the router of `cargo lambda watch` (matchit) writes it: a greedy
    /// `{label+}` is the catch-all `{*label}`.
    pub fn matchit_path(&self) -> String {
        let segments: Vec<String> = self
            .path
            .split('/')
            .map(|s| match Segment::of(s) {
                Segment::Greedy(label) => format!("{{*{label}}}"),
                _ => s.to_owned(),
            })
            .collect();
        segments.join("/")
    }
}

/// Finds the operation for a method and raw path, as the local server routes: both exact (HTTP
/// methods are case-sensitive, and no slash is collapsed).
pub fn match_route(method: &str, raw_path: &str) -> Result<(Operation, PathParams), ApiError> {
    for route in ROUTES.iter().filter(|r| r.method == method) {
        if let Some(params) = route.match_path(raw_path, false) {
            return Ok((route.operation, params));
        }
    }
    Err(ApiError::UnknownOperation(format!("No operation serves {method} {raw_path}")))
}

/// Runs operation `H` for `request` and turns the outcome into a response. Every request is
/// logged once, with its outcome and duration, under its request ID.
pub async fn serve<H: Handler>(app: &App, request: ApiRequest) -> ApiResponse {
    let operation = H::OPERATION;
    let started = Instant::now();
    let span = tracing::info_span!("request", operation = operation.name(), request_id = %request.request_id);
    let outcome = within_deadline(app.deadline(), run::<H>(app, &request)).instrument(span.clone()).await;
    let response = match outcome {
        Ok(body) => ApiResponse::ok(body, request.request_id),
        Err(error) => ApiResponse::error(&error, Some(operation.service()), request.request_id),
    };
    span.in_scope(|| {
        tracing::info!(
            status = response.status,
            error_type = response.error_type.unwrap_or(""),
            elapsed_us = started.elapsed().as_micros() as u64,
            "handled"
        )
    });
    response
}

async fn run<H: Handler>(app: &App, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::validation(format!("The request body is larger than {MAX_BODY_BYTES} bytes")));
    }
    let caller = request.caller.as_ref().ok_or_else(missing_identity)?;
    H::handle(app, caller, request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_exactly_one_route_and_no_two_routes_collide() {
        for op in Operation::ALL {
            assert_eq!(ROUTES.iter().filter(|r| r.operation == *op).count(), 1, "{op:?}");
        }
        assert_eq!(ROUTES.len(), Operation::ALL.len());
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{a:?} and {b:?} collide");
            }
        }
    }

    #[test]
    fn matches_methods_paths_and_decodes_labels() {
        let (op, params) = match_route("PATCH", "/scopes/abc%2Fdef%20ghi").unwrap();
        assert_eq!(op, Operation::UpdateScope);
        assert_eq!(params.get("scopeId"), "abc/def ghi");
        assert_eq!(match_route("GET", "/scopes").unwrap().0, Operation::ListScopes);
        assert_eq!(match_route("POST", "/scopes").unwrap().0, Operation::CreateScope);
        assert_eq!(match_route("GET", "/scopes/").unwrap().1.get("scopeId"), "");
        assert_eq!(match_route("GET", "/scopes/%FF%FE").unwrap().1.get("scopeId"), "\u{FFFD}\u{FFFD}");
        assert!(matches!(match_route("PUT", "/scopes"), Err(ApiError::UnknownOperation(_))));
        assert!(matches!(match_route("GET", "/scopes/a/b"), Err(ApiError::UnknownOperation(_))));
        assert!(matches!(match_route("GET", "/nope"), Err(ApiError::UnknownOperation(_))));
        // Methods are case-sensitive and slashes are never collapsed.
        assert!(matches!(match_route("get", "/scopes"), Err(ApiError::UnknownOperation(_))));
        assert!(matches!(match_route("GET", "//macie"), Err(ApiError::UnknownOperation(_))));
        assert!(matches!(match_route("DELETE", "///members/222222222222"), Err(ApiError::UnknownOperation(_))));
    }

    #[test]
    fn a_stage_prefix_is_ignored_only_when_allowed() {
        let route = Operation::GetScope.route();
        assert!(route.match_path("/prod/scopes/s1", false).is_none());
        let params = route.match_path("/prod/scopes/s1", true).unwrap();
        assert_eq!(params.get("scopeId"), "s1");
    }

    #[test]
    fn labels_are_the_templated_segments() {
        assert_eq!(Operation::UpdateScope.route().labels().collect::<Vec<_>>(), ["scopeId"]);
        assert_eq!(Operation::ListScopes.route().labels().count(), 0);
        assert_eq!(Operation::TagResource.route().labels().collect::<Vec<_>>(), ["resourceArn"]);
    }

    const SCOPE_ARN: &str =
        "arn:aws:networkflowmonitor:us-east-1:111111111111:scope/0f5b6c1e-8c1a-4d2b-9e3f-5a6b7c8d9e0f";

    #[test]
    fn a_greedy_label_takes_the_rest_of_the_path_encoded_or_not() {
        // What the SDKs send: the whole ARN as one segment, `:` and `/` percent-encoded.
        let encoded = format!("/tags/{}", SCOPE_ARN.replace(':', "%3A").replace('/', "%2F"));
        // What curl sends, or a gateway that decodes the path before routing.
        let literal = format!("/tags/{SCOPE_ARN}");
        for (method, operation) in [
            ("POST", Operation::TagResource),
            ("DELETE", Operation::UntagResource),
            ("GET", Operation::ListTagsForResource),
        ] {
            for path in [&encoded, &literal] {
                let (matched, params) = match_route(method, path).unwrap();
                assert_eq!(matched, operation, "{method} {path}");
                assert_eq!(params.get("resourceArn"), SCOPE_ARN, "{method} {path}");
            }
        }
        // Decoded once, as a whole: `%252F` is `%2F`, not `/`.
        let (_, params) = match_route("GET", "/tags/arn%3Aaws%3Ax%252Fy/z%20w").unwrap();
        assert_eq!(params.get("resourceArn"), "arn:aws:x%2Fy/z w");
        // An empty ARN reaches the operation (which refuses it); no ARN segment at all is no route.
        assert_eq!(match_route("GET", "/tags/").unwrap().1.get("resourceArn"), "");
        assert!(matches!(match_route("GET", "/tags"), Err(ApiError::UnknownOperation(_))));
        assert!(matches!(match_route("PUT", &literal), Err(ApiError::UnknownOperation(_))));
        assert!(matches!(match_route("GET", &format!("/x{literal}")), Err(ApiError::UnknownOperation(_))));
    }

    #[test]
    fn a_greedy_label_after_a_stage_prefix() {
        let route = Operation::TagResource.route();
        assert!(route.match_path(&format!("/prod/tags/{SCOPE_ARN}"), false).is_none());
        for path in [format!("/prod/tags/{SCOPE_ARN}"), format!("/a/b/tags/{SCOPE_ARN}"), format!("/tags/{SCOPE_ARN}")]
        {
            let params = route.match_path(&path, true).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(params.get("resourceArn"), SCOPE_ARN, "{path}");
        }
        assert!(route.match_path("/prod/scopes/x", true).is_none());
        assert!(route.match_path("/prod/tags", true).is_none());
    }

    #[test]
    fn matchit_paths_write_greedy_labels_as_catch_alls() {
        assert_eq!(Operation::TagResource.route().matchit_path(), "/tags/{*resourceArn}");
        assert_eq!(Operation::GetScope.route().matchit_path(), "/scopes/{scopeId}");
        assert_eq!(Operation::ListScopes.route().matchit_path(), "/scopes");
    }

    #[test]
    fn function_names_are_kebab_case() {
        assert_eq!(Operation::CreateScope.function_name(), "create-scope");
        assert_eq!(Operation::ListScopes.function_name(), "list-scopes");
    }
}
