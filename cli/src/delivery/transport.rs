//! HTTP to FusionAuth with ureq (rustls, one connection kept alive): the core's requests are
//! sent as they are, with the API key added; answers come back as status, body and
//! `Retry-After`, or as "no answer". Nothing here interprets a status.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cognito_fusionauth::delivery::{base_url, Answer, Method, Patience, Request, UrlProblem};
use ureq::{Agent, RequestBuilder};

/// The longest a look-up or a small write may take.
const NORMAL_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer read (a search of 1,000 users with their registrations).
const MAX_ANSWER: u64 = 1 << 30;

/// The API key: from `--api-key-file`, else from `FUSIONAUTH_API_KEY`. Never printed.
pub(crate) fn api_key(file: Option<&Path>) -> Result<String> {
    let key = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the API key file {}", path.display()))?,
        None => std::env::var("FUSIONAUTH_API_KEY").unwrap_or_default(),
    };
    let key = key.trim().to_owned();
    if key.is_empty() {
        bail!(
            "no API key: set FUSIONAUTH_API_KEY or pass --api-key-file (never on the command line)"
        );
    }
    if key.chars().any(|c| c.is_control()) {
        bail!("the API key holds control characters");
    }
    Ok(key)
}

/// A connection to one FusionAuth instance.
pub(crate) struct Transport {
    agent: Agent,
    base: String,
    key: String,
    long: Duration,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of every debug print.
        f.debug_struct("Transport")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport to `url`: HTTPS, or plain HTTP to a loopback address or with `allow_http`.
    pub(crate) fn new(
        url: &str,
        key: String,
        timeout_seconds: u64,
        allow_http: bool,
    ) -> Result<Self> {
        let base = base_url(url, allow_http).map_err(|problem| match problem {
            UrlProblem::PlainHttp(_) => anyhow::anyhow!(
                "{problem}. Use https://, or pass --allow-http if this network is trusted"
            ),
            other => other.into(),
        })?;
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            // A redirect is an answer the protocol does not expect, never followed: a 302 to a
            // maintenance page would turn a POST into a GET answering 200, and the key
            // would go to another host.
            .max_redirects(0)
            .timeout_global(Some(NORMAL_TIMEOUT))
            .user_agent(concat!("cognito-fusionauth/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Self {
            agent,
            base,
            key,
            long: Duration::from_secs(timeout_seconds),
        })
    }

    /// FusionAuth's base URL, normalised.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Sends one request and returns what came back.
    pub(crate) fn send(&self, request: &Request) -> Answer {
        let url = format!("{}{}", self.base, request.target());
        let timeout = match request.patience {
            Patience::Long => self.long,
            Patience::Normal => self.long.min(NORMAL_TIMEOUT),
        };
        let body = request.body.as_deref();
        let result = match (request.method, body) {
            (Method::Get, _) => self.prepare(self.agent.get(&url), request, timeout).call(),
            (Method::Post, body) => self
                .prepare(self.agent.post(&url), request, timeout)
                .send(body.unwrap_or_default()),
            (Method::Delete, Some(body)) => self
                .prepare(self.agent.delete(&url).force_send_body(), request, timeout)
                .send(body),
            (Method::Delete, None) => self
                .prepare(self.agent.delete(&url), request, timeout)
                .call(),
        };
        let mut response = match result {
            Ok(response) => response,
            Err(e) => {
                return Answer::NoAnswer {
                    reason: e.to_string(),
                }
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec();
        Answer::received(status, retry_after.as_deref(), body)
    }

    fn prepare<B>(
        &self,
        builder: RequestBuilder<B>,
        request: &Request,
        timeout: Duration,
    ) -> RequestBuilder<B> {
        let mut builder = builder.header("Authorization", &self.key);
        for (name, value) in request.headers() {
            builder = builder.header(name, &value);
        }
        builder.config().timeout_global(Some(timeout)).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_or_loopback_http_only() {
        let t = |url: &str, allow| Transport::new(url, "k".into(), 10, allow).map(|_| ());
        assert!(t("https://auth.example.com/", false).is_ok());
        assert!(t("http://127.0.0.1:9011", false).is_ok());
        assert!(t("http://localhost:9011", false).is_ok());
        assert!(t("http://[::1]:9011", false).is_ok());
        let e = t("http://auth.example.com", false).unwrap_err().to_string();
        assert!(e.contains("--allow-http"), "{e}");
        assert!(t("http://auth.example.com", true).is_ok());
        assert!(t("ftp://x", true).is_err());
        assert!(t("auth.example.com", false).is_err());
        assert!(!format!(
            "{:?}",
            Transport::new("https://a.io", "secret".into(), 1, false).unwrap()
        )
        .contains("secret"));
    }
}
