//! The requests screen: open a brand's request (a file, or a link the person
//! pastes or drops: fetched from the brand's inbox only then), come back to it
//! after visiting other screens, trust a changed key, preview the packet for
//! the person's decisions, send it to the inbox the signed request names (it
//! waits in the vault's outbox when that fails), save it as a file, or decline
//! the whole request. The verified request stays in the app's state; the page
//! never handles it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tauri::State;
use tessera_online::RequestLink;
use tessera_protocol::packet::SharedItem;
use tessera_protocol::ItemName;
use tessera_vault::consent::{self, BrandTrust, Choice};

use super::error::{CmdResult, CommandError};
use super::files::{read_text, Pick};
use super::ledger::{Refusal, Status};
use super::profile::Sensitivity;
use super::sending::{self, Sent};
use super::{now, poisoned, with_vault};
use crate::state::AppState;

/// Whether Tessera knows the brand's key.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Trust {
    /// Never seen: its key will be remembered if you share.
    FirstContact,
    /// The same key as before.
    Known,
    /// A brand of this name signed with another key before: possibly an impostor.
    KeyChanged { pinned_fingerprint: String },
}

/// A brand you trust whose name looks like this one, under another key: a possible impostor.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Lookalike {
    pub name: String,
    pub fingerprint: String,
}

/// A generalised form of an item and the value it would share.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct GeneralisedOption {
    pub item: String,
    pub label_en: String,
    pub label_fr: String,
    pub value: Value,
}

/// One requested item, as the person sees it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ItemReview {
    pub item: String,
    pub label_en: String,
    pub label_fr: String,
    pub purpose: String,
    pub required: bool,
    pub sensitivity: Option<Sensitivity>,
    /// Refused automatically: the fact is set to never share.
    pub never_share: bool,
    /// The value shared exactly, if the vault has it.
    pub exact: Option<Value>,
    pub generalised: Vec<GeneralisedOption>,
}

/// A verified request, ready for decisions.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RequestReview {
    pub brand_name: String,
    pub fingerprint: String,
    pub trust: Trust,
    pub lookalike: Option<Lookalike>,
    pub offer: String,
    pub retention_days: u32,
    /// Answer before this time (Unix seconds).
    pub expires_at: i64,
    pub items: Vec<ItemReview>,
    /// The host of the brand's inbox, when the request names one: Share sends the packet there
    /// and nowhere else. Without it, the packet is saved as a file.
    pub inbox_host: Option<String>,
    /// How the person answered this very request before, oldest first.
    pub answered_before: Vec<EarlierAnswer>,
}

/// An earlier answer to the same request.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum EarlierAnswer {
    Shared { at: i64, status: Status },
    Declined { at: i64 },
}

