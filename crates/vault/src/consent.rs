//! Consent decisions: open a request, check who sends it, decide item by item, seal the packet.
//!
//! A brand's key is pinned the first time the consumer shares with it (or
//! trusts it explicitly; see [`crate::brands`]). A later request under the
//! same brand name but a different key is refused with a loud warning until
//! the consumer re-trusts it. A new brand whose name looks like the name of a
//! brand already trusted (Unicode confusables, UTS #39) is flagged on the
//! review as a possible impostor. Nothing is pre-approved: every requested
//! item needs a decision — exact, generalised or deny — and `never share`
//! facts are always refused.
//!
//! Declining is as plain as sharing: the whole request is refused in one step
//! and recorded in the ledger ([`RequestReview::refusal`]); nothing is sent
//! and no key is pinned. Denying every item is not a packet: it is declining.
//!
//! Decisions only read the vault ([`Holdings`]); the vault writes the packet
//! file, the ledger entry and the brand's pin in one step.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_protocol::packet::{self, PacketClaims, SharedItem};
use tessera_protocol::request::{self, SignedRequest};
use tessera_protocol::{derive_brand_key, envelope, items, Did, ItemName, MasterSecret};

use crate::brands::PinnedBrands;
use crate::error::{Result, VaultError};
use crate::facts::{Facts, Sensitivity};
use crate::ledger::{AskedItem, LedgerEntry, Refusal};
use crate::purchases::{PurchaseFilter, Purchases};
use crate::settings::Settings;

pub use crate::brands::{BrandTrust, LookalikeBrand, PinnedBrand};

/// One requested item, as the consumer sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemReview {
    pub item: ItemName,
    pub label_en: &'static str,
    pub label_fr: &'static str,
    pub purpose: String,
    pub required: bool,
    /// The sensitivity of the fact this would come from, if the vault has it.
    pub sensitivity: Option<Sensitivity>,
    /// Refused automatically: the fact is set to never share.
    pub never_share: bool,
    /// The value shared exactly, if the vault has it.
    pub exact: Option<Value>,
    /// The generalised forms possible, with their values.
    pub generalised: Vec<GeneralisedOption>,
}

/// A generalised form of an item and the value it would share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneralisedOption {
    pub item: ItemName,
    pub label_en: &'static str,
    pub label_fr: &'static str,
    pub value: Value,
}

/// A verified request, ready for decisions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestReview {
    pub request_jti: String,
    pub brand_name: String,
    pub brand_did: String,
    pub fingerprint: String,
    pub trust: BrandTrust,
    /// Set when the brand's name looks like that of another brand you trust (another key).
    pub lookalike: Option<LookalikeBrand>,
    pub offer: String,
    pub retention_days: u32,
    pub expires_at: i64,
    pub items: Vec<ItemReview>,
    /// The host (and port) of the brand's inbox, when the request names one (`response_uri`):
    /// the packet is sent there and nowhere else.
    pub inbox_host: Option<String>,
    /// How the person answered this very request before, oldest first (empty the first time).
    pub answered_before: Vec<EarlierAnswer>,
    #[serde(skip)]
    pub(crate) request: SignedRequest,
}

/// An earlier answer to the same request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum EarlierAnswer {
    /// A packet was shared; where it stands now.
    Shared { packet_jti: String, at: i64, status: crate::ledger::PacketStatus },
    /// The request was declined.
    Declined { at: i64 },
}

/// The consumer's choice for one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "choice", content = "form", rename_all = "snake_case")]
pub enum Choice {
    Exact,
    Generalised(ItemName),
    Deny,
}

/// A decision for one requested item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub item: ItemName,
    #[serde(flatten)]
    pub choice: Choice,
}

/// Exactly what a packet would contain, before signing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PacketPreview {
    pub brand_name: String,
    pub fingerprint: String,
    pub offer: String,
    pub retention_end: i64,
    pub items: Vec<SharedItem>,
    pub denied: Vec<ItemName>,
    #[serde(skip)]
    pub(crate) claims: PacketClaims,
}

/// Purchase history shared covers the twelve months before the answer.
pub const PURCHASE_MONTHS_SHARED: u32 = 12;

pub(crate) fn today(now: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(now, 0).map(|t| t.date_naive()).unwrap_or_default()
}

impl RequestReview {
    /// The request JWS, exactly as the brand signed it.
    pub fn request_jws(&self) -> &str {
        &self.request.jws
    }

