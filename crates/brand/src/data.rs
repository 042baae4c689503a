//! Reading imported data: list, show, export as JSON or CSV.

use rusqlite::OptionalExtension;
use serde::Serialize;
use tessera_protocol::packet::{PacketClaims, SharedItem};

use crate::import::packet_aad;
use crate::{BrandError, BrandStore, Result};

/// A stored packet, opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldPacket {
    pub packet_jti: String,
    pub packet_hash: String,
    pub consumer: String,
    pub request_jti: String,
    pub issued_at: i64,
    pub retention_end: i64,
    pub imported_at: i64,
    pub items: Vec<SharedItem>,
    /// The consumer-signed packet JWS: proof of what was consented to.
    pub jws: String,
}

impl BrandStore {
    fn open_packet_row(&self, jti: String, sealed: Vec<u8>, imported_at: i64) -> Result<HeldPacket> {
        let plain = self.cipher.open(&packet_aad(&jti), &sealed)?;
        let jws = String::from_utf8(plain.to_vec()).map_err(|_| BrandError::Corrupt {
            dir: self.dir.display().to_string(),
            detail: format!("packet {jti} is not text"),
        })?;
        // Stored packets were verified on import; here only their content is read back.
        let claims: PacketClaims = parse_stored(&jws).ok_or_else(|| BrandError::Corrupt {
            dir: self.dir.display().to_string(),
            detail: format!("packet {jti} cannot be read back"),
        })?;
        Ok(HeldPacket {
            packet_hash: tessera_protocol::encoding::sha256_b64url(jws.as_bytes()),
            packet_jti: jti,
            consumer: claims.iss.to_string(),
            request_jti: claims.request_jti,
            issued_at: claims.iat,
            retention_end: claims.exp,
            imported_at,
            items: claims.items,
            jws,
        })
    }

    /// Every packet held, oldest import first.
    pub fn packets(&self) -> Result<Vec<HeldPacket>> {
        let mut stmt = self.conn.prepare("SELECT jti, sealed, imported_at FROM packets ORDER BY imported_at, jti")?;
        let rows: Vec<(String, Vec<u8>, i64)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(|(jti, sealed, imported_at)| self.open_packet_row(jti, sealed, imported_at)).collect()
    }

    /// The packet `jti`.
    pub fn packet(&self, jti: &str) -> Result<HeldPacket> {
        let row: Option<(Vec<u8>, i64)> = self
            .conn
            .query_row("SELECT sealed, imported_at FROM packets WHERE jti = ?1", [jti], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (sealed, imported_at) = row.ok_or_else(|| BrandError::UnknownPacket { packet_jti: jti.to_owned() })?;
        self.open_packet_row(jti.to_owned(), sealed, imported_at)
    }

    /// All held data as a JSON array of packets.
    pub fn export_json(&self) -> Result<String> {
        let packets: Vec<serde_json::Value> = self
            .packets()?
            .into_iter()
            .map(|p| {
                serde_json::json!({
                    "packet_jti": p.packet_jti,
                    "consumer": p.consumer,
                    "request_jti": p.request_jti,
                    "issued_at": p.issued_at,
                    "retention_end": p.retention_end,
                    "imported_at": p.imported_at,
                    "items": p.items,
                })
            })
            .collect();
        Ok(serde_json::to_string_pretty(&packets).unwrap_or_else(|e| unreachable!("JSON values serialise: {e}")))
    }

    /// All held data as CSV, one row per item: texts as they are, other values as JSON.
    pub fn export_csv(&self) -> Result<String> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| BrandError::Io { dir: self.dir.display().to_string(), detail: e.to_string() };
        writer
            .write_record([
                "packet_jti",
                "consumer",
                "request_jti",
                "issued_at",
                "retention_end",
                "answers",
                "item",
                "value",
            ])
            .map_err(io)?;
        for p in self.packets()? {
            for item in &p.items {
                let value = match &item.value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                writer
                    .write_record([
                        p.packet_jti.as_str(),
                        &p.consumer,
                        &p.request_jti,
                        &p.issued_at.to_string(),
                        &p.retention_end.to_string(),
                        item.answers.as_str(),
                        item.item.as_str(),
                        &value,
                    ])
                    .map_err(io)?;
            }
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| BrandError::Io { dir: self.dir.display().to_string(), detail: e.to_string() })?;
        Ok(String::from_utf8(bytes).unwrap_or_else(|e| unreachable!("CSV of UTF-8 strings is UTF-8: {e}")))
    }
}

/// Reads the claims of a packet that was verified when it was imported.
fn parse_stored(jws: &str) -> Option<PacketClaims> {
    let payload = jws.split('.').nth(1)?;
    let bytes = tessera_protocol::encoding::b64url_decode(payload)?;
    let claims: PacketClaims = serde_json::from_slice(&bytes).ok()?;
    Some(claims)
}
