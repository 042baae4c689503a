//! The HTTP binding of an exchange: where a brand's inbox is, and what crosses it.
//!
//! A request may name the URL its packets are POSTed to, `response_uri` (OpenID for Verifiable
//! Presentations' name, with its `direct_post` response mode). Every other endpoint of the inbox
//! is derived from it by replacing its final path segment, `packets`:
//!
//! | what | method and URL | body sent | answer |
//! |---|---|---|---|
//! | a published request | `GET <base>/v1/requests/{request_jti}` | — | the request JWS |
//! | a packet | `POST <base>/v1/packets` (the `response_uri`) | the packet file (age) | [`PacketAcknowledgement`] |
//! | a revocation | `POST <base>/v1/revocations` | the revocation JWS | the deletion receipt JWS |
//! | a receipt again | `GET <base>/v1/receipts/{packet_jti}` | — | the deletion receipt JWS |
//!
//! Errors are a JSON [`ErrorBody`]. The bodies are the very bytes of the files: files and HTTP
//! never diverge. This module only says what the URLs and bodies are; it opens no socket.
//!
//! `response_uri` rules (see [`check_response_uri`]): an absolute URL written as the WHATWG URL
//! standard writes it, at most [`MAX_RESPONSE_URI_BYTES`]; `https`, or `http` only to a loopback
//! host; no user name or password, no query, no fragment; its path ends with `/packets`.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::{Artifact, ProtocolError};

/// Longest `response_uri`, in bytes.
pub const MAX_RESPONSE_URI_BYTES: usize = 2048;

/// The path a `response_uri` has below the inbox's base URL.
pub const PACKETS_PATH: &str = "v1/packets";

/// Content type of a request JWS over HTTP.
pub const REQUEST_CONTENT_TYPE: &str = "application/tessera-request+jwt";
/// Content type of a packet file over HTTP (the age file, as on disk).
pub const PACKET_CONTENT_TYPE: &str = "application/octet-stream";
/// Content type of a revocation JWS over HTTP.
pub const REVOCATION_CONTENT_TYPE: &str = "application/tessera-revocation+jwt";
/// Content type of a deletion receipt JWS over HTTP.
pub const RECEIPT_CONTENT_TYPE: &str = "application/tessera-receipt+jwt";

/// What is wrong with a `response_uri` (or with an inbox URL a brand gives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriProblem {
    TooLong,
    /// Not an absolute URL.
    NotAUrl(String),
    /// Not written the way the URL standard writes it (`found` → `canonical`).
    NotCanonical {
        canonical: String,
    },
    /// `http` to a host that is not loopback, or another scheme.
    Insecure {
        scheme: String,
    },
    UserInfo,
    Query,
    Fragment,
    /// The path does not end with `/packets`.
    NotPackets,
}

impl fmt::Display for UriProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriProblem::TooLong => write!(f, "is longer than {MAX_RESPONSE_URI_BYTES} bytes"),
            UriProblem::NotAUrl(e) => write!(f, "is not an absolute URL ({e})"),
            UriProblem::NotCanonical { canonical } => {
                write!(f, "is not written in the URL standard's form; it would be {canonical:?}")
            }
            UriProblem::Insecure { scheme } if scheme == "http" => {
                f.write_str("uses plain http to a host that is not this computer; use https")
            }
            UriProblem::Insecure { scheme } => write!(f, "uses the scheme {scheme:?}; an inbox is https"),
            UriProblem::UserInfo => f.write_str("carries a user name or password"),
            UriProblem::Query => f.write_str("has a query (?…)"),
            UriProblem::Fragment => f.write_str("has a fragment (#…)"),
            UriProblem::NotPackets => {
                write!(f, "does not end with /packets (an inbox's packets are at <base>/{PACKETS_PATH})")
            }
        }
    }
}

/// Whether `url`'s host is this computer: `localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The rules every inbox URL obeys, whether a `response_uri` or a base: https (or http to
/// loopback), no user info, no query, no fragment.
fn check_inbox_url(url: &Url) -> Result<(), UriProblem> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        other => return Err(UriProblem::Insecure { scheme: other.to_owned() }),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UriProblem::UserInfo);
    }
    if url.query().is_some() {
        return Err(UriProblem::Query);
    }
    if url.fragment().is_some() {
        return Err(UriProblem::Fragment);
    }
    Ok(())
}

