//! The endpoints, each a short handler: read the body within its limits, make one call into
//! the brand store, answer. Exactly the HTTP binding of docs/PROTOCOL.md.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tessera_brand::import::ImportOutcome;
use tessera_protocol::inbox::{
    PacketAcknowledgement, PACKET_CONTENT_TYPE, RECEIPT_CONTENT_TYPE, REQUEST_CONTENT_TYPE, REVOCATION_CONTENT_TYPE,
};
use tokio::sync::SemaphorePermit;

use crate::body::{self, MAX_PACKET_BYTES, MAX_REVOCATION_BYTES};
use crate::error::ApiError;
use crate::Inbox;

type Shared = State<Arc<Inbox>>;

/// Every route of the inbox. An upload (a packet, a revocation) whose body has arrived waits for
/// one of `max_in_flight` slots to be checked and stored; reading a request or a receipt never
/// waits for one.
pub fn router(inbox: Arc<Inbox>) -> Router {
    Router::new()
        .route("/v1/packets", post(post_packet))
        .route("/v1/revocations", post(post_revocation))
        .route("/v1/requests/{request_jti}", get(get_request))
        .route("/v1/receipts/{packet_jti}", get(get_receipt))
        .route("/healthz", get(get_health))
        .route("/metrics", get(get_metrics))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(Arc::clone(&inbox), measure))
        .with_state(inbox)
}

/// Counts every answer by route template and status, with its latency.
async fn measure(State(inbox): Shared, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let response = next.run(request).await;
    let route = route.as_deref().unwrap_or("other");
    inbox.metrics.answered(route, response.status().as_u16(), started.elapsed());
    response
}

/// Reads an upload's body within its limits (see [`body`]), then waits for a free slot (at most
/// `queue_timeout`), so that at most `max_in_flight` uploads are checked and stored at once;
/// after that, 503 and the client tries again. The slot is held until the answer.
async fn receive_upload<'a>(
    inbox: &'a Inbox,
    headers: &HeaderMap,
    body: Body,
    what: &'static str,
    size: usize,
) -> Result<(body::Received, SemaphorePermit<'a>), ApiError> {
    let limits = body::Limits {
        size,
        deadline: inbox.config.body_timeout,
        budget: &inbox.receiving,
        budget_wait: inbox.config.queue_timeout,
    };
    let received = body::read(headers, body, what, limits).await?;
    match tokio::time::timeout(inbox.config.queue_timeout, inbox.in_flight.acquire()).await {
        Ok(Ok(slot)) => Ok((received, slot)),
        _ => Err(ApiError::Overloaded),
    }
}

/// `ok`, or 503 *keys_changed* once an upload found the brand's keys changed since the server
/// started: a load balancer then stops sending it uploads it can only refuse until restarted.
async fn get_health(State(inbox): Shared) -> Result<&'static str, ApiError> {
    match inbox.keys_changed() {
        Some(changed) => Err(ApiError::Brand(changed)),
        None => Ok("ok"),
    }
}

fn artifact(content_type: &'static str, text: String) -> Response {
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

async fn get_request(State(inbox): Shared, Path(request_jti): Path<String>) -> Result<Response, ApiError> {
    if tessera_protocol::encoding::check_identifier(&request_jti).is_err() {
        return Err(ApiError::NoRequest { request_jti: "(not an identifier)".into() });
    }
    match inbox.store.request(&request_jti).await {
        Ok(request) => Ok(artifact(REQUEST_CONTENT_TYPE, request.jws)),
        Err(tessera_brand::BrandError::UnknownRequest { .. }) => Err(ApiError::NoRequest { request_jti }),
        Err(e) => Err(e.into()),
    }
}

async fn post_packet(State(inbox): Shared, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let outcome = receive_packet(&inbox, &headers, body).await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            inbox.metrics.packet("refused");
            inbox.metrics.refused(e.code());
            inbox.note_refusal(&e);
            return Err(e);
        }
    };
    let (status, packet_id, request_id, retention_end) = match outcome {
        ImportOutcome::Imported { packet_jti, request_jti, retention_end, .. } => {
            inbox.metrics.packet("stored");
            (StatusCode::CREATED, packet_jti, request_jti, retention_end)
        }
        ImportOutcome::AlreadyImported { packet_jti, request_jti, retention_end } => {
            inbox.metrics.packet("duplicate");
            (StatusCode::OK, packet_jti, request_jti, retention_end)
        }
    };
    let acknowledgement = PacketAcknowledgement { packet_id, request_id, retention_end, status: "stored".into() };
    Ok((status, Json(acknowledgement)).into_response())
}

async fn receive_packet(inbox: &Inbox, headers: &HeaderMap, body: Body) -> Result<ImportOutcome, ApiError> {
    body::check_content_type(headers, PACKET_CONTENT_TYPE)?;
    let (file, _slot) = receive_upload(inbox, headers, body, "packet", MAX_PACKET_BYTES).await?;
    let checked = inbox.store.check_packet_file(&file.bytes, inbox.config.clock.now()).await?;
    inbox.packets.submit(checked).await
}

async fn post_revocation(State(inbox): Shared, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let outcome = async {
        body::check_content_type(&headers, REVOCATION_CONTENT_TYPE)?;
        let (received, _slot) = receive_upload(&inbox, &headers, body, "revocation", MAX_REVOCATION_BYTES).await?;
        let text = std::str::from_utf8(&received.bytes).map_err(|_| ApiError::NotText { what: "revocation" })?;
        let claims = inbox.store.check_revocation(text, inbox.config.clock.now())?;
        inbox.revocations.submit(claims).await
    }
    .await;
    match outcome {
        Ok(outcome) => {
            if !outcome.already_deleted {
                inbox.deleted_since_checkpoint.store(true, std::sync::atomic::Ordering::Release);
            }
            inbox.metrics.revocation(if outcome.already_deleted { "already_deleted" } else { "deleted" });
            Ok(artifact(RECEIPT_CONTENT_TYPE, outcome.receipt))
        }
        Err(e) => {
            inbox.metrics.revocation("refused");
            inbox.metrics.refused(e.code());
            inbox.note_refusal(&e);
            Err(e)
        }
    }
}

async fn get_receipt(State(inbox): Shared, Path(packet_jti): Path<String>) -> Result<Response, ApiError> {
    // Only the ids Tessera writes can name a packet; anything else has no receipt.
    if tessera_protocol::encoding::check_identifier(&packet_jti).is_err() {
        return Err(ApiError::NoReceipt { packet_jti: "(not an identifier)".into() });
    }
    match inbox.store.receipt(&packet_jti, inbox.config.clock.now()).await? {
        Some(receipt) => Ok(artifact(RECEIPT_CONTENT_TYPE, receipt)),
        None => Err(ApiError::NoReceipt { packet_jti }),
    }
}

async fn get_metrics(State(inbox): Shared) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], inbox.metrics.encode())
        .into_response()
}
