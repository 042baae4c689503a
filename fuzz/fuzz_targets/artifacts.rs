//! Every JWS parser on arbitrary text: errors are fine, panics are bugs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_protocol::{packet, receipt, request, revocation, Did};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let brand: Did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp".parse().expect("valid did");
    let _ = request::verify(text);
    let _ = revocation::verify(text, &brand, 1_800_000_000);
    let _ = receipt::inspect(text);
    if let Ok(p) = packet::verify(text, &brand, 1_800_000_000) {
        if let Ok(r) = request::verify(text) {
            let _ = p.check_answers(&r);
        }
    }
    let _ = text.parse::<Did>();
    let _ = Did::from_key_id(text);
});