    /// The ledger's record of declining this request at `now`: who asked, for what and why.
    pub(crate) fn refusal(&self, now: i64) -> Refusal {
        let claims = &self.request.claims;
        Refusal {
            request_jti: claims.jti.clone(),
            brand_did: claims.iss.clone(),
            brand_name: claims.brand_name.clone(),
            offer: claims.offer.clone(),
            asked: claims
                .items
                .iter()
                .map(|i| AskedItem { item: i.item, purpose: i.purpose.clone(), required: i.required })
                .collect(),
            declined_at: now,
        }
    }

    /// The pin of the request's brand key, trusted at `now`.
    pub(crate) fn brand_pin(&self, now: i64) -> PinnedBrand {
        PinnedBrand {
            name: self.request.claims.brand_name.clone(),
            did: self.request.claims.iss.clone(),
            trusted_at: now,
        }
    }
}

/// What a consent decision reads from the unlocked vault: the facts and
/// purchases it could share, the preferences, the brands already trusted, and
/// the master secret the per-brand keys come from.
pub(crate) struct Holdings<'a> {
    pub(crate) master: &'a MasterSecret,
    pub(crate) settings: &'a Settings,
    pub(crate) facts: &'a Facts,
    pub(crate) purchases: &'a Purchases,
    pub(crate) brands: &'a PinnedBrands,
}

impl Holdings<'_> {
    /// The value of `source` the vault holds, and its sensitivity.
    fn source_value(&self, source: &ItemName, now: i64) -> Result<Option<(Value, Sensitivity)>> {
        if source.as_str() == "purchases" {
            let to = today(now);
            let from = to.checked_sub_months(Months::new(PURCHASE_MONTHS_SHARED)).unwrap_or(to);
            let purchases = self.purchases.matching(&PurchaseFilter {
                from: Some(from),
                to: Some(to),
                ..PurchaseFilter::default()
            });
            if purchases.is_empty() {
                return Ok(None);
            }
            let shared: Vec<items::Purchase> = purchases.iter().map(|p| p.to_shared()).collect();
            let value = serde_json::to_value(shared).unwrap_or_else(|e| unreachable!("purchases serialise: {e}"));
            return Ok(Some((value, self.settings.purchases_sensitivity)));
        }
        Ok(self.facts.get(source).map(|f| (f.value.clone(), f.sensitivity)))
    }

    /// The value `delivered` would have, computed from the first fact the vault has among its sources.
    fn value_for(&self, delivered: &ItemName, now: i64) -> Result<Option<(Value, Sensitivity)>> {
        for source in delivered.sources() {
            if let Some((value, sensitivity)) = self.source_value(&source, now)? {
                let derived = items::derive(delivered, &source, &value, today(now))?;
                return Ok(Some((derived, sensitivity)));
            }
        }
        Ok(None)
    }

    fn trust_of(&self, brand_name: &str, did: &Did) -> Result<BrandTrust> {
        Ok(self.brands.trust_of(brand_name, did))
    }

    /// Verifies a request (signature, format, dates) and describes it for a decision.
    pub(crate) fn review_request(&self, jws: &str, now: i64) -> Result<RequestReview> {
        let request = request::verify(jws)?;
        request.check_answerable(now)?;
        let claims = &request.claims;
        let mut reviews = Vec::with_capacity(claims.items.len());
        for asked in &claims.items {
            let exact = self.value_for(&asked.item, now)?;
            let mut generalised = Vec::new();
            let mut sensitivity = exact.as_ref().map(|(_, s)| *s);
            for form in asked.item.generalisations() {
                if let Some((value, s)) = self.value_for(&form, now)? {
                    sensitivity.get_or_insert(s);
                    generalised.push(GeneralisedOption {
                        item: form,
                        label_en: form.spec().label_en,
                        label_fr: form.spec().label_fr,
                        value,
                    });
                }
            }
            reviews.push(ItemReview {
                item: asked.item,
                label_en: asked.item.spec().label_en,
                label_fr: asked.item.spec().label_fr,
                purpose: asked.purpose.clone(),
                required: asked.required,
                never_share: sensitivity == Some(Sensitivity::NeverShare),
                sensitivity,
                exact: exact.map(|(v, _)| v),
                generalised,
            });
        }
        Ok(RequestReview {
            request_jti: claims.jti.clone(),
            brand_name: claims.brand_name.clone(),
            brand_did: claims.iss.to_string(),
            fingerprint: claims.iss.fingerprint(),
            trust: self.trust_of(&claims.brand_name, &claims.iss)?,
            lookalike: self.brands.lookalike_of(&claims.brand_name, &claims.iss),
            offer: claims.offer.clone(),
            retention_days: claims.retention_days,
            expires_at: claims.exp,
            items: reviews,
            inbox_host: request.inbox().map(|inbox| inbox.host()),
            answered_before: Vec::new(),
            request,
        })
    }

    /// Computes exactly what the packet would contain for `decisions`. Every
    /// requested item needs one decision; `never share` facts must be denied.
    pub(crate) fn preview_packet(
        &self,
        review: &RequestReview,
        decisions: &[Decision],
        now: i64,
    ) -> Result<PacketPreview> {
        let request = &review.request;
        request.check_answerable(now)?;
        if let BrandTrust::KeyChanged { pinned_fingerprint, .. } =
            self.trust_of(&request.claims.brand_name, &request.claims.iss)?
        {
            return Err(VaultError::BrandKeyChanged {
                brand_name: request.claims.brand_name.clone(),
                pinned_fingerprint,
                new_fingerprint: request.brand().fingerprint(),
            });
        }
        for d in decisions {
            if request.requested(&d.item).is_none() {
                return Err(VaultError::NotRequested { item: d.item });
            }
            if decisions.iter().filter(|other| other.item == d.item).count() > 1 {
                return Err(VaultError::DecidedTwice { item: d.item });
            }
        }
        let undecided: Vec<ItemName> = request
            .claims
            .items
            .iter()
            .filter(|i| !decisions.iter().any(|d| d.item == i.item))
            .map(|i| i.item)
            .collect();
        if !undecided.is_empty() {
            return Err(VaultError::Undecided { items: undecided });
        }
        let mut shared = Vec::new();
        let mut denied = Vec::new();
        for asked in &request.claims.items {
            let Some(decision) = decisions.iter().find(|d| d.item == asked.item) else { continue };
            let delivered = match &decision.choice {
                Choice::Deny => {
                    denied.push(asked.item);
                    continue;
                }
                Choice::Exact => asked.item,
                Choice::Generalised(form) => {
                    if !asked.item.generalisations().contains(form) {
                        return Err(VaultError::CannotGeneralise { item: asked.item, form: *form });
                    }
                    *form
                }
            };
            let (value, sensitivity) = self
                .value_for(&delivered, now)?
                .ok_or(VaultError::NothingToShareAs { item: asked.item, form: delivered })?;
            if sensitivity == Sensitivity::NeverShare {
                return Err(VaultError::NeverShare { item: asked.item.to_string() });
            }
            shared.push(SharedItem { answers: asked.item, item: delivered, value });
        }
        if shared.is_empty() {
            return Err(VaultError::EverythingDenied);
        }
        let consumer = derive_brand_key(self.master, request.brand()).did();
        let claims = packet::draft(request, &consumer, shared, now)?;
        Ok(PacketPreview {
            brand_name: request.claims.brand_name.clone(),
            fingerprint: request.brand().fingerprint(),
            offer: request.claims.offer.clone(),
            retention_end: claims.exp,
            items: claims.items.clone(),
            denied,
            claims,
        })
    }
}

