//! The Cognito client: the standard credential chain, the Region, an optional endpoint, and no
//! retries of the SDK's own (the export paces and retries itself, and counts the retries).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::timeout::TimeoutConfig;
use aws_sdk_cognitoidentityprovider::config::Region;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use super::retry::{Failure, GaveUp};

/// Where and as whom to call Cognito.
#[derive(Debug)]
pub(crate) struct Connection<'a> {
    /// The pool; its id starts with its Region.
    pub(crate) user_pool_id: &'a str,
    /// `--region`.
    pub(crate) region: Option<&'a str>,
    /// `--profile`.
    pub(crate) profile: Option<&'a str>,
    /// `--endpoint-url`.
    pub(crate) endpoint_url: Option<&'a str>,
}

/// Builds the client: credentials from the standard chain (environment, profile, SSO, process,
/// container and instance roles), the Region from `--region`, else from the pool id, else from
/// the chain.
pub(crate) async fn client(connection: &Connection<'_>) -> Client {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https);
    if let Some(region) = connection
        .region
        .or_else(|| region_of(connection.user_pool_id))
    {
        loader = loader.region(Region::new(region.to_owned()));
    }
    if let Some(profile) = connection.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = connection.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let shared = loader.load().await;
    let config = aws_sdk_cognitoidentityprovider::config::Builder::from(&shared)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// The Region a pool id starts with (`us-east-1` of `us-east-1_AbCdEf123`).
fn region_of(user_pool_id: &str) -> Option<&str> {
    let (region, _) = user_pool_id.split_once('_')?;
    let looks_like_region = region.split('-').count() >= 3
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    looks_like_region.then_some(region)
}

/// Error codes Cognito and the AWS front door use for throttling.
const THROTTLING_CODES: &[&str] = &[
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
];

/// What an SDK error means for retrying.
pub(crate) fn classify<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Failure {
    match error {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => Failure::Transient,
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            Failure::Transient
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code();
            if code.is_some_and(|c| THROTTLING_CODES.contains(&c)) || status == 429 {
                Failure::Throttled
            } else if status >= 500 || code == Some("InternalErrorException") {
                Failure::Transient
            } else {
                Failure::Fatal
            }
        }
        _ => Failure::Fatal,
    }
}

/// Whether ListUsers refused the pagination token it was sent (an expired or foreign token):
/// Cognito says `InvalidParameterException`; moto says `InvalidToken`.
pub(crate) fn rejects_token<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::ServiceError(service) => matches!(
            service.err().code(),
            Some("InvalidParameterException" | "InvalidToken" | "InvalidPaginationTokenException")
        ),
        _ => false,
    }
}

/// The error of a request that failed for good, naming the request.
pub(crate) fn failed<E>(request: &str, gave_up: GaveUp<SdkError<E, HttpResponse>>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    anyhow::Error::msg(describe(&gave_up.error)).context(format!(
        "{request} failed after {} attempt(s)",
        gave_up.attempts
    ))
}

/// `TooManyRequestsException: Rate exceeded (HTTP 400)` for a service's answer; the SDK's
/// whole error chain otherwise (no connection, no credentials, a timeout).
pub(crate) fn describe<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(service) => format!(
            "{}: {} (HTTP {})",
            service.err().code().unwrap_or("unknown error"),
            service.err().message().unwrap_or("no message"),
            service.raw().status().as_u16()
        ),
        _ => DisplayErrorContext(error).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::region_of;

    #[test]
    fn the_region_comes_from_the_pool_id() {
        assert_eq!(region_of("us-east-1_AbCdEf123"), Some("us-east-1"));
        assert_eq!(region_of("ap-southeast-2_x"), Some("ap-southeast-2"));
        assert_eq!(region_of("us-gov-west-1_x"), Some("us-gov-west-1"));
        assert_eq!(region_of("AbCdEf123"), None);
        assert_eq!(region_of("local_x"), None);
    }
}
