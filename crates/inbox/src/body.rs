//! Reading a request body within its limits: a size cap (refused from `Content-Length` before
//! reading anything, else as soon as the cap is passed), a deadline for the whole body, a
//! minimum rate (after [`GRACE`], a body must keep arriving at [`MIN_RATE`] bytes a second on
//! average: a client sending one byte a second is cut off within seconds), and a memory budget
//! shared by every body being received ([`RECEIVING_BUDGET`] bytes): each part of a body takes
//! its size from the budget as it arrives and gives it back when the request is answered. A
//! body still arriving holds no upload slot (those are for checking and storing), so slow
//! senders cost only the bytes they actually send and never make an honest upload wait.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use http_body_util::BodyExt;

use crate::error::ApiError;

/// Largest revocation body: a revocation is well under a kilobyte.
pub const MAX_REVOCATION_BYTES: usize = 64 * 1024;

/// Largest packet body: the largest packet JWS (16 MiB) in its age file.
pub const MAX_PACKET_BYTES: usize = 16 * 1024 * 1024 + 64 * 1024;

/// How long a body may take to start arriving at [`MIN_RATE`].
pub const GRACE: Duration = Duration::from_secs(2);

/// The slowest average rate a body may arrive at after [`GRACE`], in bytes a second (a slow
/// mobile link sends far more).
pub const MIN_RATE: u64 = 8 * 1024;

/// Most bytes of bodies being received (or waiting to be handled) held at once, all requests
/// together: 256 MiB. Filling it takes sending that much within the body deadline.
pub const RECEIVING_BUDGET: usize = 256 * 1024 * 1024;

/// A body received whole, with its share of the [`RECEIVING_BUDGET`] (given back on drop).
#[derive(Debug)]
pub struct Received {
    pub bytes: Bytes,
    _held: Option<OwnedSemaphorePermit>,
}

/// Fails unless the body is declared as `expected` (parameters such as `charset` aside).
pub fn check_content_type(headers: &HeaderMap, expected: &'static str) -> Result<(), ApiError> {
    let found = headers.get(header::CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let matches =
        found.as_deref().and_then(|v| v.split(';').next()).is_some_and(|v| v.trim().eq_ignore_ascii_case(expected));
    if !matches {
        return Err(ApiError::UnsupportedMediaType {
            expected,
            found: found.unwrap_or_else(|| "no content type".into()),
        });
    }
    Ok(())
}

/// What a body is read within.
#[derive(Debug, Clone, Copy)]
pub struct Limits<'a> {
    /// Most bytes of the body.
    pub size: usize,
    /// Longest the whole body may take.
    pub deadline: Duration,
    /// The memory budget of every body being received ([`RECEIVING_BUDGET`] permits of a byte).
    pub budget: &'a Arc<Semaphore>,
    /// Longest a part of the body waits for room in the budget before the upload is refused as
    /// overloaded.
    pub budget_wait: Duration,
}

/// Reads the whole body of a `what` within `limits`.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    what: &'static str,
    limits: Limits<'_>,
) -> Result<Received, ApiError> {
    let (limit, deadline) = (limits.size, limits.deadline);
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared.filter(|length| *length > limit as u64) {
        discard(body, length, limit);
        return Err(ApiError::PayloadTooLarge { what, limit });
    }
    let started = Instant::now();
    let last_moment = started + deadline;
    let mut body = body;
    let mut received: Vec<u8> = Vec::new();
    let mut held: Option<OwnedSemaphorePermit> = None;
    loop {
        // The moment the bytes received so far stop being enough, at the minimum rate.
        let behind = started + GRACE + Duration::from_secs_f64(received.len() as f64 / MIN_RATE as f64);
        match tokio::time::timeout_at(behind.min(last_moment), body.frame()).await {
            Err(_) => return Err(ApiError::BodyTimeout { seconds: started.elapsed().as_secs().max(1) }),
            Ok(None) => return Ok(Received { bytes: Bytes::from(received), _held: held }),
            Ok(Some(Err(e))) => return Err(ApiError::BodyUnreadable { detail: e.to_string() }),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if received.len() + data.len() > limit {
                        return Err(ApiError::PayloadTooLarge { what, limit });
                    }
                    let room = Arc::clone(limits.budget).acquire_many_owned(data.len() as u32);
                    match tokio::time::timeout(limits.budget_wait, room).await {
                        Ok(Ok(permit)) => match held.as_mut() {
                            Some(held) => held.merge(permit),
                            None => held = Some(permit),
                        },
                        _ => return Err(ApiError::Overloaded),
                    }
                    received.extend_from_slice(&data);
                }
            }
        }
    }
}

/// Longest a body refused for its declared length is read and thrown away.
pub const DISCARD_FOR: Duration = GRACE;

/// Reads a body refused for its declared length and throws it away, in a task of its own, while
/// the 413 goes out: a client still sending then reads the answer, instead of a connection reset
/// because the server closed with its bytes unread (a lingering close, as nginx does). Bounded:
/// only a body declared at most twice the cap, and only for [`DISCARD_FOR`] (a client that
/// declares a large body and sends nothing does not keep its connection open); nothing of it
/// is kept.
fn discard(body: Body, declared: u64, limit: usize) {
    if declared > 2 * limit as u64 {
        return;
    }
    tokio::spawn(async move {
        let mut body = body;
        let _ = tokio::time::timeout(DISCARD_FOR, async { while let Some(Ok(_)) = body.frame().await {} }).await;
    });
}
