//! Every answer that is not a success: JSON `{"code", "message"}` with a fitting status.
//!
//! Codes are stable snake_case names: the protocol's own for a refused artifact
//! (`bad_signature`, `expired`, …; see docs/PROTOCOL.md), the brand store's
//! (`unknown_request`, `packet_deleted`, …) and the inbox's (`payload_too_large`,
//! `body_timeout`, …). A 4xx means "this will never be accepted as it is: do not send it
//! again"; a 5xx (and 503 in particular) means "try again later". Messages say what went wrong
//! in plain English and never carry a packet's content.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera_brand::BrandError;
use tessera_protocol::inbox::ErrorBody;

/// Why a request was not served.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Brand(#[from] BrandError),
    #[error("the body is larger than {limit} bytes, more than any {what} can be")]
    PayloadTooLarge { what: &'static str, limit: usize },
    #[error("the body did not arrive within {seconds} s; send it again at a steady pace")]
    BodyTimeout { seconds: u64 },
    #[error("the body could not be read: {detail}")]
    BodyUnreadable { detail: String },
    #[error("the body must be sent as {expected}, not {found}")]
    UnsupportedMediaType { expected: &'static str, found: String },
    #[error("a {what} is ASCII text; this body is not")]
    NotText { what: &'static str },
    #[error("the inbox is busy; try again in a moment")]
    Overloaded,
    #[error("the inbox is stopping; try again in a moment")]
    Stopping,
    #[error("no request {request_jti} is published here")]
    NoRequest { request_jti: String },
    #[error("no receipt for packet {packet_jti}: it has not been deleted here")]
    NoReceipt { packet_jti: String },
    #[error("no such endpoint: this inbox serves /v1/requests/{{id}}, /v1/packets, /v1/revocations, /v1/receipts/{{id}}, /healthz and /metrics")]
    NotFound,
    #[error("this endpoint does not take that method")]
    MethodNotAllowed,
}

impl ApiError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Brand(e) => e.code(),
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::BodyTimeout { .. } => "body_timeout",
            ApiError::BodyUnreadable { .. } => "body_unreadable",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::NotText { .. } => "malformed",
            ApiError::Overloaded => "overloaded",
            ApiError::Stopping => "stopping",
            ApiError::NoRequest { .. } => "unknown_request",
            ApiError::NoReceipt { .. } => "no_receipt",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Brand(e) => match e {
                BrandError::Protocol(_) => StatusCode::BAD_REQUEST,
                BrandError::UnknownRequest { .. } | BrandError::UnknownPacket { .. } => StatusCode::NOT_FOUND,
                BrandError::PacketConflict { .. } => StatusCode::CONFLICT,
                BrandError::PacketDeleted { .. } => StatusCode::GONE,
                BrandError::KeysChanged { .. } | BrandError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
                BrandError::InvalidName { .. } => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::BodyUnreadable { .. } | ApiError::NotText { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Overloaded | ApiError::Stopping => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::NoRequest { .. } | ApiError::NoReceipt { .. } | ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() && !matches!(self, ApiError::Overloaded | ApiError::Stopping) {
            // The store's own trouble: said to whoever runs the inbox. Store errors name rows
            // by id, never by content.
            eprintln!("inbox: {} ({}): {self}", status.as_u16(), self.code());
        }
        let body = ErrorBody { code: self.code().to_owned(), message: self.to_string() };
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error table of docs/PROTOCOL.md §12.8: its rows, as (status, text of the row).
    fn documented_rows() -> Vec<(u16, String)> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/PROTOCOL.md");
        let protocol = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (_, table) = protocol.split_once("### 12.8 Errors").expect("PROTOCOL.md has §12.8 Errors");
        let table = &table[..table.find("\n### ").expect("a section follows §12.8")];
        table
            .lines()
            .filter_map(|row| {
                let status = row.strip_prefix("| ")?.split(' ').next()?.parse().ok()?;
                Some((status, row.to_owned()))
            })
            .collect()
    }

    #[test]
    fn every_error_the_inbox_answers_is_in_the_protocol_with_its_status() {
        let rows = documented_rows();
        let errors = [
            ApiError::PayloadTooLarge { what: "packet", limit: 1 },
            ApiError::BodyTimeout { seconds: 1 },
            ApiError::BodyUnreadable { detail: String::new() },
            ApiError::UnsupportedMediaType { expected: "application/octet-stream", found: String::new() },
            ApiError::NotText { what: "revocation" },
            ApiError::Overloaded,
            ApiError::Stopping,
            ApiError::NoRequest { request_jti: String::new() },
            ApiError::NoReceipt { packet_jti: String::new() },
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
            ApiError::Brand(BrandError::UnknownRequest { request_jti: String::new() }),
            ApiError::Brand(BrandError::UnknownPacket { packet_jti: String::new() }),
            ApiError::Brand(BrandError::PacketConflict { packet_jti: String::new() }),
            ApiError::Brand(BrandError::PacketDeleted {
                packet_jti: String::new(),
                deleted_at: 0,
                reason: String::new(),
            }),
            ApiError::Brand(BrandError::KeysChanged { held: 1, stored: 2 }),
            ApiError::Brand(BrandError::Postgres { location: String::new(), detail: String::new() }),
            ApiError::Brand(BrandError::Corrupt { dir: String::new(), detail: String::new() }),
            ApiError::Brand(BrandError::Busy { dir: String::new() }),
            ApiError::Brand(BrandError::Io { dir: String::new(), detail: String::new() }),
            ApiError::Brand(BrandError::Protocol(tessera_protocol::ProtocolError::BadSignature {
                artifact: tessera_protocol::Artifact::Packet,
                kid: String::new(),
            })),
        ];
        for error in errors {
            let (status, code) = (error.status().as_u16(), error.code());
            assert!(
                rows.iter().any(|(s, row)| *s == status && row.contains(&format!("*{code}*"))),
                "PROTOCOL.md §12.8 has no row {status} *{code}*"
            );
        }
    }
}
