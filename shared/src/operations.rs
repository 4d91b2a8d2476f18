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
    UpdatePackageScope: OpenSearch, "POST", "/2021-01-01/packages/updateScope" => opensearch::handlers::update_package_scope;
    CreatePackage: OpenSearch, "POST", "/2021-01-01/packages" => opensearch::handlers::create_package;
    DescribePackages: OpenSearch, "POST", "/2021-01-01/packages/describe" => opensearch::handlers::describe_packages;
    DeletePackage: OpenSearch, "DELETE", "/2021-01-01/packages/{PackageID}" => opensearch::handlers::delete_package;
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

/// One operation's method and path template (`{label}` segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub operation: Operation,
    pub method: &'static str,
    pub path: &'static str,
}

/// The label of a `{label}` template segment, `None` for a literal one.
fn label_of(segment: &str) -> Option<&str> {
    segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
}

impl Route {
    /// The route's `{label}` names, in path order.
    pub fn labels(&self) -> impl Iterator<Item = &'static str> {
        self.path.split('/').filter_map(label_of)
    }

    /// Matches a raw (percent-encoded) path against this route's template. With
    /// `allow_prefix`, leading segments before the template (an API Gateway stage, a base path)
    /// are ignored. Labels are percent-decoded; bytes that are not UTF-8 become U+FFFD, so such
    /// an ID is simply one that exists nowhere.
    pub fn match_path(&self, raw_path: &str, allow_prefix: bool) -> Option<PathParams> {
        let template: Vec<&str> = self.path.trim_start_matches('/').split('/').collect();
        let segments: Vec<&str> = raw_path.trim_start_matches('/').split('/').collect();
        if segments.len() < template.len() || (!allow_prefix && segments.len() != template.len()) {
            return None;
        }
        let tail = &segments[segments.len() - template.len()..];
        let mut params = Vec::new();
        for (want, got) in template.iter().zip(tail) {
            match label_of(want) {
                Some(label) => params.push((label, percent_decode_str(got).decode_utf8_lossy().into_owned())),
                None if want == got => {}
                None => return None,
            }
        }
        Some(PathParams::new(params))
    }
}

/// Finds the operation for a method and raw path (exact match, as the local server routes).
pub fn match_route(method: &str, raw_path: &str) -> Result<(Operation, PathParams), ApiError> {
    for route in ROUTES.iter().filter(|r| r.method.eq_ignore_ascii_case(method)) {
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
    let outcome = run::<H>(app, &request).instrument(span.clone()).await;
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
    }

    #[test]
    fn function_names_are_kebab_case() {
        assert_eq!(Operation::CreateScope.function_name(), "create-scope");
        assert_eq!(Operation::ListScopes.function_name(), "list-scopes");
    }
}