/// Checks a request's `response_uri` (see the module's rules).
pub fn check_response_uri(uri: &str) -> Result<(), UriProblem> {
    if uri.len() > MAX_RESPONSE_URI_BYTES {
        return Err(UriProblem::TooLong);
    }
    let url = Url::parse(uri).map_err(|e| UriProblem::NotAUrl(e.to_string()))?;
    if url.as_str() != uri {
        return Err(UriProblem::NotCanonical { canonical: url.as_str().to_owned() });
    }
    check_inbox_url(&url)?;
    if !url.path().ends_with("/packets") {
        return Err(UriProblem::NotPackets);
    }
    Ok(())
}

/// The `response_uri` of an inbox whose base URL a brand gives (`https://inbox.example.com`,
/// `https://example.com/tessera/`): `<base>/v1/packets`. A URL that already ends with
/// `/v1/packets` is taken as it is (in its standard form).
pub fn response_uri_for_inbox(base: &str) -> Result<String, UriProblem> {
    let url = Url::parse(base.trim()).map_err(|e| UriProblem::NotAUrl(e.to_string()))?;
    check_inbox_url(&url)?;
    let uri = if url.path().ends_with(&format!("/{PACKETS_PATH}")) {
        url.as_str().to_owned()
    } else {
        format!("{}/{PACKETS_PATH}", url.as_str().trim_end_matches('/'))
    };
    check_response_uri(&uri)?;
    Ok(uri)
}

/// The endpoints of the inbox a `response_uri` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `…/` : the `response_uri` without its final `packets`.
    prefix: String,
}

impl Endpoints {
    /// The endpoints derived from a `response_uri` (checked with [`check_response_uri`]).
    pub fn from_response_uri(uri: &str) -> Result<Endpoints, ProtocolError> {
        check_response_uri(uri).map_err(|problem| ProtocolError::InvalidResponseUri { problem })?;
        let prefix = uri.strip_suffix("packets").unwrap_or(uri).to_owned();
        Ok(Endpoints { prefix })
    }

    /// The inbox's host, with its port when it is not the scheme's default (`inbox.maison.example`,
    /// `127.0.0.1:46711`): what a person is shown as the place their data goes.
    pub fn host(&self) -> String {
        let url = Url::parse(&self.prefix).ok();
        match url.as_ref().map(|u| (u.host_str(), u.port())) {
            Some((Some(host), Some(port))) => format!("{host}:{port}"),
            Some((Some(host), None)) => host.to_owned(),
            _ => self.prefix.clone(),
        }
    }

    /// Where packets are POSTed: the `response_uri` itself.
    pub fn packets(&self) -> String {
        format!("{}packets", self.prefix)
    }

    /// Where revocations are POSTed.
    pub fn revocations(&self) -> String {
        format!("{}revocations", self.prefix)
    }

    /// Where the receipt of packet `packet_jti` can be fetched again.
    pub fn receipt(&self, packet_jti: &str) -> String {
        format!("{}receipts/{packet_jti}", self.prefix)
    }

    /// Where request `request_jti` is published (OpenID4VP's `request_uri`).
    pub fn request(&self, request_jti: &str) -> String {
        format!("{}requests/{request_jti}", self.prefix)
    }
}

/// A `tessera://` link to a published request: `tessera://request?request_uri=<the https URL of
/// the request, form-urlencoded>`. It carries no personal data.
pub fn request_link(request_url: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(request_url.as_bytes()).collect();
    format!("tessera://request?request_uri={encoded}")
}

/// The inbox's acknowledgement of a stored packet (`POST …/packets`, status 201 the first time,
/// 200 for the same packet again, with the same body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketAcknowledgement {
    /// The packet's `jti`.
    pub packet_id: String,
    /// The `jti` of the request it answers.
    pub request_id: String,
    /// When the brand deletes the data (Unix seconds).
    pub retention_end: i64,
    /// Always `"stored"`.
    pub status: String,
}

