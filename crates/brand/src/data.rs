//! Reading imported data: list, show, export as JSON or CSV.
//!
//! A stored packet is read back with the very parser and checks that accepted it on import
//! (`tessera_protocol::packet::verify_stored`). A row that cannot be read back (altered on
//! disk, or accepted by an older, laxer Tessera) is reported and skipped: it never makes the
//! other packets unreadable. CSV exports neutralise values a spreadsheet would run as
//! formulas (OWASP: a leading `'`, every field quoted).

use std::fmt;

use serde::Serialize;
use tessera_protocol::packet::{self, SharedItem};
use tessera_protocol::ProtocolError;

use crate::backend::PacketRow;
use crate::keys::packet_aad;
use crate::{BrandError, Result, Store};

/// A stored packet, opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldPacket {
    pub packet_jti: String,
    pub packet_hash: String,
    pub consumer: String,
    pub request_jti: String,
    pub issued_at: i64,
    /// When the data is purged: the packet's `exp`, or the request's retention from import if earlier.
    pub retention_end: i64,
    pub imported_at: i64,
    pub items: Vec<SharedItem>,
    /// The consumer-signed packet JWS: proof of what was consented to.
    pub jws: String,
}

/// Why a stored packet cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The sealed row does not open with the store's key: it was altered on disk.
    Sealed,
    /// The opened row is not text.
    NotText,
    /// The stored JWS no longer passes the checks it is read back with.
    Invalid(ProtocolError),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Sealed => f.write_str("its sealed record does not open: it was altered or damaged on disk"),
            Unreadable::NotText => f.write_str("its record is not a packet"),
            Unreadable::Invalid(e) => write!(f, "it no longer passes the packet checks: {e}"),
        }
    }
}

/// A stored packet that cannot be read back, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadablePacket {
    pub packet_jti: String,
    pub reason: Unreadable,
}

/// Every packet held: those that read back, and those that do not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PacketListing {
    pub packets: Vec<HeldPacket>,
    pub unreadable: Vec<UnreadablePacket>,
}

/// An export, and the packets it had to leave out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub text: String,
    /// How many packets the export holds.
    pub packets: usize,
    pub unreadable: Vec<UnreadablePacket>,
}

impl Store {
    fn open_packet_row(&self, row: PacketRow) -> std::result::Result<HeldPacket, UnreadablePacket> {
        let unreadable = |reason| UnreadablePacket { packet_jti: row.jti.clone(), reason };
        let plain =
            self.keys.cipher.open(&packet_aad(&row.jti), &row.sealed).map_err(|_| unreadable(Unreadable::Sealed))?;
        let jws = std::str::from_utf8(&plain).map_err(|_| unreadable(Unreadable::NotText))?;
        let packet = packet::verify_stored(jws, &self.keys.did).map_err(|e| unreadable(Unreadable::Invalid(e)))?;
        if packet.claims.jti != row.jti {
            return Err(unreadable(Unreadable::NotText));
        }
        Ok(HeldPacket {
            packet_hash: packet.hash,
            packet_jti: row.jti,
            consumer: packet.claims.iss.to_string(),
            request_jti: packet.claims.request_jti,
            issued_at: packet.claims.iat,
            retention_end: row.retention_end,
            imported_at: row.imported_at,
            items: packet.claims.items,
            jws: packet.jws,
        })
    }

    /// Every packet held, oldest import first, with those that cannot be read back listed apart.
    pub async fn packet_listing(&self) -> Result<PacketListing> {
        let rows = self.backend.packet_rows().await?;
        let mut listing = PacketListing::default();
        for row in rows {
            match self.open_packet_row(row) {
                Ok(packet) => listing.packets.push(packet),
                Err(unreadable) => listing.unreadable.push(unreadable),
            }
        }
        Ok(listing)
    }

    /// Every packet that reads back, oldest import first (see [`BrandStore::packet_listing`]
    /// for those that do not).
    pub async fn packets(&self) -> Result<Vec<HeldPacket>> {
        Ok(self.packet_listing().await?.packets)
    }

    /// The packet `jti`.
    pub async fn packet(&self, jti: &str) -> Result<HeldPacket> {
        let row = self.backend.packet_row(jti).await?;
        let row = row.ok_or_else(|| BrandError::UnknownPacket { packet_jti: jti.to_owned() })?;
        self.open_packet_row(row)
            .map_err(|u| BrandError::UnreadablePacket { packet_jti: u.packet_jti, reason: u.reason })
    }

    /// All readable data as a JSON array of packets.
    pub async fn export_json(&self) -> Result<Export> {
        let listing = self.packet_listing().await?;
        let packets: Vec<serde_json::Value> = listing
            .packets
            .iter()
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
        Ok(Export {
            text: serde_json::to_string_pretty(&packets).unwrap_or_else(|e| unreachable!("JSON values serialise: {e}")),
            packets: listing.packets.len(),
            unreadable: listing.unreadable,
        })
    }

    /// All readable data as CSV, one row per item: texts as they are, other values as JSON,
    /// every field quoted and neutralised against formula injection (see [`csv_cell`]).
    pub async fn export_csv(&self) -> Result<Export> {
        let listing = self.packet_listing().await?;
        let mut writer = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(Vec::new());
        let io = |e: csv::Error| BrandError::Io { dir: self.location.describe(), detail: e.to_string() };
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
        for p in &listing.packets {
            for item in &p.items {
                let value = match &item.value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let fields = [
                    p.packet_jti.clone(),
                    p.consumer.clone(),
                    p.request_jti.clone(),
                    p.issued_at.to_string(),
                    p.retention_end.to_string(),
                    item.answers.as_str().to_owned(),
                    item.item.as_str().to_owned(),
                    value,
                ];
                writer.write_record(fields.iter().map(|f| csv_cell(f).into_owned())).map_err(io)?;
            }
        }
        let bytes =
            writer.into_inner().map_err(|e| BrandError::Io { dir: self.location.describe(), detail: e.to_string() })?;
        Ok(Export {
            text: String::from_utf8(bytes).unwrap_or_else(|e| unreachable!("CSV of UTF-8 strings is UTF-8: {e}")),
            packets: listing.packets.len(),
            unreadable: listing.unreadable,
        })
    }
}

/// A CSV field a spreadsheet shows as text, never runs: a field starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'` (OWASP's advice on CSV injection; the
/// writer also quotes every field). `+33 6 12 34 56 78` becomes `'+33 6 12 34 56 78`.
pub fn csv_cell(field: &str) -> std::borrow::Cow<'_, str> {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{field}"))
    } else {
        std::borrow::Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formula_triggers_are_neutralised_and_other_text_is_kept() {
        for (field, shown) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("ana@example.org", "ana@example.org"),
            ("35-44", "35-44"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(field), shown);
        }
    }
}
