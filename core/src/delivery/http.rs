//! What the protocol asks a transport to send, and what the transport hands back.
//!
//! The transport adds only the API key (`Authorization`) and carries the bytes: everything
//! else — path, query, tenant header, body, how long to wait — is decided here.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

/// An HTTP method FusionAuth's delivery APIs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `DELETE` (with a JSON body for the bulk delete).
    Delete,
}

impl Method {
    /// `GET`, `POST` or `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

/// How long the transport waits for an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// A look-up or a small write: the transport's normal timeout.
    Normal,
    /// An import or a bulk delete, which FusionAuth does synchronously: the long timeout.
    Long,
}

/// One request to FusionAuth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path, from `/api/`.
    pub path: String,
    /// Query parameters, not yet encoded.
    pub query: Vec<(&'static str, String)>,
    /// The `X-FusionAuth-TenantId` header, sent on every call once the tenant is known.
    pub tenant_id: Option<String>,
    /// The JSON body, sent as is with `Content-Type: application/json`. Shared: an import
    /// file's bytes are not copied to be sent.
    pub body: Option<Arc<[u8]>>,
    /// How long to wait for the answer.
    pub patience: Patience,
}

impl Request {
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            tenant_id: None,
            body: None,
            patience: Patience::Normal,
        }
    }

    /// A request for one item of a collection: `/api/group/{id}`, the id percent-encoded.
    pub(crate) fn at(method: Method, collection: &str, id: &str) -> Self {
        Self::new(method, format!("{collection}/{}", segment(id)))
    }

    pub(crate) fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    pub(crate) fn json(mut self, body: &Value) -> Self {
        // Serializing a Value cannot fail.
        self.body = Some(serde_json::to_vec(body).unwrap_or_default().into());
        self
    }

    pub(crate) fn bytes(mut self, body: Arc<[u8]>) -> Self {
        self.body = Some(body);
        self
    }

    pub(crate) fn long(mut self) -> Self {
        self.patience = Patience::Long;
        self
    }

    /// The path with the encoded query string (`/api/user?email=a%40b.io`).
    pub fn target(&self) -> String {
        let mut out = self.path.clone();
        for (i, (name, value)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(name);
            out.push('=');
            encode_into(value, &mut out);
        }
        out
    }

    /// The headers to send besides `Authorization`.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("Accept", "application/json".to_owned())];
        if self.body.is_some() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        if let Some(tenant) = &self.tenant_id {
            headers.push(("X-FusionAuth-TenantId", tenant.clone()));
        }
        headers
    }

    /// `METHOD /path`, for messages (no query: it may hold an email).
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method.as_str(), self.path)
    }
}

/// Why a FusionAuth URL is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    /// No `scheme://`.
    NoScheme,
    /// A scheme other than `https` or `http`.
    Scheme(String),
    /// Plain HTTP to a host that is not this machine.
    PlainHttp(String),
    /// No host.
    NoHost(String),
    /// Not a URL a browser would read as written: a backslash, a space or a control
    /// character, or text a URL parser refuses.
    Unreadable(String),
    /// A user name or password before the host (`https://user@host`): a browser and a server
    /// may read such a URL's host differently, and credentials never go in the URL.
    UserInfo,
    /// A query or fragment: FusionAuth's base URL has neither.
    QueryOrFragment,
}

impl std::fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoScheme => write!(f, "the URL must start with https://"),
            Self::Scheme(s) => write!(f, "unsupported URL scheme {s}: use https://"),
            Self::PlainHttp(base) => write!(
                f,
                "{base} is plain HTTP: the API key and every user would cross the network unencrypted"
            ),
            Self::NoHost(base) => write!(f, "the URL {base} names no host"),
            Self::Unreadable(why) => write!(f, "the URL is not a plain https:// URL: {why}"),
            Self::UserInfo => write!(
                f,
                "the URL holds a user name or password before its host: give FusionAuth's URL alone \
                 (the API key is passed separately)"
            ),
            Self::QueryOrFragment => write!(
                f,
                "the URL holds a query (?) or fragment (#): give FusionAuth's base URL alone"
            ),
        }
    }
}

impl std::error::Error for UrlProblem {}

