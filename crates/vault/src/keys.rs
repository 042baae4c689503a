//! The vault key and what unlocks it: the passphrase (Argon2id) and the recovery secret.
//!
//! A random 256-bit vault key seals every record. It is stored twice, wrapped:
//! once under a key derived from the passphrase with Argon2id (parameters kept
//! in the slot, between the floor and ceiling of `tessera-seal`), once under
//! the recovery secret (HKDF). Every change to the slots is one SQLite
//! transaction, so after a crash either the old or the new passphrase opens
//! the vault, never neither.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rusqlite::{params, Connection};
use tessera_protocol::MasterSecret;
use tessera_seal::{Argon2Params, DataKey, Keyslot, RecordCipher, SealError};
use zeroize::Zeroizing;

use crate::settings::Settings;
use crate::store::{
    self, parse_record, Kind, RecordId, Sealer, Unlocked, Vault, Writer, DATABASE_FILE, SCHEMA_VERSION,
};
use crate::{Result, VaultError};

pub(crate) const VAULT_FORMAT: &str = "tessera-vault";
#[cfg(feature = "plaintext-control")]
const PLAINTEXT_CONTROL_FORMAT: &str = "tessera-vault-plaintext-control";

/// Whether `format` names a vault this build can open.
pub(crate) fn is_known_format(format: &str) -> bool {
    #[cfg(feature = "plaintext-control")]
    if format == PLAINTEXT_CONTROL_FORMAT {
        return true;
    }
    format == VAULT_FORMAT
}

/// Shortest passphrase accepted for a vault.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The recovery secret: 32 random bytes, shown once as 13 groups of 4 characters.
pub struct RecoverySecret(Zeroizing<[u8; 32]>);

impl fmt::Debug for RecoverySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoverySecret(…)")
    }
}

impl RecoverySecret {
    fn generate() -> RecoverySecret {
        let mut bytes = Zeroizing::new([0u8; 32]);
        tessera_protocol::encoding::fill_random(bytes.as_mut());
        RecoverySecret(bytes)
    }

    /// `ABCD-EFGH-…` (base32, 52 characters in 13 groups).
    pub fn display(&self) -> Zeroizing<String> {
        let mut bits: u64 = 0;
        let mut count = 0;
        let mut chars = Zeroizing::new(String::with_capacity(64));
        for byte in self.0.iter() {
            bits = (bits << 8) | u64::from(*byte);
            count += 8;
            while count >= 5 {
                count -= 5;
                chars.push(BASE32[((bits >> count) & 31) as usize] as char);
            }
        }
        if count > 0 {
            chars.push(BASE32[((bits << (5 - count)) & 31) as usize] as char);
        }
        let groups: Vec<&str> =
            chars.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
        Zeroizing::new(groups.join("-"))
    }

    /// Reads a recovery secret as shown, ignoring case, spaces and dashes.
    pub fn parse(text: &str) -> Result<RecoverySecret> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect(),
        );
        if cleaned.len() != 52 {
            return Err(VaultError::MalformedRecoverySecret(format!("{} characters instead of 52", cleaned.len())));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        let (mut bits, mut count, mut at): (u64, u32, usize) = (0, 0, 0);
        for c in cleaned.bytes() {
            let value = BASE32.iter().position(|b| *b == c).ok_or_else(|| {
                VaultError::MalformedRecoverySecret(format!("{:?} is not one of its letters or digits", c as char))
            })?;
            bits = (bits << 5) | value as u64;
            count += 5;
            if count >= 8 {
                count -= 8;
                if at < 32 {
                    bytes[at] = ((bits >> count) & 0xff) as u8;
                }
                at += 1;
            }
        }
        Ok(RecoverySecret(bytes))
    }
}

/// Refuses passphrases that are too short.
pub fn check_new_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(VaultError::WeakPassphrase { min: MIN_PASSPHRASE_CHARS });
    }
    Ok(())
}

