//! Opening arbitrary bytes as a packet file: errors are fine, panics are bugs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_protocol::envelope;

fuzz_target!(|data: &[u8]| {
    // A fixed identity, so that inputs derived from real packets reach past the header.
    let identity: age::x25519::Identity =
        "AGE-SECRET-KEY-1HWA4RVY9RD5J55KRCNFE2MYL03Y268PU026LL78KRS87V0JHUHCSC7U8HP".parse().expect("valid identity");
    if let Ok(jws) = envelope::open(data, &identity) {
        let _ = tessera_protocol::packet::verify(
            &jws,
            &"did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp".parse().expect("did"),
            1_800_000_000,
        );
    }
});
