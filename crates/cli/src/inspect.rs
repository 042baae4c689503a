//! `tessera inspect FILE`: checks any Tessera request, revocation or receipt
//! file, or a decrypted packet JWS, and shows what it says (a packet file is
//! encrypted: a brand opens it with `tessera brand import`).

use std::path::Path;

use tessera_protocol::{packet, receipt, request, revocation, Artifact, ProtocolError};

use crate::{brand, files, show_time, CliError};

pub fn run(path: &Path) -> Result<(), CliError> {
    let text = files::read_artifact(path)?;
    let attach = |source: ProtocolError| CliError::Artifact { path: path.to_owned(), source };
    match request::verify(&text) {
        Ok(r) => {
            println!(
                "A signed request from {} ({}), fingerprint {}",
                r.claims.brand_name,
                r.claims.iss,
                r.brand().fingerprint()
            );
            brand::print_request(&r);
            return Ok(());
        }
        Err(ProtocolError::WrongType { expected: Artifact::Request, .. }) => {}
        Err(e) => return Err(attach(e)),
    }
    match receipt::inspect(&text) {
        Ok(c) => {
            println!("A signed deletion receipt from {}", c.iss);
            println!("  packet {} deleted at {} ({})", c.packet_jti, show_time(c.deleted_at), c.reason.as_str());
            return Ok(());
        }
        Err(ProtocolError::WrongType { expected: Artifact::Receipt, .. }) => {}
        Err(e) => return Err(attach(e)),
    }
    match revocation::inspect(&text) {
        Ok(c) => {
            println!("A signed revocation from {} to {}", c.iss, c.aud);
            println!("  revokes packet {} (made {})", c.packet_jti, show_time(c.iat));
            return Ok(());
        }
        Err(ProtocolError::WrongType { expected: Artifact::Revocation, .. }) => {}
        Err(e) => return Err(attach(e)),
    }
    let c = packet::inspect(&text).map_err(attach)?;
    println!("A signed packet (decrypted) from consumer {} to brand {}", c.iss, c.aud);
    println!("  answers request {}; made {}, kept until {}", c.request_jti, show_time(c.iat), show_time(c.exp));
    let shared: Vec<String> = c
        .items
        .iter()
        .map(|i| if i.is_generalised() { format!("{} (from {})", i.item, i.answers) } else { i.item.to_string() })
        .collect();
    println!("  shares {}; values not shown", shared.join(", "));
    Ok(())
}