impl From<&consent::RequestReview> for RequestReview {
    fn from(r: &consent::RequestReview) -> RequestReview {
        RequestReview {
            brand_name: r.brand_name.clone(),
            fingerprint: r.fingerprint.clone(),
            trust: match &r.trust {
                BrandTrust::FirstContact => Trust::FirstContact,
                BrandTrust::Known => Trust::Known,
                BrandTrust::KeyChanged { pinned_fingerprint, .. } => {
                    Trust::KeyChanged { pinned_fingerprint: pinned_fingerprint.clone() }
                }
            },
            lookalike: r
                .lookalike
                .as_ref()
                .map(|l| Lookalike { name: l.name.clone(), fingerprint: l.fingerprint.clone() }),
            offer: r.offer.clone(),
            retention_days: r.retention_days,
            expires_at: r.expires_at,
            inbox_host: r.inbox_host.clone(),
            answered_before: r
                .answered_before
                .iter()
                .map(|a| match a {
                    consent::EarlierAnswer::Shared { at, status, .. } => {
                        EarlierAnswer::Shared { at: *at, status: Status::from(*status) }
                    }
                    consent::EarlierAnswer::Declined { at } => EarlierAnswer::Declined { at: *at },
                })
                .collect(),
            items: r
                .items
                .iter()
                .map(|i| ItemReview {
                    item: i.item.to_string(),
                    label_en: i.label_en.into(),
                    label_fr: i.label_fr.into(),
                    purpose: i.purpose.clone(),
                    required: i.required,
                    sensitivity: i.sensitivity.map(Into::into),
                    never_share: i.never_share,
                    exact: i.exact.clone(),
                    generalised: i
                        .generalised
                        .iter()
                        .map(|g| GeneralisedOption {
                            item: g.item.to_string(),
                            label_en: g.label_en.into(),
                            label_fr: g.label_fr.into(),
                            value: g.value.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The person's choice for one requested item.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "choice", rename_all = "snake_case")]
pub enum Decision {
    Exact { item: String },
    Generalised { item: String, form: String },
    Deny { item: String },
}

fn item_name(name: &str) -> CmdResult<ItemName> {
    name.parse().map_err(|_| CommandError::UnknownItem)
}

impl Decision {
    fn read(&self) -> CmdResult<consent::Decision> {
        Ok(match self {
            Decision::Exact { item } => consent::Decision { item: item_name(item)?, choice: Choice::Exact },
            Decision::Deny { item } => consent::Decision { item: item_name(item)?, choice: Choice::Deny },
            Decision::Generalised { item, form } => {
                consent::Decision { item: item_name(item)?, choice: Choice::Generalised(item_name(form)?) }
            }
        })
    }
}

fn read_decisions(decisions: &[Decision]) -> CmdResult<Vec<consent::Decision>> {
    decisions.iter().map(Decision::read).collect()
}

/// An item as it would be sent: `item` is what is sent for the requested item `answers`
/// (the same, or a generalised form of it).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SharedItemView {
    pub answers: String,
    pub item: String,
    pub value: Value,
}

impl From<&SharedItem> for SharedItemView {
    fn from(i: &SharedItem) -> SharedItemView {
        SharedItemView { answers: i.answers.to_string(), item: i.item.to_string(), value: i.value.clone() }
    }
}

/// Exactly what a packet would contain, before signing.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PacketPreview {
    pub brand_name: String,
    pub offer: String,
    pub retention_end: i64,
    pub items: Vec<SharedItemView>,
    pub denied: Vec<String>,
}

/// Opens a request file the person chooses and verifies it.
#[tauri::command(async)]
#[specta::specta]
pub fn request_open(state: State<'_, AppState>) -> CmdResult<Option<RequestReview>> {
    state.touch();
    let Some(path) = state.choose_file(Pick::OpenRequest, "") else { return Ok(None) };
    let text = read_text(&path)?;
    let review = with_vault(&state, |v| v.review_request(&text, now()))?;
    let view = RequestReview::from(&review);
    *state.review.lock().map_err(|_| poisoned())? = Some(review);
    Ok(Some(view))
}

/// Fetches the request a link points to (`https://…` or `tessera://request?request_uri=…`) and
/// verifies it. This is the only call that opens a connection before the person decided anything:
/// they pasted or dropped the link to open it.
#[tauri::command]
#[specta::specta]
pub async fn request_open_link(state: State<'_, AppState>, link: String) -> CmdResult<RequestReview> {
    state.touch();
    with_vault(&state, |_| Ok(()))?;
    let link = RequestLink::parse(&link)?;
    let fetched = sending::client()?.fetch_request(&link).await?;
    let review = with_vault(&state, |v| v.review_request(&fetched.jws, now()))?;
    let view = RequestReview::from(&review);
    *state.review.lock().map_err(|_| poisoned())? = Some(review);
    Ok(view)
}

/// Signs and encrypts the packet for the decisions, records it, and sends it to the inbox the
/// signed request names: the brand's acknowledgement comes back, or the packet waits in the
/// outbox (tried again by itself while the app is open).
#[tauri::command]
#[specta::specta]
pub async fn request_send(state: State<'_, AppState>, decisions: Vec<Decision>) -> CmdResult<Sent> {
    let review = current_review(&state)?;
    let decisions = read_decisions(&decisions)?;
    let (_, item) = with_vault(&state, |v| {
        let preview = v.preview_packet(&review, &decisions, now())?;
        v.queue_packet(&review, &preview, now())
    })?;
    *state.review.lock().map_err(|_| poisoned())? = None;
    sending::send(&state, &sending::client()?, &item).await
}

fn current_review(state: &AppState) -> CmdResult<consent::RequestReview> {
    state.review.lock().map_err(|_| poisoned())?.clone().ok_or(CommandError::NoRequestOpen)
}

/// The request open now, if any: it waits while the person visits other screens.
#[tauri::command]
#[specta::specta]
pub fn request_current(state: State<'_, AppState>) -> CmdResult<Option<RequestReview>> {
    with_vault(&state, |_| Ok(()))?;
    Ok(state.review.lock().map_err(|_| poisoned())?.as_ref().map(RequestReview::from))
}

#[tauri::command]
#[specta::specta]
pub fn request_preview(state: State<'_, AppState>, decisions: Vec<Decision>) -> CmdResult<PacketPreview> {
    let review = current_review(&state)?;
    let decisions = read_decisions(&decisions)?;
    let preview = with_vault(&state, |v| v.preview_packet(&review, &decisions, now()))?;
    Ok(PacketPreview {
        brand_name: preview.brand_name.clone(),
        offer: preview.offer.clone(),
        retention_end: preview.retention_end,
        items: preview.items.iter().map(SharedItemView::from).collect(),
        denied: preview.denied.iter().map(ToString::to_string).collect(),
    })
}

/// Trusts the brand's new key (the brand confirmed the change) and reviews the request again.
#[tauri::command]
#[specta::specta]
pub fn request_trust(state: State<'_, AppState>) -> CmdResult<RequestReview> {
    let review = current_review(&state)?;
    let jws = review.request_jws().to_owned();
    let renewed = with_vault(&state, |v| {
        v.trust_brand(&review, now())?;
        v.review_request(&jws, now())
    })?;
    let view = RequestReview::from(&renewed);
    *state.review.lock().map_err(|_| poisoned())? = Some(renewed);
    Ok(view)
}

/// A packet written for its brand.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SavedPacket {
    pub brand_name: String,
    /// The file's name (never its folder).
    pub file_name: String,
}

/// Signs and encrypts the packet for the decisions, writes it where the person chooses, and records it.
#[tauri::command(async)]
#[specta::specta]
pub fn request_save(state: State<'_, AppState>, decisions: Vec<Decision>) -> CmdResult<Option<SavedPacket>> {
    let review = current_review(&state)?;
    let decisions = read_decisions(&decisions)?;
    let preview = with_vault(&state, |v| v.preview_packet(&review, &decisions, now()))?;
    let suggested = format!(
        "{}.tessera",
        review.brand_name.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase()
    );
    let Some(path) = state.choose_file(Pick::SavePacket, &suggested) else { return Ok(None) };
    let entry = with_vault(&state, |v| v.write_packet(&review, &preview, &path, now()))?;
    *state.review.lock().map_err(|_| poisoned())? = None;
    Ok(Some(SavedPacket { brand_name: entry.brand_name, file_name: super::error::file_name(&path) }))
}

/// Declines the whole request: nothing is sent, and the ledger records it.
#[tauri::command]
#[specta::specta]
pub fn request_decline(state: State<'_, AppState>) -> CmdResult<Refusal> {
    let review = current_review(&state)?;
    let refusal = with_vault(&state, |v| v.decline_request(&review, now()))?;
    *state.review.lock().map_err(|_| poisoned())? = None;
    Ok(Refusal::from(&refusal))
}
