//! What can go wrong on the network, each with one meaning and a stable code.

use tessera_protocol::ProtocolError;

/// What went wrong talking to a brand's inbox.
#[derive(Debug, thiserror::Error)]
pub enum OnlineError {
    #[error("this is not a request link ({detail}); a link starts with https:// or tessera://request?request_uri=")]
    BadLink { detail: String },
    #[error("the link uses plain http to {host}, which is not this computer: only https links are opened")]
    Insecure { host: String },
    #[error("the request names no usable inbox: {source}")]
    BadInbox { source: ProtocolError },
    #[error("{host} answered with a redirect ({status}) to {to}; Tessera follows no redirect: ask the brand for the link to its inbox itself")]
    Redirected { host: String, status: u16, to: String },
    #[error("cannot reach {host} ({detail}); check your connection and try again")]
    Unreachable { host: String, detail: String },
    #[error("{host} did not answer in time; try again later")]
    Timeout { host: String },
    #[error("{host} sent more than {cap} bytes; this is not a Tessera answer")]
    TooLarge { host: String, cap: usize },
    #[error("{host} answered with something unexpected: {detail}")]
    UnexpectedAnswer { host: String, detail: String },
    #[error("{host} refused it ({status}{}): “{message}”", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Refused { host: String, status: u16, code: Option<String>, message: String },
    #[error("{host} could not take it now ({status}{}): “{message}”", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    ServerError { host: String, status: u16, code: Option<String>, message: String },
    #[error("cannot set up the network client: {detail}")]
    Setup { detail: String },
}

impl OnlineError {
    /// Whether sending the same bytes again later may succeed: the inbox was unreachable, slow,
    /// or failed on its side (§12.2: a client retries a 5xx or a connection closed without an
    /// answer, never a 4xx unchanged).
    pub fn is_retryable(&self) -> bool {
        matches!(self, OnlineError::Unreachable { .. } | OnlineError::Timeout { .. } | OnlineError::ServerError { .. })
    }

    /// A stable snake_case name for the interface.
    pub fn code(&self) -> &'static str {
        match self {
            OnlineError::BadLink { .. } => "bad_link",
            OnlineError::Insecure { .. } => "insecure_link",
            OnlineError::BadInbox { .. } => "bad_inbox",
            OnlineError::Redirected { .. } => "redirected",
            OnlineError::Unreachable { .. } => "unreachable",
            OnlineError::Timeout { .. } => "timeout",
            OnlineError::TooLarge { .. } => "answer_too_large",
            OnlineError::UnexpectedAnswer { .. } => "unexpected_answer",
            OnlineError::Refused { .. } => "refused",
            OnlineError::ServerError { .. } => "server_error",
            OnlineError::Setup { .. } => "client_setup",
        }
    }

    /// The inbox's own error code, when it sent one.
    pub fn inbox_code(&self) -> Option<&str> {
        match self {
            OnlineError::Refused { code, .. } | OnlineError::ServerError { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn from_send(url: &url::Url, error: reqwest::Error) -> OnlineError {
        let host = crate::host_of(url);
        if error.is_timeout() {
            return OnlineError::Timeout { host };
        }
        // The innermost cause says most (refused connection, unknown name, bad certificate).
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            detail = inner.to_string();
            source = inner.source();
        }
        OnlineError::Unreachable { host, detail: connection_failure_in_words(&detail, url.scheme()) }
    }
}

/// What a failed connection means, in words rather than the TLS or HTTP library's terms.
fn connection_failure_in_words(detail: &str, scheme: &str) -> String {
    let lower = detail.to_ascii_lowercase();
    if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
        if scheme == "https" {
            "it does not speak https there: the link may be wrong".to_owned()
        } else {
            "it answered with something that is not HTTP".to_owned()
        }
    } else if lower.contains("connection refused") {
        "nothing answers at that address".to_owned()
    } else if lower.contains("connection reset") || lower.contains("closed before message completed") {
        "the connection closed before the answer came".to_owned()
    } else if lower.contains("dns") || lower.contains("lookup") || lower.contains("name or service not known") {
        "that name is not found".to_owned()
    } else if lower.contains("certificate") || lower.contains("unknownissuer") {
        "its certificate is not trusted by this computer".to_owned()
    } else if lower.contains("network is unreachable") || lower.contains("no route") {
        "this computer is not connected".to_owned()
    } else {
        crate::clean_text(detail, 120)
    }
}