/// A packet signed and encrypted for its brand, with the ledger entry that records it.
pub(crate) struct SealedPacket {
    /// The age file for the brand.
    pub(crate) file: Vec<u8>,
    pub(crate) entry: LedgerEntry,
}

/// Signs the previewed packet with the per-brand key derived from `master` and
/// encrypts it to the brand; writes nothing.
pub(crate) fn seal_packet(
    review: &RequestReview,
    preview: &PacketPreview,
    master: &MasterSecret,
) -> Result<SealedPacket> {
    let request = &review.request;
    if preview.claims.request_jti != request.claims.jti {
        return Err(VaultError::PreviewOfAnotherRequest);
    }
    let key = derive_brand_key(master, request.brand());
    let signed = packet::sign(&preview.claims, &key)?;
    let file = envelope::seal(&signed.jws, &request.claims.age_recipient)?;
    let entry = LedgerEntry {
        packet_jti: signed.claims.jti.clone(),
        packet_hash: signed.hash.clone(),
        brand_did: request.claims.iss.clone(),
        brand_name: request.claims.brand_name.clone(),
        request_jti: request.claims.jti.clone(),
        purposes: request.claims.items.iter().map(|i| (i.item, i.purpose.clone())).collect(),
        offer: request.claims.offer.clone(),
        consumer_did: key.did(),
        shared_at: signed.claims.iat,
        retention_end: signed.claims.exp,
        items: signed.claims.items.clone(),
        revocation_jti: None,
        revoked_at: None,
        deletion: None,
        response_uri: request.claims.response_uri.clone(),
        delivered: None,
        never_received_at: None,
        withdrawn: None,
    };
    Ok(SealedPacket { file, entry })
}
