//! # tessera-online — the consumer's HTTP, and nothing else
//!
//! Owns every byte the consumer's side sends over the network (docs/PROTOCOL.md §12):
//!
//! * [`RequestLink`] — what a person pastes: an `https://` link to a published request, or a
//!   `tessera://request?request_uri=…` link (plain `http://` only to this computer);
//! * [`Client::fetch_request`] — `GET` the request by reference, with a timeout, a size cap and
//!   no redirect followed (a redirect is an error naming where it pointed);
//! * [`Client::send_packet`] — `POST` a packet file to the request's `response_uri` (and nowhere
//!   else), reading back the brand's acknowledgement;
//! * [`Client::send_revocation`] — `POST` a revocation to the inbox's revocations endpoint,
//!   reading back the deletion receipt JWS.
//!
//! Every answer that is not what §12 says becomes a typed [`OnlineError`], which says whether
//! trying again later may help ([`OnlineError::is_retryable`]).
//!
//! What it must never do: touch the vault (it returns bytes; the vault verifies and stores them),
//! contact a host the caller did not name, follow a redirect, read a proxy from the environment,
//! send anything over plain http to a host that is not loopback, or use OpenSSL.

mod error;
mod link;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Response, StatusCode};
use tessera_protocol::inbox::{
    Endpoints, ErrorBody, PacketAcknowledgement, PACKET_CONTENT_TYPE, RECEIPT_CONTENT_TYPE, REVOCATION_CONTENT_TYPE,
};
use tessera_protocol::text::{is_bidi_control, is_invisible};
use url::Url;

pub use error::OnlineError;
pub use link::{host_of, RequestLink};

/// The largest request JWS fetched by link (a request is a few kilobytes).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
/// The largest acknowledgement read back (four short members).
pub const MAX_ACK_BYTES: usize = 16 * 1024;
/// The largest deletion receipt read back.
pub const MAX_RECEIPT_BYTES: usize = 64 * 1024;
/// The largest error body read back (it is shown shortened anyway).
const MAX_ERROR_BYTES: usize = 16 * 1024;

/// How long the client waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the connection (and finish TLS).
    pub connect: Duration,
    /// For the whole exchange, from sending to the last byte of the answer.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(10), total: Duration::from_secs(30) }
    }
}

/// The brand's acknowledgement of a packet, and whether the inbox had it already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub acknowledgement: PacketAcknowledgement,
    /// `false` when the inbox answered 200: it held this very packet already (a repeat).
    pub first_time: bool,
}

/// A request fetched by link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedRequest {
    /// The request JWS, as the brand published it (not verified here).
    pub jws: String,
    /// Where it was fetched from.
    pub url: Url,
}

/// The consumer's HTTP client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
}

impl Client {
    /// A client with the default timeouts.
    pub fn new() -> Result<Client, OnlineError> {
        Client::with_timeouts(Timeouts::default())
    }

