//! The core's delivery requests carried by `fetch` (gloo-net), from the worker: the request
//! as the core built it plus the API key; the answer as status, body and `Retry-After` (when
//! FusionAuth's CORS settings expose it), or "no answer". Nothing here decides what a status
//! means: the core's session does.

use cognito_fusionauth::delivery::{Answer, Method, Patience, Request};
use gloo_net::http::{Method as HttpMethod, RequestBuilder};
use js_sys::{Array, Uint8Array};
use web_sys::{
    AbortSignal, ReferrerPolicy, RequestCache, RequestCredentials, RequestRedirect, ResponseType,
};

use crate::protocol::ApiKey;

/// The longest a look-up or a small write may take.
const NORMAL_TIMEOUT_MS: u32 = 60_000;
/// The longest an import or a bulk delete may take (FusionAuth does them synchronously).
const LONG_TIMEOUT_MS: u32 = 15 * 60_000;

/// Requests to one FusionAuth.
pub(super) struct Fetch {
    base: String,
    key: ApiKey,
}

impl Fetch {
    /// Requests to `base` (checked by the core's `base_url`) with `key`.
    pub(super) fn new(base: String, key: ApiKey) -> Self {
        Self { base, key }
    }

    /// Sends `request`; a refused connection, a CORS refusal, a timeout and `stop` are all
    /// [`Answer::NoAnswer`] (the browser does not tell them apart).
    pub(super) async fn send(&self, request: &Request, stop: &AbortSignal) -> Answer {
        let url = format!("{}{}", self.base, request.target());
        let timeout = match request.patience {
            Patience::Normal => NORMAL_TIMEOUT_MS,
            Patience::Long => LONG_TIMEOUT_MS,
        };
        let signal = AbortSignal::any(&Array::of2(&AbortSignal::timeout_with_u32(timeout), stop));
        let mut builder = RequestBuilder::new(&url)
            .method(match request.method {
                Method::Get => HttpMethod::GET,
                Method::Post => HttpMethod::POST,
                Method::Delete => HttpMethod::DELETE,
            })
            // No cookie, no cache, no referrer: only what the core built, and the key.
            .credentials(RequestCredentials::Omit)
            .cache(RequestCache::NoStore)
            .referrer_policy(ReferrerPolicy::NoReferrer)
            // A redirect is never followed: the browser hands it back unread (an opaque
            // redirect) and the core takes it as an answer it does not expect.
            .redirect(RequestRedirect::Manual)
            .abort_signal(Some(&signal))
            .header("Authorization", &self.key.0);
        for (name, value) in request.headers() {
            builder = builder.header(name, &value);
        }
        let built = match &request.body {
            Some(body) => builder.body(Uint8Array::from(&body[..])),
            None => builder.build(),
        };
        let response = match built {
            Ok(built) => built.send().await,
            Err(e) => return no_answer(e),
        };
        let response = match response {
            Ok(response) => response,
            Err(e) => return no_answer(e),
        };
        if response.type_() == ResponseType::Opaqueredirect {
            return Answer::redirect();
        }
        let retry_after = response.headers().get("retry-after");
        let body = response.binary().await;
        Answer::received(response.status(), retry_after.as_deref(), body)
    }
}

fn no_answer(error: gloo_net::Error) -> Answer {
    Answer::NoAnswer {
        reason: error.to_string(),
    }
}