/// A rough strength estimate for display: 0 (very weak) to 4 (strong).
pub fn passphrase_strength(passphrase: &str) -> u8 {
    let chars = passphrase.chars().count();
    let classes =
        [char::is_lowercase, char::is_uppercase, |c: char| c.is_ascii_digit(), |c: char| !c.is_alphanumeric()]
            .iter()
            .filter(|class| passphrase.chars().any(class))
            .count();
    let words = passphrase.split_whitespace().filter(|w| w.chars().count() >= 3).count();
    match (chars, classes, words) {
        (0..=9, _, _) => 0,
        (_, _, 4..) if chars >= 20 => 4,
        (20.., 2.., _) => 4,
        (14.., 2.., _) | (16.., _, _) => 3,
        (12.., _, _) => 2,
        _ => 1,
    }
}

fn slot_json(slot: &Keyslot) -> String {
    serde_json::to_string(slot).unwrap_or_else(|e| unreachable!("keyslots serialise: {e}"))
}

fn map_passphrase_error(e: SealError) -> VaultError {
    match e {
        SealError::WrongPassphrase => VaultError::WrongPassphrase,
        other => other.into(),
    }
}

impl Vault {
    /// Creates a vault in `dir` protected by `passphrase`, and returns it
    /// unlocked with the recovery secret to show the user once.
    pub fn create(dir: &Path, passphrase: &str) -> Result<(Vault, RecoverySecret)> {
        check_new_passphrase(passphrase)?;
        let key = DataKey::generate()?;
        Self::create_with(dir, passphrase, VAULT_FORMAT, Sealer::Aead(Box::new(RecordCipher::new(&key))), key)
    }

    /// Test-only: a vault that stores its records in clear, to prove the plaintext scanner can fail.
    #[cfg(feature = "plaintext-control")]
    pub fn create_plaintext_control(dir: &Path, passphrase: &str) -> Result<(Vault, RecoverySecret)> {
        let key = DataKey::generate()?;
        Self::create_with(dir, passphrase, PLAINTEXT_CONTROL_FORMAT, Sealer::Plaintext, key)
    }