/// The body of every error answer of an inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable snake_case name (the protocol's error codes, and the inbox's own).
    pub code: String,
    /// What went wrong, in plain English.
    pub message: String,
}

/// The artifact's content type over HTTP.
pub fn content_type(artifact: Artifact) -> &'static str {
    match artifact {
        Artifact::Request => REQUEST_CONTENT_TYPE,
        Artifact::Packet => PACKET_CONTENT_TYPE,
        Artifact::Revocation => REVOCATION_CONTENT_TYPE,
        Artifact::Receipt => RECEIPT_CONTENT_TYPE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_uris_are_https_or_loopback_and_end_with_packets() {
        for ok in [
            "https://inbox.example.com/v1/packets",
            "https://example.com/tessera/v1/packets",
            "https://example.com:8443/v1/packets",
            "http://127.0.0.1:8080/v1/packets",
            "http://127.8.9.10/v1/packets",
            "http://[::1]:8080/v1/packets",
            "http://localhost:8080/v1/packets",
            "https://xn--maisn-3ta.example/v1/packets",
        ] {
            assert_eq!(check_response_uri(ok), Ok(()), "{ok}");
        }
        let problem = |uri: &str| check_response_uri(uri).unwrap_err();
        assert_eq!(problem("http://inbox.example.com/v1/packets"), UriProblem::Insecure { scheme: "http".into() });
        assert_eq!(problem("http://10.0.0.1/v1/packets"), UriProblem::Insecure { scheme: "http".into() });
        assert_eq!(problem("ftp://example.com/v1/packets"), UriProblem::Insecure { scheme: "ftp".into() });
        assert_eq!(problem("https://ana:pw@example.com/v1/packets"), UriProblem::UserInfo);
        assert_eq!(problem("https://example.com/v1/packets?x=1"), UriProblem::Query);
        assert_eq!(problem("https://example.com/v1/packets#x"), UriProblem::Fragment);
        assert_eq!(problem("https://example.com/v1/upload"), UriProblem::NotPackets);
        assert!(matches!(problem("HTTPS://Example.com/v1/packets"), UriProblem::NotCanonical { .. }));
        assert!(matches!(problem("https://example.com/v1/../v1/packets"), UriProblem::NotCanonical { .. }));
        assert!(matches!(problem("https://maisón.example/v1/packets"), UriProblem::NotCanonical { .. }));
        assert!(matches!(problem("/v1/packets"), UriProblem::NotAUrl(_)));
        let long = format!("https://example.com/{}/v1/packets", "a".repeat(2048));
        assert_eq!(problem(&long), UriProblem::TooLong);
    }

    #[test]
    fn an_inbox_base_gives_its_response_uri_and_endpoints() {
        for (base, uri) in [
            ("https://inbox.example.com", "https://inbox.example.com/v1/packets"),
            ("https://inbox.example.com/", "https://inbox.example.com/v1/packets"),
            ("https://Example.com/tessera/", "https://example.com/tessera/v1/packets"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/packets"),
            ("https://example.com/v1/packets", "https://example.com/v1/packets"),
        ] {
            assert_eq!(response_uri_for_inbox(base).as_deref(), Ok(uri), "{base}");
        }
        assert!(response_uri_for_inbox("http://example.com").is_err());
        assert!(response_uri_for_inbox("inbox.example.com").is_err());
        let endpoints = Endpoints::from_response_uri("https://example.com/tessera/v1/packets").unwrap();
        assert_eq!(endpoints.packets(), "https://example.com/tessera/v1/packets");
        assert_eq!(endpoints.host(), "example.com");
        assert_eq!(Endpoints::from_response_uri("http://127.0.0.1:8080/v1/packets").unwrap().host(), "127.0.0.1:8080");
        assert_eq!(endpoints.revocations(), "https://example.com/tessera/v1/revocations");
        assert_eq!(endpoints.receipt("abc"), "https://example.com/tessera/v1/receipts/abc");
        assert_eq!(endpoints.request("r1"), "https://example.com/tessera/v1/requests/r1");
        assert_eq!(
            request_link("https://example.com/v1/requests/r1"),
            "tessera://request?request_uri=https%3A%2F%2Fexample.com%2Fv1%2Frequests%2Fr1"
        );
    }
}
