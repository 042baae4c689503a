"""Interop with a JOSE library nobody at Tessera wrote (jwcrypto).

    python3 jose_interop.py verify FILE
        Verifies the JWS in FILE with the Ed25519 key named by its did:key kid,
        prints the header and payload as JSON; exits 1 if the signature fails.
    python3 jose_interop.py sign-request AGE_RECIPIENT NOW OUT
        Makes a fresh Ed25519 key with jwcrypto and writes a Tessera request,
        signed by jwcrypto, to OUT; prints the signer's did:key.
"""
import base64
import json
import secrets
import sys

from jwcrypto import jwk, jws
from jwcrypto.common import json_encode

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text):
    number = 0
    for char in text:
        number = number * 58 + ALPHABET.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + body


def b58encode(data):
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = ALPHABET[rest] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def did_to_key(did):
    assert did.startswith("did:key:z"), did
    raw = b58decode(did[len("did:key:z"):])
    assert raw[:2] == b"\xed\x01" and len(raw) == 34, "not an Ed25519 did:key"
    return jwk.JWK(kty="OKP", crv="Ed25519", x=b64url(raw[2:]))


def key_to_did(key):
    x = b64url_decode(key.export_public(as_dict=True)["x"])
    return "did:key:z" + b58encode(b"\xed\x01" + x)


def verify(path):
    token_text = open(path).read().strip()
    token = jws.JWS()
    token.deserialize(token_text)
    header = token.jose_header
    did = header["kid"].split("#")[0]
    try:
        token.verify(did_to_key(did), alg="EdDSA")
    except Exception as error:  # jwcrypto raises InvalidJWSSignature
        print(f"signature rejected: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"header": header, "payload": json.loads(token.payload)}))


def sign_request(age_recipient, now, out):
    key = jwk.JWK.generate(kty="OKP", crv="Ed25519")
    did = key_to_did(key)
    now = int(now)
    payload = {
        "ver": 1,
        "iss": did,
        "iat": now,
        "exp": now + 7 * 86400,
        "jti": b64url(secrets.token_bytes(16)),
        "nonce": b64url(secrets.token_bytes(16)),
        "brand_name": "Brasserie Python",
        "age_recipient": age_recipient,
        "items": [{"item": "email", "purpose": "Send the newsletter", "required": True}],
        "retention_days": 30,
        "offer": "A free coffee",
    }
    token = jws.JWS(json.dumps(payload).encode())
    protected = {"alg": "EdDSA", "typ": "tessera-request+jwt", "kid": did + "#" + did[len("did:key:"):]}
    token.add_signature(key, alg="EdDSA", protected=json_encode(protected))
    with open(out, "w") as f:
        f.write(token.serialize(compact=True) + "\n")
    print(did)


if __name__ == "__main__":
    if sys.argv[1] == "verify":
        verify(sys.argv[2])
    elif sys.argv[1] == "sign-request":
        sign_request(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