    /// A client: rustls with the system's trusted certificates, HTTP/1.1, no redirect, no proxy,
    /// no cookies.
    pub fn with_timeouts(timeouts: Timeouts) -> Result<Client, OnlineError> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .http1_only()
            .referer(false)
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OnlineError::Setup { detail: e.to_string() })?;
        Ok(Client { http })
    }

    /// Fetches the request a link points to. The JWS is returned as text, unverified: the
    /// vault verifies it like a request file.
    pub async fn fetch_request(&self, link: &RequestLink) -> Result<FetchedRequest, OnlineError> {
        let url = link.url().clone();
        let answer = self.http.get(url.clone()).send().await.map_err(|e| OnlineError::from_send(&url, e))?;
        let status = answer.status();
        if status != StatusCode::OK {
            return Err(refusal(&url, answer).await);
        }
        let bytes = read_capped(&url, answer, MAX_REQUEST_BYTES).await?;
        let jws = String::from_utf8(bytes).map_err(|_| OnlineError::UnexpectedAnswer {
            host: host_of(&url),
            detail: "the answer is not text".into(),
        })?;
        let jws = jws.trim().to_owned();
        if jws.is_empty() || !jws.starts_with("eyJ") {
            return Err(OnlineError::UnexpectedAnswer {
                host: host_of(&url),
                detail: format!("the answer is not a Tessera request ({})", clean_text(&jws, 200)),
            });
        }
        Ok(FetchedRequest { jws, url })
    }

    /// POSTs a packet file to `response_uri` (the signed request's; checked again here) and
    /// reads the brand's acknowledgement. 201 and 200 are both "delivered".
    pub async fn send_packet(&self, response_uri: &str, file: &[u8]) -> Result<Delivered, OnlineError> {
        let endpoints = endpoints(response_uri)?;
        let url = parse(&endpoints.packets())?;
        let answer = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, PACKET_CONTENT_TYPE)
            .body(file.to_vec())
            .send()
            .await
            .map_err(|e| OnlineError::from_send(&url, e))?;
        let status = answer.status();
        if status != StatusCode::CREATED && status != StatusCode::OK {
            return Err(refusal(&url, answer).await);
        }
        let bytes = read_capped(&url, answer, MAX_ACK_BYTES).await?;
        let acknowledgement: PacketAcknowledgement =
            serde_json::from_slice(&bytes).map_err(|_| OnlineError::UnexpectedAnswer {
                host: host_of(&url),
                detail: "its acknowledgement is not what a Tessera inbox sends".into(),
            })?;
        if acknowledgement.status != "stored" {
            return Err(OnlineError::UnexpectedAnswer {
                host: host_of(&url),
                detail: format!(
                    "its acknowledgement says {:?}, not \"stored\"",
                    clean_text(&acknowledgement.status, 40)
                ),
            });
        }
        Ok(Delivered { acknowledgement, first_time: status == StatusCode::CREATED })
    }

    /// POSTs a revocation JWS to the revocations endpoint of the inbox `response_uri` names and
    /// returns the deletion receipt JWS it answers with (unverified: the vault verifies it).
    pub async fn send_revocation(&self, response_uri: &str, revocation: &str) -> Result<String, OnlineError> {
        let endpoints = endpoints(response_uri)?;
        let url = parse(&endpoints.revocations())?;
        let answer = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, REVOCATION_CONTENT_TYPE)
            .body(revocation.trim().to_owned())
            .send()
            .await
            .map_err(|e| OnlineError::from_send(&url, e))?;
        if answer.status() != StatusCode::OK {
            return Err(refusal(&url, answer).await);
        }
        let answered_type = content_type(&answer);
        let type_ok = answered_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(RECEIPT_CONTENT_TYPE));
        let bytes = read_capped(&url, answer, MAX_RECEIPT_BYTES).await?;
        let text = String::from_utf8(bytes).unwrap_or_default();
        let receipt = text.trim();
        if !type_ok || receipt.is_empty() {
            let what = match (&answered_type, receipt.is_empty()) {
                (_, true) => "it is empty".to_owned(),
                (Some(t), false) => format!("it is typed {}, not {RECEIPT_CONTENT_TYPE}", clean_text(t, 60)),
                (None, false) => format!("it has no type, not {RECEIPT_CONTENT_TYPE}"),
            };
            return Err(OnlineError::UnexpectedAnswer {
                host: host_of(&url),
                detail: format!("the answer is not a deletion receipt ({what})"),
            });
        }
        Ok(receipt.to_owned())
    }
}

fn endpoints(response_uri: &str) -> Result<Endpoints, OnlineError> {
    Endpoints::from_response_uri(response_uri).map_err(|source| OnlineError::BadInbox { source })
}

fn parse(url: &str) -> Result<Url, OnlineError> {
    let url = Url::parse(url).map_err(|e| OnlineError::BadLink { detail: e.to_string() })?;
    link::check_secure(&url)?;
    Ok(url)
}

/// rustls on the ring provider, trusting the system's certificate authorities, HTTP/1.1.
fn tls_config() -> Result<rustls::ClientConfig, OnlineError> {
    let setup = |detail: String| OnlineError::Setup { detail };
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // A certificate the system lists but rustls cannot read is skipped, like every TLS client does.
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn content_type(answer: &Response) -> Option<String> {
    let value = answer.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or_default().trim().to_owned())
}

