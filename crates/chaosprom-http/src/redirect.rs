//! Redirects as Python's requests follows them, for the clients above the
//! transport that follow them (the Prometheus API client, the runner's
//! HTTP provider): which answers are redirects, what the next request's
//! method is, and where credentials may go.

use http::Method;
use http::header::{HeaderValue, LOCATION};
use url::Url;

use crate::Response;

/// How many redirects are followed, as requests follows them.
pub const MAX_REDIRECTS: usize = 30;

/// The `Location` of a redirect (301, 302, 303, 307 or 308), if the
/// answer is one.
pub fn location(answer: &Response) -> Option<&HeaderValue> {
    match answer.status().as_u16() {
        301 | 302 | 303 | 307 | 308 => answer.headers().get(LOCATION),
        _ => None,
    }
}

/// The method of the request after a redirect of `status`, and whether it
/// keeps the body, as requests' `rebuild_method` decides: 307 and 308
/// keep both; 302 and 303 make any method but HEAD a GET, and 301 a POST
/// a GET, without the body.
pub fn method_after(status: u16, method: &Method) -> (Method, bool) {
    if matches!(status, 307 | 308) {
        return (method.clone(), true);
    }
    let get = (matches!(status, 302 | 303) && *method != Method::HEAD)
        || (status == 301 && *method == Method::POST);
    (if get { Method::GET } else { method.clone() }, false)
}

/// Whether requests keeps `Authorization` on a redirect from `from` to
/// `to` (the opposite of its `should_strip_auth`): the same host, scheme
/// and port, or the same host from `http` to `https` on the default
/// ports.
///
/// ```
/// use chaosprom_http::{Url, redirect::keeps_credentials};
///
/// let at = |s: &str| Url::parse(s).unwrap();
/// assert!(keeps_credentials(&at("http://prom/a"), &at("https://prom/b")));
/// assert!(!keeps_credentials(&at("http://prom:9090/"), &at("https://prom:9090/")));
/// assert!(!keeps_credentials(&at("https://prom/"), &at("https://elsewhere/")));
/// ```
pub fn keeps_credentials(from: &Url, to: &Url) -> bool {
    if from.host_str() != to.host_str() {
        return false;
    }
    let upgrade = from.scheme() == "http"
        && to.scheme() == "https"
        && matches!(from.port(), None | Some(80))
        && matches!(to.port(), None | Some(443));
    upgrade
        || (from.scheme() == to.scheme()
            && from.port_or_known_default() == to.port_or_known_default())
}
