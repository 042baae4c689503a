//! Requests opened from outside the window (a `tessera://` link, a
//! `.tessera-request` file, see [`crate::incoming`]): the page hears that one
//! waits, shows the requests screen once the vault is open, and opens it here,
//! exactly as if the person had pasted the link or chosen the file. While the
//! vault is locked the request keeps waiting: nothing is fetched before.

use tauri::ipc::Channel;
use tauri::State;
use tessera_online::RequestLink;

use super::error::CmdResult;
use super::files::read_text;
use super::requests::RequestReview;
use super::{now, poisoned, sending, with_vault};
use crate::incoming::{Incoming, IncomingRequest, RequestArrived};
use crate::state::AppState;

/// Gives the channel on which the page hears that a request arrived from outside; returns
/// whether one waits already (the app was started with it).
#[tauri::command]
#[specta::specta]
pub fn incoming_watch(incoming: State<'_, Incoming>, on_arrival: Channel<RequestArrived>) -> bool {
    incoming.watch(on_arrival)
}

/// Opens the request that arrived from outside, if one waits: fetches the link's request from
/// the brand's inbox or reads the file, and verifies it. With the vault locked it keeps waiting.
#[tauri::command]
#[specta::specta]
pub async fn request_open_incoming(
    state: State<'_, AppState>,
    incoming: State<'_, Incoming>,
) -> CmdResult<Option<RequestReview>> {
    state.touch();
    with_vault(&state, |_| Ok(()))?;
    let Some(request) = incoming.take() else { return Ok(None) };
    let jws = match request {
        IncomingRequest::Link(link) => {
            let link = RequestLink::parse(&link)?;
            sending::client()?.fetch_request(&link).await?.jws
        }
        IncomingRequest::File(path) => read_text(&path)?,
    };
    let review = with_vault(&state, |v| v.review_request(&jws, now()))?;
    let view = RequestReview::from(&review);
    *state.review.lock().map_err(|_| poisoned())? = Some(review);
    Ok(Some(view))
}