    fn create_with(
        dir: &Path,
        passphrase: &str,
        format: &str,
        sealer: Sealer,
        key: DataKey,
    ) -> Result<(Vault, RecoverySecret)> {
        if Vault::exists(dir) {
            return Err(VaultError::VaultExists { dir: dir.to_owned() });
        }
        std::fs::create_dir_all(dir).map_err(|e| VaultError::File { path: dir.to_owned(), detail: e.to_string() })?;
        let recovery = RecoverySecret::generate();
        let passphrase_slot = Keyslot::wrap_with_passphrase(&key, passphrase, Argon2Params::RECOMMENDED)?;
        let recovery_slot = Keyslot::wrap_with_secret(&key, recovery.0.as_ref())?;
        let master = MasterSecret::generate();
        let master_id = RecordId::random();
        let settings = (RecordId::random(), Settings::default());

        // Built under a temporary name and renamed: a crash leaves no vault or a whole one.
        let partial = dir.join(format!("{DATABASE_FILE}.creating"));
        let _ = std::fs::remove_file(&partial);
        {
            let mut conn = Connection::open(&partial)?;
            conn.pragma_update(None, "secure_delete", "ON")?;
            store::migrate(&mut conn, dir)?;
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO vault (id, format, key_generation, passphrase_slot, recovery_slot) VALUES (1, ?1, 1, ?2, ?3)",
                params![format, slot_json(&passphrase_slot), slot_json(&recovery_slot)],
            )?;
            let writer = Writer { tx, sealer: &sealer, generation: 1 };
            writer.put(Kind::Master, &master_id, &MasterRecord { secret: *master.as_bytes() })?;
            writer.put(Kind::Settings, &settings.0, &settings.1)?;
            writer.commit()?;
        }
        let path = dir.join(DATABASE_FILE);
        std::fs::rename(&partial, &path).map_err(|e| VaultError::File { path: path.clone(), detail: e.to_string() })?;
        let mut vault = Vault::open(dir)?;
        vault.open = Some(Unlocked {
            key,
            sealer,
            generation: 1,
            master,
            settings,
            facts: BTreeMap::new(),
            purchases: Vec::new(),
            brands: BTreeMap::new(),
            ledger: Vec::new(),
            damaged: Vec::new(),
        });
        Ok((vault, recovery))
    }

    fn slots(&self) -> Result<(String, i64, Keyslot, Keyslot)> {
        let (format, generation, passphrase_slot, recovery_slot): (String, i64, String, String) = self.conn.query_row(
            "SELECT format, key_generation, passphrase_slot, recovery_slot FROM vault WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let corrupt =
            |e: serde_json::Error| VaultError::Corrupt { dir: self.dir.clone(), detail: format!("key slot: {e}") };
        Ok((
            format,
            generation,
            serde_json::from_str(&passphrase_slot).map_err(corrupt)?,
            serde_json::from_str(&recovery_slot).map_err(corrupt)?,
        ))
    }

    fn sealer_for(&self, format: &str, key: &DataKey) -> Result<Sealer> {
        match format {
            VAULT_FORMAT => Ok(Sealer::Aead(Box::new(RecordCipher::new(key)))),
            #[cfg(feature = "plaintext-control")]
            PLAINTEXT_CONTROL_FORMAT => Ok(Sealer::Plaintext),
            other => {
                Err(VaultError::Corrupt { dir: self.dir.clone(), detail: format!("unknown vault format {other:?}") })
            }
        }
    }

    /// Unlocks with the passphrase: derives the key (Argon2id), then decrypts every record into memory.
    /// Records that cannot be read are listed by [`Vault::damaged_records`]; the others are available.
    pub fn unlock(&mut self, passphrase: &str) -> Result<()> {
        let (format, generation, slot, _) = self.slots()?;
        let key = slot.unwrap_with_passphrase(passphrase).map_err(map_passphrase_error)?;
        self.load(format, generation, key)
    }

    /// Unlocks with the recovery secret and sets a new passphrase, in one transaction.
    pub fn recover(&mut self, recovery: &RecoverySecret, new_passphrase: &str) -> Result<()> {
        check_new_passphrase(new_passphrase)?;
        let (format, generation, _, recovery_slot) = self.slots()?;
        let key = recovery_slot.unwrap_with_secret(recovery.0.as_ref()).map_err(|e| match e {
            SealError::WrongSecret => VaultError::WrongRecoverySecret,
            other => other.into(),
        })?;
        let new_slot = Keyslot::wrap_with_passphrase(&key, new_passphrase, Argon2Params::RECOMMENDED)?;
        self.conn.execute("UPDATE vault SET passphrase_slot = ?1 WHERE id = 1", [slot_json(&new_slot)])?;
        self.load(format, generation, key)
    }

    /// Replaces the passphrase, after checking the current one, in one transaction.
    pub fn change_passphrase(&mut self, current: &str, new: &str) -> Result<()> {
        self.unlocked()?;
        check_new_passphrase(new)?;
        let (_, _, slot, _) = self.slots()?;
        let key = slot.unwrap_with_passphrase(current).map_err(map_passphrase_error)?;
        let new_slot = Keyslot::wrap_with_passphrase(&key, new, Argon2Params::RECOMMENDED)?;
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE vault SET passphrase_slot = ?1 WHERE id = 1", [slot_json(&new_slot)])?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces the vault key: every record is sealed again under a new key and
    /// key generation, in one transaction. The old recovery secret stops
    /// working; the new one is returned, to be shown once.
    pub fn rotate_key(&mut self, passphrase: &str) -> Result<RecoverySecret> {
        let (format, generation, slot, _) = self.slots()?;
        let old_key = slot.unwrap_with_passphrase(passphrase).map_err(map_passphrase_error)?;
        self.unlocked()?;
        let old_sealer = self.sealer_for(&format, &old_key)?;
        let new_key = DataKey::generate()?;
        let new_sealer = self.sealer_for(&format, &new_key)?;
        let new_generation = generation + 1;
        let recovery = RecoverySecret::generate();
        let passphrase_slot = Keyslot::wrap_with_passphrase(&new_key, passphrase, Argon2Params::RECOMMENDED)?;
        let recovery_slot = Keyslot::wrap_with_secret(&new_key, recovery.0.as_ref())?;
        let (records, _damaged) = store::load_records(&self.conn, &old_sealer)?;
        let tx = self.conn.transaction()?;
        for (kind, id, plain) in &records {
            let sealed = new_sealer.seal(&store::record_aad(*kind, id, SCHEMA_VERSION, new_generation), plain)?;
            tx.execute(
                "UPDATE records SET sealed = ?1, key_generation = ?2, schema_version = ?3 WHERE id = ?4",
                params![sealed, new_generation, SCHEMA_VERSION, &id.0[..]],
            )?;
        }
        tx.execute(
            "UPDATE vault SET key_generation = ?1, passphrase_slot = ?2, recovery_slot = ?3 WHERE id = 1",
            params![new_generation, slot_json(&passphrase_slot), slot_json(&recovery_slot)],
        )?;
        tx.commit()?;
        if let Some(open) = self.open.as_mut() {
            open.key = new_key;
            open.sealer = new_sealer;
            open.generation = new_generation;
        }
        Ok(recovery)
    }

    /// Decrypts every record with `key` into memory.
    fn load(&mut self, format: String, generation: i64, key: DataKey) -> Result<()> {
        let sealer = self.sealer_for(&format, &key)?;
        let (records, mut damaged) = store::load_records(&self.conn, &sealer)?;
        let mut master = None;
        let mut settings = None;
        let mut facts = BTreeMap::new();
        let mut purchases = Vec::with_capacity(records.len());
        let mut brands = BTreeMap::new();
        let mut ledger = Vec::new();
        for (kind, id, plain) in records {
            match kind {
                Kind::Master => {
                    master = parse_record::<MasterRecord>(kind, id, &plain, &mut damaged)
                        .map(|m| MasterSecret::from_bytes(&m.secret))
                }
                Kind::Settings => settings = parse_record(kind, id, &plain, &mut damaged).map(|s| (id, s)),
                Kind::Fact => {
                    if let Some(fact) = parse_record::<crate::facts::Fact>(kind, id, &plain, &mut damaged) {
                        facts.insert(fact.item, (id, fact));
                    }
                }
                Kind::Purchase => {
                    if let Some(p) = parse_record(kind, id, &plain, &mut damaged) {
                        purchases.push((id, p));
                    }
                }
                Kind::Brand => {
                    if let Some(b) = parse_record::<crate::consent::PinnedBrand>(kind, id, &plain, &mut damaged) {
                        brands.insert(b.key(), (id, b));
                    }
                }
                Kind::Ledger => {
                    if let Some(e) = parse_record(kind, id, &plain, &mut damaged) {
                        ledger.push((id, e));
                    }
                }
            }
        }
        let master = master.ok_or_else(|| VaultError::Corrupt {
            dir: self.dir.clone(),
            detail: "the master secret record cannot be read".into(),
        })?;
        let settings = settings.unwrap_or_else(|| (RecordId::random(), Settings::default()));
        crate::purchases::sort_newest_first(&mut purchases);
        ledger.sort_by_key(|(_, e): &(RecordId, crate::ledger::LedgerEntry)| std::cmp::Reverse(e.shared_at));
        self.open =
            Some(Unlocked { key, sealer, generation, master, settings, facts, purchases, brands, ledger, damaged });
        Ok(())
    }
}

/// The content of the master-secret record.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct MasterRecord {
    pub(crate) secret: [u8; 32],
}

impl Drop for MasterRecord {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.secret.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_secrets_round_trip_through_their_display_form() {
        let secret = RecoverySecret::generate();
        let shown = secret.display();
        assert_eq!(shown.len(), 52 + 12);
        let parsed = RecoverySecret::parse(&shown.to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(*parsed.0, *secret.0);
        assert!(RecoverySecret::parse("ABCD").is_err());
        assert!(RecoverySecret::parse(&"1".repeat(52)).is_err(), "1 is not in the alphabet");
    }

    #[test]
    fn strength_grows_with_length_and_variety() {
        assert_eq!(passphrase_strength("short"), 0);
        assert!(passphrase_strength("correct horse battery staple") >= 4);
        assert!(passphrase_strength("abcdefghijkl") < passphrase_strength("Abcdefgh1234!xyz"));
    }
}
