//! The route table: the one place where operations, methods and paths are declared.
//!
//! The local server routes with it, each Lambda checks its own entry, and a test holds
//! `template.yaml` to exactly this set.

use percent_encoding::percent_decode_str;

use crate::error::ApiError;

/// The AWS service whose model an operation follows (its error statuses differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    NetworkFlowMonitor,
    OpenSearch,
    Macie,
}

/// Every operation this API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    CreateScope,
    UpdateScope,
    GetScope,
    ListScopes,
    DeleteScope,
    UpdatePackageScope,
    CreatePackage,
    DescribePackages,
    DeletePackage,
    BatchUpdateAutomatedDiscoveryAccounts,
    ListAutomatedDiscoveryAccounts,
    EnableMacie,
    GetMacieSession,
    UpdateMacieSession,
    CreateMember,
    GetMember,
    DeleteMember,
    UpdateMemberSession,
}

/// One operation's method and path template (`{label}` segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub operation: Operation,
    pub method: &'static str,
    pub path: &'static str,
}

/// All routes, one per operation.
pub const ROUTES: &[Route] = &[
    Operation::CreateScope.route(),
    Operation::UpdateScope.route(),
    Operation::GetScope.route(),
    Operation::ListScopes.route(),
    Operation::DeleteScope.route(),
    Operation::UpdatePackageScope.route(),
    Operation::CreatePackage.route(),
    Operation::DescribePackages.route(),
    Operation::DeletePackage.route(),
    Operation::BatchUpdateAutomatedDiscoveryAccounts.route(),
    Operation::ListAutomatedDiscoveryAccounts.route(),
    Operation::EnableMacie.route(),
    Operation::GetMacieSession.route(),
    Operation::UpdateMacieSession.route(),
    Operation::CreateMember.route(),
    Operation::GetMember.route(),
    Operation::DeleteMember.route(),
    Operation::UpdateMemberSession.route(),
];

impl Operation {
    pub const ALL: &'static [Operation] = &[
        Operation::CreateScope,
        Operation::UpdateScope,
        Operation::GetScope,
        Operation::ListScopes,
        Operation::DeleteScope,
        Operation::UpdatePackageScope,
        Operation::CreatePackage,
        Operation::DescribePackages,
        Operation::DeletePackage,
        Operation::BatchUpdateAutomatedDiscoveryAccounts,
        Operation::ListAutomatedDiscoveryAccounts,
        Operation::EnableMacie,
        Operation::GetMacieSession,
        Operation::UpdateMacieSession,
        Operation::CreateMember,
        Operation::GetMember,
        Operation::DeleteMember,
        Operation::UpdateMemberSession,
    ];

    /// The operation's name in the AWS model, e.g. `CreateScope`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateScope => "CreateScope",
            Operation::UpdateScope => "UpdateScope",
            Operation::GetScope => "GetScope",
            Operation::ListScopes => "ListScopes",
            Operation::DeleteScope => "DeleteScope",
            Operation::UpdatePackageScope => "UpdatePackageScope",
            Operation::CreatePackage => "CreatePackage",
            Operation::DescribePackages => "DescribePackages",
            Operation::DeletePackage => "DeletePackage",
            Operation::BatchUpdateAutomatedDiscoveryAccounts => "BatchUpdateAutomatedDiscoveryAccounts",
            Operation::ListAutomatedDiscoveryAccounts => "ListAutomatedDiscoveryAccounts",
            Operation::EnableMacie => "EnableMacie",
            Operation::GetMacieSession => "GetMacieSession",
            Operation::UpdateMacieSession => "UpdateMacieSession",
            Operation::CreateMember => "CreateMember",
            Operation::GetMember => "GetMember",
            Operation::DeleteMember => "DeleteMember",
            Operation::UpdateMemberSession => "UpdateMemberSession",
        }
    }

    /// The Lambda function's crate and binary name, e.g. `create-scope`.
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

    pub fn service(self) -> Service {
        match self {
            Operation::CreateScope
            | Operation::UpdateScope
            | Operation::GetScope
            | Operation::ListScopes
            | Operation::DeleteScope => Service::NetworkFlowMonitor,
            Operation::UpdatePackageScope
            | Operation::CreatePackage
            | Operation::DescribePackages
            | Operation::DeletePackage => Service::OpenSearch,
            Operation::BatchUpdateAutomatedDiscoveryAccounts
            | Operation::ListAutomatedDiscoveryAccounts
            | Operation::EnableMacie
            | Operation::GetMacieSession
            | Operation::UpdateMacieSession
            | Operation::CreateMember
            | Operation::GetMember
            | Operation::DeleteMember
            | Operation::UpdateMemberSession => Service::Macie,
        }
    }

    /// The operation's method and path template.
    pub const fn route(self) -> Route {
        let (method, path) = match self {
            Operation::CreateScope => ("POST", "/scopes"),
            Operation::UpdateScope => ("PATCH", "/scopes/{scopeId}"),
            Operation::GetScope => ("GET", "/scopes/{scopeId}"),
            Operation::ListScopes => ("GET", "/scopes"),
            Operation::DeleteScope => ("DELETE", "/scopes/{scopeId}"),
            Operation::UpdatePackageScope => ("POST", "/2021-01-01/packages/updateScope"),
            Operation::CreatePackage => ("POST", "/2021-01-01/packages"),
            Operation::DescribePackages => ("POST", "/2021-01-01/packages/describe"),
            Operation::DeletePackage => ("DELETE", "/2021-01-01/packages/{PackageID}"),
            Operation::BatchUpdateAutomatedDiscoveryAccounts => ("PATCH", "/automated-discovery/accounts"),
            Operation::ListAutomatedDiscoveryAccounts => ("GET", "/automated-discovery/accounts"),
            Operation::EnableMacie => ("POST", "/macie"),
            Operation::GetMacieSession => ("GET", "/macie"),
            Operation::UpdateMacieSession => ("PATCH", "/macie"),
            Operation::CreateMember => ("POST", "/members"),
            Operation::GetMember => ("GET", "/members/{id}"),
            Operation::DeleteMember => ("DELETE", "/members/{id}"),
            Operation::UpdateMemberSession => ("PATCH", "/macie/members/{id}"),
        };
        Route { operation: self, method, path }
    }
}

/// Decoded values of a route's `{label}` segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams(Vec<(&'static str, String)>);

impl PathParams {
    pub fn new(params: Vec<(&'static str, String)>) -> Self {
        Self(params)
    }

    /// The label's value; a missing label reads as empty (the operation then rejects it).
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
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
        Some(PathParams(params))
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
