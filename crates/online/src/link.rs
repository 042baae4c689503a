//! Request links: what a person pastes, and the rule that only https leaves this computer.

use std::fmt;

use tessera_protocol::inbox::is_loopback;
use url::Url;

use crate::OnlineError;

/// A link to a brand's published request: `https://…/v1/requests/{jti}` or
/// `tessera://request?request_uri=<that URL, percent-encoded>` (docs/PROTOCOL.md §12.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLink {
    url: Url,
}

impl RequestLink {
    /// Reads a pasted link (white space around it is ignored).
    pub fn parse(text: &str) -> Result<RequestLink, OnlineError> {
        let text = text.trim();
        let bad = |detail: &str| OnlineError::BadLink { detail: detail.to_owned() };
        let url = Url::parse(text).map_err(|e| OnlineError::BadLink { detail: e.to_string() })?;
        let url = match url.scheme() {
            "tessera" => {
                if url.host_str() != Some("request") {
                    return Err(bad("a tessera:// link must be tessera://request?request_uri=…"));
                }
                let mut inner = url.query_pairs().filter(|(name, _)| name == "request_uri").map(|(_, v)| v);
                let (Some(inner), None) = (inner.next(), inner.next()) else {
                    return Err(bad("a tessera:// link carries exactly one request_uri"));
                };
                let inner = Url::parse(&inner).map_err(|e| OnlineError::BadLink { detail: e.to_string() })?;
                if !matches!(inner.scheme(), "https" | "http") {
                    return Err(bad("its request_uri is not an https link"));
                }
                inner
            }
            "https" | "http" => url,
            other => return Err(OnlineError::BadLink { detail: format!("the scheme {other}: is not a request link") }),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("it carries a user name or password"));
        }
        if url.host().is_none() {
            return Err(bad("it names no host"));
        }
        check_secure(&url)?;
        let mut url = url;
        url.set_fragment(None);
        Ok(RequestLink { url })
    }

    /// Whether `text` looks like a link rather than a file name.
    pub fn looks_like_link(text: &str) -> bool {
        let text = text.trim_start();
        let scheme = text.split_once(':').map(|(scheme, _)| scheme).unwrap_or_default();
        let is_scheme = scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        is_scheme && (text[scheme.len()..].starts_with("://") || scheme.eq_ignore_ascii_case("tessera"))
    }

    /// The https (or loopback http) URL the request is fetched from.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The host (and port, when not the default) the request is fetched from.
    pub fn host(&self) -> String {
        host_of(&self.url)
    }
}

impl fmt::Display for RequestLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

/// TLS is required except to this computer (127.0.0.0/8, ::1, localhost).
pub(crate) fn check_secure(url: &Url) -> Result<(), OnlineError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(OnlineError::Insecure { host: host_of(url) }),
        other => Err(OnlineError::BadLink { detail: format!("the scheme {other}: is not https") }),
    }
}

/// `host` or `host:port` of a URL, as shown to the person.
pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => url.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_tessera_links_name_the_same_request() {
        let https = RequestLink::parse(" https://inbox.maison.example/v1/requests/r1 \n").unwrap();
        let tessera =
            RequestLink::parse("tessera://request?request_uri=https%3A%2F%2Finbox.maison.example%2Fv1%2Frequests%2Fr1")
                .unwrap();
        assert_eq!(https, tessera);
        assert_eq!(https.host(), "inbox.maison.example");
        let local = RequestLink::parse("http://127.0.0.1:4000/v1/requests/r1").unwrap();
        assert_eq!(local.host(), "127.0.0.1:4000");
        assert!(RequestLink::parse("http://[::1]:4000/v1/requests/r1").is_ok());
        assert!(RequestLink::parse("http://localhost/v1/requests/r1").is_ok());
    }

    #[test]
    fn plain_http_elsewhere_and_other_shapes_are_refused_by_name() {
        for (link, code) in [
            ("http://inbox.maison.example/v1/requests/r1", "insecure_link"),
            ("http://10.0.0.2/v1/requests/r1", "insecure_link"),
            ("tessera://request?request_uri=http%3A%2F%2Fexample.com%2Fr", "insecure_link"),
            ("ftp://example.com/r", "bad_link"),
            ("tessera://packet?request_uri=https%3A%2F%2Fexample.com%2Fr", "bad_link"),
            ("tessera://request?other=1", "bad_link"),
            (
                "tessera://request?request_uri=https%3A%2F%2Fa.example%2F&request_uri=https%3A%2F%2Fb.example%2F",
                "bad_link",
            ),
            ("https://ana:pw@example.com/r", "bad_link"),
            ("request.tessera-request", "bad_link"),
        ] {
            assert_eq!(RequestLink::parse(link).unwrap_err().code(), code, "{link}");
        }
        assert!(RequestLink::looks_like_link("HTTPS://x"));
        assert!(RequestLink::looks_like_link("tessera://request?x"));
        assert!(RequestLink::looks_like_link("ftp://example.com/r"));
        assert!(!RequestLink::looks_like_link("./request.tessera-request"));
        assert!(!RequestLink::looks_like_link("C:\\requests\\r.tessera-request"));
        assert!(!RequestLink::looks_like_link("notes: r.tessera-request"));
    }
}
