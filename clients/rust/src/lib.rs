//! Sign AWS SDK for Rust requests for this API's deployed endpoint.
//!
//! API Gateway's IAM authorisation checks SigV4 signatures made for the service name
//! `execute-api`, while each SDK client signs with its own (`networkflowmonitor`, `es`,
//! `macie2`). Add [`SignForExecuteApi`] to a client's config and it signs for `execute-api`
//! instead, in the client's Region:
//!
//! ```no_run
//! # async fn example(api_url: &str) {
//! let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//! let config = aws_sdk_networkflowmonitor::config::Builder::from(&sdk)
//!     .endpoint_url(api_url) // the stack's ApiUrl output, stage included
//!     .interceptor(execute_api_signing::SignForExecuteApi)
//!     .build();
//! let nfm = aws_sdk_networkflowmonitor::Client::from_conf(config);
//! # let _ = nfm;
//! # }
//! ```

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_types::SigningName;

/// The SigV4 service name API Gateway checks.
pub const SIGNING_NAME: &str = "execute-api";

/// An interceptor that overrides the signing name with `execute-api` just before signing.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignForExecuteApi;

impl Intercept for SignForExecuteApi {
    fn name(&self) -> &'static str {
        "SignForExecuteApi"
    }

    fn modify_before_signing(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(SigningName::from_static(SIGNING_NAME));
        Ok(())
    }
}
