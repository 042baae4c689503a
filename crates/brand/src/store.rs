//! The brand store: one door ([`Store`]) into a brand's keys, requests, packets and tombstones,
//! whichever backend keeps them.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use tessera_protocol::request::SignedRequest;
use tessera_protocol::Did;
use zeroize::Zeroizing;

use crate::backend::{Backend, Location};
use crate::keys::{self, packet_aad, BrandKeys, Unlock};
use crate::{BrandError, Result};

pub use crate::backend::sqlite::{DATABASE_FILE, SCHEMA_VERSION};

/// An open, unlocked brand store. Every method takes `&self` but [`Store::change_unlock`]; an
/// inbox shares one `Store` between all its requests.
pub struct Store {
    pub(crate) backend: Backend,
    pub(crate) location: Location,
    pub(crate) name: String,
    pub(crate) age_recipient: String,
    pub(crate) keys: Arc<BrandKeys>,
    /// The generation of the keys this process holds (see `BrandRecord::keys_generation`).
    pub(crate) keys_generation: i64,
    /// Requests already verified by this process, by `jti`.
    pub(crate) request_cache: RwLock<HashMap<String, SignedRequest>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location.describe())
            .field("did", &self.keys.did)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What moving a store to another backend copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveReport {
    pub requests: usize,
    pub packets: usize,
    pub tombstones: usize,
}

impl Store {
    /// Creates a new brand store at `location` with fresh keys, sealed under `unlock`.
    pub async fn create(location: &Location, name: &str, unlock: Unlock<'_>, now: i64) -> Result<Store> {
        let name = name.trim();
        // The name goes into every request: it obeys the protocol's rule for names.
        tessera_protocol::text::check_name(name, tessera_protocol::request::MAX_BRAND_NAME_CHARS)
            .map_err(|problem| BrandError::InvalidName { problem })?;
        let (record, keys) = keys::generate(name, unlock, now)?;
        let backend = Backend::create(location, &record).await?;
        Ok(Store {
            backend,
            location: location.clone(),
            name: record.name,
            age_recipient: record.age_recipient,
            keys: Arc::new(keys),
            keys_generation: record.keys_generation,
            request_cache: RwLock::new(HashMap::new()),
        })
    }

    /// Opens and unlocks the store at `location`. Callers should then run
    /// [`Store::purge_expired`], as the command line does on every command.
    pub async fn open(location: &Location, unlock: Unlock<'_>) -> Result<Store> {
        let (backend, record) = Backend::open(location).await?;
        let keys = keys::unlock(&record, unlock, &location.describe())?;
        Ok(Store {
            backend,
            location: location.clone(),
            name: record.name,
            age_recipient: record.age_recipient,
            keys: Arc::new(keys),
            keys_generation: record.keys_generation,
            request_cache: RwLock::new(HashMap::new()),
        })
    }

    /// Where the store is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The brand's identity (`did:key`).
    pub fn did(&self) -> &Did {
        &self.keys.did
    }

    /// The brand's public name, as shown to consumers.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The age recipient (`age1…`) packets are encrypted to.
    pub fn age_recipient(&self) -> &str {
        &self.age_recipient
    }

    /// The brand's age identity in the `AGE-SECRET-KEY-1…` form, for the stock `age` tool.
    /// The caller decides where it goes; it is a secret.
    pub fn export_age_identity(&self) -> Zeroizing<String> {
        use age::secrecy::ExposeSecret;
        Zeroizing::new(self.keys.age_identity.to_string().expose_secret().to_owned())
    }

    /// Re-seals the keys and every packet under a fresh data key protected by a new passphrase
    /// or key file, in one transaction. Inbox servers still running with the old key refuse to
    /// store packets from then on (`keys_changed`) until they are restarted.
    pub async fn change_unlock(&mut self, new_unlock: Unlock<'_>) -> Result<()> {
        let record = self.backend.brand_record().await?;
        let (keyslot, sealed_keys, cipher) = keys::rewrap(&self.keys, &record, new_unlock)?;
        let (old, new) = (Arc::clone(&self.keys), Arc::new(cipher));
        let new_for_reseal = Arc::clone(&new);
        let reseal = Arc::new(move |jti: &str, sealed: &[u8]| -> Option<Vec<u8>> {
            let aad = packet_aad(jti);
            let plain = old.cipher.open(&aad, sealed).ok()?;
            new_for_reseal.seal(&aad, &plain).ok()
        });
        self.keys_generation = self.backend.rekey(keyslot, sealed_keys, reseal).await?;
        let keys = keys::unlock(&self.backend.brand_record().await?, new_unlock, &self.location.describe())?;
        self.keys = Arc::new(keys);
        Ok(())
    }

    /// Copies everything this store holds — keys (still sealed), requests, packets (still
    /// sealed), tombstones and receipts — into a new store at `target`, in one transaction,
    /// then checks that the copy holds exactly the same rows. This store is left as it was.
    pub async fn move_to(&self, target: &Location) -> Result<MoveReport> {
        let dump = self.backend.dump().await?;
        let copy = Backend::restore(target, &dump).await?;
        let copied = copy.dump().await?;
        if copied != dump {
            return Err(BrandError::Corrupt {
                dir: target.describe(),
                detail: "the copy does not hold exactly what the store holds; use the original store".into(),
            });
        }
        Ok(MoveReport { requests: dump.requests.len(), packets: dump.packets.len(), tombstones: dump.tombstones.len() })
    }
}
