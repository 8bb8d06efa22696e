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

/// The longest `Location` followed (64 KiB): a server's header is never
/// taken whole into a URL or a message beyond that.
pub const MAX_LOCATION: usize = 64 * 1024;

/// Where a redirect's `Location` leads from `from`, or why it is not
/// followed (it is too long, it does not parse, or it is not an `http` or
/// `https` URL), in words that follow "redirect".
///
/// ```
/// use chaosprom_http::{Url, header::HeaderValue, redirect::next_url};
///
/// let from = Url::parse("http://prom:9090/api/v1/query?query=up").unwrap();
/// let next = next_url(&from, &HeaderValue::from_static("/prom/api/v1/query?query=up")).unwrap();
/// assert_eq!(next.as_str(), "http://prom:9090/prom/api/v1/query?query=up");
/// let err = next_url(&from, &HeaderValue::from_static("ftp://prom/x")).unwrap_err();
/// assert_eq!(err, "to ftp://prom/x, which is not an http or https URL");
/// ```
pub fn next_url(from: &Url, location: &HeaderValue) -> Result<Url, String> {
    let location = String::from_utf8_lossy(location.as_bytes());
    if location.len() > MAX_LOCATION {
        return Err(format!(
            "to a location of {} bytes (at most {MAX_LOCATION} are followed)",
            location.len()
        ));
    }
    let next = from.join(&location).map_err(|e| {
        format!(
            "to an invalid location '{}': {e}",
            shorten(&crate::redact(&location))
        )
    })?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(format!(
            "to {}, which is not an http or https URL",
            shorten(&crate::redact(next.as_str()))
        ));
    }
    Ok(next)
}

/// A URL as a message shows it: at most 300 characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_that_are_not_followed_say_why_briefly() {
        let from = Url::parse("http://prom/api/v1/query?query=up").unwrap();
        let at = |bytes: &[u8]| next_url(&from, &HeaderValue::from_bytes(bytes).unwrap());
        let long = format!("/{}", "a".repeat(MAX_LOCATION));
        assert_eq!(
            at(long.as_bytes()).unwrap_err(),
            "to a location of 65537 bytes (at most 65536 are followed)"
        );
        let err = at(b"http://[::1").unwrap_err();
        assert_eq!(
            err,
            "to an invalid location 'http://[::1': invalid IPv6 address"
        );
        let err = at(format!("mailto:{}", "x".repeat(1000)).as_bytes()).unwrap_err();
        assert!(
            err.ends_with("…, which is not an http or https URL") && err.len() < 400,
            "{err}"
        );
        // Bytes that are not UTF-8 become U+FFFD, percent-encoded in the path.
        assert_eq!(at(b"/\x80").unwrap().as_str(), "http://prom/%EF%BF%BD");
        assert_eq!(
            at(b"//other:9090/x").unwrap().as_str(),
            "http://other:9090/x"
        );
    }

    #[test]
    fn the_method_after_a_redirect_is_requests_one() {
        assert_eq!(method_after(301, &Method::POST), (Method::GET, false));
        assert_eq!(method_after(301, &Method::PUT), (Method::PUT, false));
        assert_eq!(method_after(302, &Method::PUT), (Method::GET, false));
        assert_eq!(method_after(303, &Method::HEAD), (Method::HEAD, false));
        assert_eq!(method_after(307, &Method::POST), (Method::POST, true));
        assert_eq!(method_after(308, &Method::DELETE), (Method::DELETE, true));
    }
}
