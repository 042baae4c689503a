//! The brands the consumer has shared with or trusted, and the key each one signs with.
//!
//! A brand's key is pinned the first time the consumer shares with it (or
//! trusts it explicitly). Brands are recognised by their name, ignoring case
//! and accents: a later request under a known name but another key is a
//! [`BrandTrust::KeyChanged`], refused until the consumer re-trusts it.
//! [`PinnedBrands`] is the collection of `brand` records.
//!
//! What it must never do: pin a key the consumer did not share with or trust,
//! or let a changed key pass as known.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tessera_protocol::Did;

use crate::error::Result;
use crate::parse::fold;
use crate::store::{DamagedRecord, Kind, RecordId, RecordKey, RecordStore, Staged, Writer};

/// A brand the consumer has shared with or trusted, and the key it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedBrand {
    pub name: String,
    pub did: Did,
    pub trusted_at: i64,
}

impl PinnedBrand {
    /// Brands are recognised by their name, ignoring case and accents.
    pub(crate) fn key(&self) -> String {
        brand_key(&self.name)
    }
}

fn brand_key(name: &str) -> String {
    fold(name.trim())
}

/// What the vault knows of the brand behind a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BrandTrust {
    /// Never seen: its key will be pinned when you share.
    FirstContact,
    /// The same key as before.
    Known,
    /// The brand name is known but the key is different: possibly an impostor.
    KeyChanged { pinned_fingerprint: String, pinned_did: String },
}

/// A brand the consumer already trusts whose name looks like the name in a request signed
/// by another key: the request may come from an impostor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookalikeBrand {
    /// The trusted brand's name, as pinned.
    pub name: String,
    pub fingerprint: String,
    pub did: String,
}

/// The pinned brands: every `brand` record, by brand name folded.
#[derive(Default)]
pub(crate) struct PinnedBrands {
    by_name: BTreeMap<String, (RecordId, PinnedBrand)>,
}

impl PinnedBrands {
    pub(crate) fn load(store: &RecordStore, key: &RecordKey, damaged: &mut Vec<DamagedRecord>) -> Result<PinnedBrands> {
        let records = store.load::<PinnedBrand>(Kind::Brand, key, damaged)?;
        Ok(PinnedBrands { by_name: records.into_iter().map(|(id, b)| (b.key(), (id, b))).collect() })
    }

    /// Writes `brands` as new records (a restore); the collection once committed.
    pub(crate) fn write_new(writer: &Writer<'_>, brands: &[PinnedBrand]) -> Result<PinnedBrands> {
        let records = writer.put_all_new(Kind::Brand, brands.iter().cloned())?;
        Ok(PinnedBrands { by_name: records.into_iter().map(|(id, b)| (b.key(), (id, b))).collect() })
    }

    /// Every pinned brand, by name.
    pub(crate) fn list(&self) -> Vec<PinnedBrand> {
        self.by_name.values().map(|(_, b)| b.clone()).collect()
    }

    /// Whether `did` is the key pinned for `brand_name`.
    pub(crate) fn trust_of(&self, brand_name: &str, did: &Did) -> BrandTrust {
        match self.by_name.get(&brand_key(brand_name)) {
            None => BrandTrust::FirstContact,
            Some((_, pinned)) if &pinned.did == did => BrandTrust::Known,
            Some((_, pinned)) => BrandTrust::KeyChanged {
                pinned_fingerprint: pinned.did.fingerprint(),
                pinned_did: pinned.did.to_string(),
            },
        }
    }

    /// The first trusted brand, other than `did`, whose name looks like `name` (UTS #39 skeletons).
    pub(crate) fn lookalike_of(&self, name: &str, did: &Did) -> Option<LookalikeBrand> {
        self.by_name
            .values()
            .map(|(_, p)| p)
            // The same name under another key is a changed key, said as such (not a lookalike).
            .filter(|p| &p.did != did && p.name != name && tessera_protocol::text::looks_alike(&p.name, name))
            .min_by(|a, b| a.name.cmp(&b.name))
            .map(|p| LookalikeBrand { name: p.name.clone(), fingerprint: p.did.fingerprint(), did: p.did.to_string() })
    }

    /// Writes `pinned` in `writer`'s transaction, replacing the pin of a brand of the same name.
    pub(crate) fn stage(&self, writer: &Writer<'_>, pinned: PinnedBrand) -> Result<Staged<PinnedBrand>> {
        let id = self.by_name.get(&pinned.key()).map(|(id, _)| *id).unwrap_or_else(RecordId::random);
        writer.put(Kind::Brand, &id, &pinned)?;
        Ok(Staged { id, value: pinned })
    }

    /// Applies a pin once its transaction committed.
    pub(crate) fn apply(&mut self, staged: Staged<PinnedBrand>) {
        self.by_name.insert(staged.value.key(), (staged.id, staged.value));
    }

    /// Pins (or re-pins) a brand's key, in a transaction of its own.
    pub(crate) fn pin(&mut self, store: &mut RecordStore, key: &RecordKey, pinned: PinnedBrand) -> Result<()> {
        let writer = store.write(key)?;
        let staged = self.stage(&writer, pinned)?;
        writer.commit()?;
        self.apply(staged);
        Ok(())
    }
}