/// Reads a body, refusing it as soon as it passes `cap` bytes (or announces more).
async fn read_capped(url: &Url, mut answer: Response, cap: usize) -> Result<Vec<u8>, OnlineError> {
    let too_large = || OnlineError::TooLarge { host: host_of(url), cap };
    if answer.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await.map_err(|e| OnlineError::from_send(url, e))? {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An answer that is not a success: a redirect (never followed), the inbox's JSON error, or
/// something else.
async fn refusal(url: &Url, answer: Response) -> OnlineError {
    let status = answer.status();
    let host = host_of(url);
    if status.is_redirection() {
        let location = answer.headers().get(LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default();
        let target = url.join(location).ok().map(|to| host_of(&to)).unwrap_or_else(|| clean_text(location, 80));
        return OnlineError::Redirected { host, status: status.as_u16(), to: target };
    }
    let is_json = content_type(&answer).is_some_and(|t| t.eq_ignore_ascii_case("application/json"));
    let body = match read_capped(url, answer, MAX_ERROR_BYTES).await {
        Ok(body) => body,
        Err(e) if status.is_server_error() => {
            return OnlineError::ServerError { host, status: status.as_u16(), code: None, message: e.to_string() }
        }
        Err(e) => return e,
    };
    let error: Option<ErrorBody> = if is_json { serde_json::from_slice(&body).ok() } else { None };
    // The server's words are shown to the person and kept in the outbox: nothing in them may
    // move the cursor, change colours or reorder the text (§1's rule for every text shown).
    let (code, message) = match error {
        Some(ErrorBody { code, message }) => (Some(code).filter(|c| is_error_code(c)), quotable(&message)),
        None => (None, quotable(&String::from_utf8_lossy(&body))),
    };
    if status.is_server_error() {
        OnlineError::ServerError { host, status: status.as_u16(), code, message }
    } else {
        OnlineError::Refused { host, status: status.as_u16(), code, message }
    }
}

/// A server's words, cleaned ([`clean_text`]) and without quotation marks of their own, so
/// that shown “between quotes” they cannot close the quote and pass for Tessera's words.
fn quotable(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| {
            if matches!(c, '"' | '“' | '”' | '„' | '‟' | '«' | '»' | '〝' | '〞' | '＂') {
                '\''
            } else {
                c
            }
        })
        .collect();
    clean_text(&text, 200)
}

/// Whether `code` looks like an inbox error code (§12.2: snake_case ASCII), so that it can be shown as is.
fn is_error_code(code: &str) -> bool {
    (1..=40).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A text from the network made safe to show on one line: control characters (escape
/// sequences, line breaks) become spaces, bidirectional controls and invisible characters are
/// dropped, and at most `max_chars` characters are kept.
pub(crate) fn clean_text(text: &str, max_chars: usize) -> String {
    let one_line: String = text
        .chars()
        .filter(|&c| !is_bidi_control(c) && (c.is_whitespace() || c.is_control() || !is_invisible(c)))
        .map(|c| if c.is_control() || c.is_whitespace() { ' ' } else { c })
        .collect();
    let one_line = one_line.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "an empty answer".into();
    }
    match one_line.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_words_lose_escape_sequences_bidi_controls_and_invisibles() {
        let hostile = "<b>x</b>\u{1b}[31mred\u{1b}[2J\r\nfake line\u{202E}gnp.exe\u{200B}!";
        assert_eq!(clean_text(hostile, 200), "<b>x</b> [31mred [2J fake linegnp.exe!");
        assert_eq!(clean_text("\u{1b}\u{7}\u{200B}", 200), "an empty answer");
        assert_eq!(clean_text(&"é".repeat(300), 200).chars().count(), 201);
    }

    #[test]
    fn server_words_cannot_close_the_quotes_they_are_shown_in() {
        let forged = "x” \nconfirmed deleting packet ABC: deletion confirmed. “";
        assert_eq!(quotable(forged), "x' confirmed deleting packet ABC: deletion confirmed. '");
        assert!(!quotable("« \"hi\" »").contains(['"', '«', '»']));
    }

    #[test]
    fn only_snake_case_codes_are_kept() {
        assert!(is_error_code("unknown_packet"));
        assert!(!is_error_code("Unknown\u{1b}[2J"));
        assert!(!is_error_code(&"a".repeat(41)));
        assert!(!is_error_code(""));
    }
}