/// FusionAuth's base URL, normalised as a browser reads it (WHATWG URL parsing: lower-case
/// scheme and host, IDNA, default port dropped) and without a trailing `/`: HTTPS, or plain
/// HTTP to a loopback host (`localhost`, `127.0.0.1`, `[::1]`) or when `allow_http`. A path
/// is kept (FusionAuth behind a path prefix); user info, a query, a fragment, a backslash,
/// spaces and control characters are refused, so the host every front sends to is the host
/// the person read.
///
/// # Errors
/// The URL is not HTTP(S), names no host, holds user info, a query or a fragment, or is
/// plain HTTP elsewhere without `allow_http`.
pub fn base_url(url: &str, allow_http: bool) -> Result<String, UrlProblem> {
    let text = url.trim();
    if let Some(c) = text
        .chars()
        .find(|&c| c == '\\' || c.is_whitespace() || c.is_control())
    {
        return Err(UrlProblem::Unreadable(format!("it holds {c:?}")));
    }
    let (scheme, _) = text.split_once("://").ok_or(UrlProblem::NoScheme)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(UrlProblem::Scheme(scheme));
    }
    let parsed = match url::Url::parse(text) {
        Ok(parsed) => parsed,
        Err(url::ParseError::EmptyHost) => return Err(UrlProblem::NoHost(text.to_owned())),
        Err(e) => return Err(UrlProblem::Unreadable(e.to_string())),
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlProblem::UserInfo);
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(UrlProblem::QueryOrFragment);
    }
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(UrlProblem::NoHost(text.to_owned())),
    };
    let base = format!(
        "{}{}",
        parsed.origin().ascii_serialization(),
        parsed.path().trim_end_matches('/')
    );
    if parsed.scheme() == "http" && !allow_http && !is_loopback(&host) {
        return Err(UrlProblem::PlainHttp(base));
    }
    Ok(base)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// One segment of a request path: a FusionAuth id, percent-encoded whatever it holds, so no
/// value (`../user/bulk`) can change which endpoint a request reaches.
pub(crate) fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    encode_into(id, &mut out);
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_into(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The status [`Answer::redirect`] stands for: some redirect, which one unknown.
const REDIRECT: u16 = 300;

/// What came back for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP answer.
    Status {
        /// The status code.
        status: u16,
        /// The body (empty for FusionAuth's 401, 404 and bare 500).
        body: Vec<u8>,
        /// `Retry-After` in seconds, when sent and readable.
        retry_after: Option<u64>,
    },
    /// No answer: the connection failed, dropped, or the timeout passed. Whether the request
    /// took effect is unknown.
    NoAnswer {
        /// What happened, for the report.
        reason: String,
    },
}

impl Answer {
    /// An answer with that status and body.
    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Status {
            status,
            body: body.into(),
            retry_after: None,
        }
    }

    /// A redirect the transport did not follow and could not read (a browser's opaque
    /// redirect): a 3xx, never success.
    pub fn redirect() -> Self {
        Self::status(REDIRECT, "")
    }

    /// An answer as a transport read it: the status, the `Retry-After` header's text when it
    /// could read one, and the body, or why reading it failed (then nobody knows what the
    /// request did: no answer).
    pub fn received<E: std::fmt::Display>(
        status: u16,
        retry_after: Option<&str>,
        body: Result<Vec<u8>, E>,
    ) -> Self {
        match body {
            Ok(body) => Self::Status {
                status,
                body,
                retry_after: retry_after.and_then(|v| v.trim().parse().ok()),
            },
            Err(e) => Self::NoAnswer {
                reason: format!("the answer ({status}) was cut off: {e}"),
            },
        }
    }

    pub(crate) fn code(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::NoAnswer { .. } => None,
        }
    }

    pub(crate) fn json(&self) -> Option<Value> {
        match self {
            Self::Status { body, .. } => serde_json::from_slice(body).ok(),
            Self::NoAnswer { .. } => None,
        }
    }

    /// Worth sending again as is: throttled, a gateway or the search index unavailable, or
    /// no answer at all.
    pub(crate) fn transient(&self) -> bool {
        matches!(self.code(), None | Some(429 | 502 | 503 | 504))
    }

    /// A 3xx: a redirect the transport did not follow.
    pub(crate) fn is_redirect(&self) -> bool {
        self.code().is_some_and(|c| (300..400).contains(&c))
    }

    /// The status and FusionAuth's errors, for reports: `400 [duplicate]user.email: A User…`.
    pub fn describe(&self) -> String {
        match self {
            Self::NoAnswer { reason } => format!("no answer ({reason})"),
            Self::Status { status, .. } if (300..400).contains(status) => {
                format!("{status} (a redirect, which this tool never follows)")
            }
            Self::Status { status, body, .. } => {
                let errors = ApiErrors::parse(body);
                if errors.is_empty() {
                    format!("{status}")
                } else {
                    format!("{status} {}", errors.describe())
                }
            }
        }
    }
}

/// FusionAuth's `Errors` body: field errors and general errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiErrors {
    /// `(field, code, message)`.
    pub fields: Vec<(String, String, String)>,
    /// `(code, message)`.
    pub general: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ErrorsBody {
    #[serde(default)]
    field_errors: std::collections::BTreeMap<String, Vec<ErrorEntry>>,
    #[serde(default)]
    general_errors: Vec<ErrorEntry>,
}

impl ApiErrors {
    /// The errors in a body; none when it is empty or not an `Errors` object.
    pub fn parse(body: &[u8]) -> Self {
        let parsed: ErrorsBody = serde_json::from_slice(body).unwrap_or_default();
        Self {
            fields: parsed
                .field_errors
                .into_iter()
                .flat_map(|(field, list)| {
                    list.into_iter()
                        .map(move |e| (field.clone(), e.code, e.message))
                })
                .collect(),
            general: parsed
                .general_errors
                .into_iter()
                .map(|e| (e.code, e.message))
                .collect(),
        }
    }

    /// No error found.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    /// True when a general error has this code (`[TenantIdRequired]`).
    pub fn has_general(&self, code: &str) -> bool {
        self.general.iter().any(|(c, _)| c == code)
    }

    /// `code: message; code: message`.
    pub fn describe(&self) -> String {
        let fields = self.fields.iter().map(|(_, c, m)| format!("{c}: {m}"));
        let general = self.general.iter().map(|(c, m)| format!("{c}: {m}"));
        fields.chain(general).collect::<Vec<_>>().join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_or_loopback_http_only() {
        assert_eq!(
            base_url(" https://auth.example.com/ ", false),
            Ok("https://auth.example.com".into())
        );
        for url in [
            "http://127.0.0.1:9011",
            "http://localhost:9011/",
            "http://[::1]:9011",
            "HTTP://127.0.0.1",
        ] {
            assert!(base_url(url, false).is_ok(), "{url}");
        }
        assert!(matches!(
            base_url("http://auth.example.com", false),
            Err(UrlProblem::PlainHttp(_))
        ));
        assert!(base_url("http://auth.example.com", true).is_ok());
        assert_eq!(
            base_url("ftp://x", true),
            Err(UrlProblem::Scheme("ftp".into()))
        );
        assert_eq!(
            base_url("auth.example.com", false),
            Err(UrlProblem::NoScheme)
        );
        assert!(matches!(
            base_url("https://", false),
            Err(UrlProblem::NoHost(_))
        ));
        // As a browser reads it: the slashes before a host are not a missing host.
        assert_eq!(base_url("https:///api", false), Ok("https://api".into()));
    }

    #[test]
    fn urls_are_read_as_a_browser_reads_them() {
        assert_eq!(
            base_url("HTTPS://Auth.Example.COM:443/fa/", false),
            Ok("https://auth.example.com/fa".into())
        );
        assert_eq!(
            base_url("http://LOCALHOST:9011", false),
            Ok("http://localhost:9011".into())
        );
        assert_eq!(
            base_url("https://user:pw@auth.example.com", false),
            Err(UrlProblem::UserInfo)
        );
        assert_eq!(
            base_url("https://auth.example.com@evil.example", false),
            Err(UrlProblem::UserInfo)
        );
        for bad in [
            "https://auth.example.com\\@evil.example",
            "https://auth.example.com /x",
            "https://auth.exa\u{7}mple.com",
        ] {
            assert!(
                matches!(base_url(bad, false), Err(UrlProblem::Unreadable(_))),
                "{bad}"
            );
        }
        assert_eq!(
            base_url("https://auth.example.com/?a=1", false),
            Err(UrlProblem::QueryOrFragment)
        );
        assert_eq!(
            base_url("https://auth.example.com/#x", false),
            Err(UrlProblem::QueryOrFragment)
        );
        // A host only a lax reader takes for loopback is not loopback.
        assert!(matches!(
            base_url("http://127.0.0.1.evil.example", false),
            Err(UrlProblem::PlainHttp(_))
        ));
        assert_eq!(
            base_url("http://0x7f.1:9011", false),
            Ok("http://127.0.0.1:9011".into())
        );
        assert_eq!(segment("../user/bulk"), "..%2Fuser%2Fbulk");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        let r = Request::new(Method::Get, "/api/user").query("email", "a+b@x.io");
        assert_eq!(r.target(), "/api/user?email=a%2Bb%40x.io");
        assert_eq!(r.endpoint(), "GET /api/user");
    }

    #[test]
    fn errors_bodies_parse_and_describe() {
        let body = br#"{"fieldErrors":{"user.email":[{"code":"[duplicate]user.email","message":"A User with email [a@x.io] already exists."}]},"generalErrors":[{"code":"[TenantIdRequired]","message":"A Tenant Id is required."}]}"#;
        let errors = ApiErrors::parse(body);
        assert_eq!(errors.fields[0].1, "[duplicate]user.email");
        assert!(errors.has_general("[TenantIdRequired]"));
        assert!(ApiErrors::parse(b"").is_empty());
        assert_eq!(Answer::status(500, "").describe(), "500");
        assert!(Answer::status(503, "").transient());
        assert!(!Answer::status(500, "").transient());
    }
}
