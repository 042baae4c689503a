"""Hostile (and honest) Tessera artifacts made by tools nobody at Tessera wrote.

Signatures come from the Python JOSE library jwcrypto, or, where no JOSE library would
sign (weak keys, malleated signatures), from raw Ed25519 bytes assembled here with plain
Python integers. Packet files come from the stock `age` command. Nothing here imports
Tessera code: it is an independent implementation of the formats of docs/PROTOCOL.md.

    python3 hostile_jose.py vectors DIR
        (Re)writes the protocol test vectors: one JSON file per case in DIR, each with the
        artifact, what to check it against, and the expected outcome ("valid" or an error
        code of ProtocolError::code). crates/protocol/tests/vectors.rs reads them all.
        Signatures are deterministic (fixed keys below), so re-running gives the same
        files, except packet files: age encryption is randomised (same outcomes, other bytes).

    python3 hostile_jose.py sign SEED_HEX HEADER_JSON PAYLOAD_JSON
        Signs HEADER_JSON and PAYLOAD_JSON, used byte for byte (so they may repeat members
        or hold anything), with the Ed25519 key whose seed is SEED_HEX, through jwcrypto;
        prints the compact JWS. The literal string KID in HEADER_JSON is replaced by the
        key's did:key DID URL and ISS in PAYLOAD_JSON by its DID.

    python3 hostile_jose.py did SEED_HEX
        Prints the did:key of the Ed25519 key whose seed is SEED_HEX.

    python3 hostile_jose.py forge-weak HEADER_JSON PAYLOAD_JSON
        Makes a JWS "signed" without any private key: the key is the identity point and the
        signature is R = identity, S = 0, which plain Ed25519 verification accepts. KID and
        ISS are replaced as for sign.

    python3 hostile_jose.py age-file RECIPIENT GREASE_STANZAS GREASE_BODY_BYTES < PLAINTEXT > FILE
        Writes a binary age v1 file of PLAINTEXT for the X25519 RECIPIENT (age1…), assembled here
        byte by byte (X25519, HKDF, ChaCha20-Poly1305 and HMAC of `cryptography`), with
        GREASE_STANZAS extra `x-grease` stanzas of GREASE_BODY_BYTES random bytes each after the
        X25519 one: a hostile header that the stock `age` command decrypts all the same.

    python3 hostile_jose.py age-recipient HEX
        Prints the age recipient (age1…) whose 32-byte X25519 public key is HEX, whatever it is
        (the points of small order included).

Run by the Rust tests (crates/protocol, crates/brand, crates/vault, crates/cli); needs
python3 with jwcrypto (which brings `cryptography`) and the `age` command on PATH.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys

import hmac

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwk, jws

# ---------------------------------------------------------------- encodings

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


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


def did_of_public_key(public_key):
    return "did:key:z" + b58encode(b"\xed\x01" + public_key)


def kid_of(did):
    return did + "#" + did[len("did:key:"):]


def sha256_b64url(text):
    return b64url(hashlib.sha256(text.encode()).digest())


# ---------------------------------------------------------------- Ed25519 by hand

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def recover_x(y, sign):
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def add(a, b):
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P)


def multiply(k, point):
    result = (0, 1)
    while k:
        if k & 1:
            result = add(result, point)
        point = add(point, point)
        k >>= 1
    return result


def encode(point):
    x, y = point
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def small_order_points():
    """The eight points of order dividing 8, found as [L]Q for points Q with a torsion part."""
    found = {}
    y = 2
    while len(found) < 8:
        for sign in (0, 1):
            x = recover_x(y, sign)
            if x is None:
                continue
            t = multiply(L, (x, y))
            for k in range(8):
                found[multiply(k, t)] = True
        y += 1
    return sorted(found)


def order(point):
    for n in (1, 2, 4, 8):
        if multiply(n, point) == (0, 1):
            return n
    raise AssertionError("not a small-order point")


IDENTITY = encode((0, 1))

# ---------------------------------------------------------------- age files by hand (age-encryption.org/v1)

BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            checksum ^= generator[i] if (top >> i) & 1 else 0
    return checksum


def bech32_hrp(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def to_5_bits(data):
    acc, bits, out = 0, 0, []
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def age_recipient_of(public_key):
    """The age recipient (bech32, hrp "age") of a 32-byte X25519 public key, any 32 bytes."""
    data = to_5_bits(public_key)
    polymod = bech32_polymod(bech32_hrp("age") + data + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return "age1" + "".join(BECH32[d] for d in data + checksum)


def public_key_of_recipient(recipient):
    data = [BECH32.index(c) for c in recipient[recipient.rindex("1") + 1:]][:-6]
    acc, bits, out = 0, 0, []
    for value in data:
        acc, bits = (acc << 5) | value, bits + 5
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return bytes(out)


def hkdf(key, salt, info, length=32):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


def b64_std(data):
    return base64.b64encode(data).decode().rstrip("=")


def stanza(kind, args, body):
    """A recipient stanza: `-> kind args…`, then the body in base64 lines of 64 characters, the last one short."""
    text = b64_std(body)
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    if not lines or len(lines[-1]) == 64:
        lines.append("")
    return "-> " + " ".join([kind] + args) + "\n" + "\n".join(lines) + "\n"


def x25519_stanza(recipient, file_key):
    their_public = public_key_of_recipient(recipient)
    ephemeral = X25519PrivateKey.generate()
    ours = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(their_public))
    wrap_key = hkdf(shared, ours + their_public, b"age-encryption.org/v1/X25519")
    return stanza("X25519", [b64_std(ours)], ChaCha20Poly1305(wrap_key).encrypt(b"\0" * 12, file_key, None))


def age_file_by_hand(plaintext, recipient, extra_stanzas=()):
    """A binary age v1 file for `recipient`, with `extra_stanzas` (kind, args, body) after its X25519 stanza."""
    file_key = os.urandom(16)
    header = "age-encryption.org/v1\n" + x25519_stanza(recipient, file_key)
    header += "".join(stanza(kind, args, body) for kind, args, body in extra_stanzas) + "---"
    mac = hmac.new(hkdf(file_key, b"", b"header"), header.encode(), hashlib.sha256).digest()
    nonce = os.urandom(16)
    payload = ChaCha20Poly1305(hkdf(file_key, nonce, b"payload"))
    chunks = [plaintext[i:i + 65536] for i in range(0, len(plaintext), 65536)] or [b""]
    body = b"".join(payload.encrypt(i.to_bytes(11, "big") + bytes([i == len(chunks) - 1]), chunk, None)
                    for i, chunk in enumerate(chunks))
    return (header + " " + b64_std(mac) + "\n").encode() + nonce + body


def grease(count, body_bytes):
    return [("x-grease", [], os.urandom(body_bytes))] * count


# X25519 public keys of small order, on the curve and its twist, and two non-canonical spellings of
# such points (u = p, u = p + 1): key agreement with any of them gives the all-zero secret.
SMALL_ORDER_U = [
    bytes(32),
    (1).to_bytes(32, "little"),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    (P - 1).to_bytes(32, "little"),
    P.to_bytes(32, "little"),
    (P + 1).to_bytes(32, "little"),
]


# ---------------------------------------------------------------- keys and signing


def key_of_seed(seed):
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_of(private):
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def did_of_seed(seed):
    return did_of_public_key(public_of(key_of_seed(seed)))


def sign_jwcrypto(seed, header_text, payload_text):
    """A compact JWS over exactly these header and payload texts, signed by jwcrypto."""
    private = key_of_seed(seed)
    key = jwk.JWK.from_pyca(private)
    token = jws.JWS(payload_text.encode())
    token.add_signature(key, alg="EdDSA", protected=header_text)
    return token.serialize(compact=True)


def sign_cryptography(seed, header_text, payload_text):
    """The same as sign_jwcrypto, with the Ed25519 of `cryptography` alone, for headers jwcrypto refuses to sign."""
    signing_input = f"{b64url(header_text.encode())}.{b64url(payload_text.encode())}"
    return signing_input + "." + b64url(key_of_seed(seed).sign(signing_input.encode()))


def sign_raw(public_key, header_text, payload_text, signature):
    """A compact JWS with a given signature (and a kid for `public_key`)."""
    return f"{b64url(header_text.encode())}.{b64url(payload_text.encode())}.{b64url(signature)}"


def fill(text, did):
    # Only the placeholders themselves, as JSON strings: a random hash or nonce may contain the
    # letters KID or ISS, and must stay as it is.
    return text.replace('"KID"', f'"{kid_of(did)}"').replace('"ISS"', f'"{did}"')


def forge_weak(header_text, payload_text, public_key=IDENTITY):
    did = did_of_public_key(public_key)
    return sign_raw(public_key, fill(header_text, did), fill(payload_text, did), IDENTITY + bytes(32))


BASE_POINT = (recover_x(4 * pow(5, P - 2, P) % P, 0), 4 * pow(5, P - 2, P) % P)


def sign_mixed_order(seed, typ, payload_text, cofactorless_valid):
    """A JWS signed with a key that has a small-order component: A = [a]B + T, T of order 8, where a
    is the Ed25519 secret scalar of `seed`. The holder of a can sign: [S]B = R + [k]A holds exactly
    when [k]T is the identity, i.e. k = 0 mod 8. With `cofactorless_valid`, the nonce is ground until
    that holds (valid for Tessera, which verifies without the cofactor, as RFC 8032 and ring do);
    without, until it does not (valid only for cofactored verifiers, which multiply by 8 first)."""
    digest = hashlib.sha512(seed).digest()
    a = int.from_bytes(digest[:32], "little") & ((1 << 254) - 8) | (1 << 254)
    order_8 = [point for point in small_order_points() if order(point) == 8][0]
    public_key = encode(add(multiply(a, BASE_POINT), order_8))
    did = did_of_public_key(public_key)
    signing_input = f"{b64url(header(typ, did).encode())}.{b64url(fill(payload_text, did).encode())}".encode()
    for counter in range(256):
        r = int.from_bytes(hashlib.sha512(digest[32:] + bytes([counter]) + signing_input).digest(), "little") % L
        big_r = encode(multiply(r, BASE_POINT))
        k = int.from_bytes(hashlib.sha512(big_r + public_key + signing_input).digest(), "little") % L
        if (k % 8 == 0) == cofactorless_valid:
            s = (r + k * a) % L
            return signing_input.decode() + "." + b64url(big_r + s.to_bytes(32, "little"))
    raise AssertionError("no nonce found")


def header(typ, did, extra=""):
    return '{"alg":"EdDSA","typ":"%s","kid":"%s"%s}' % (typ, kid_of(did), extra)


# ---------------------------------------------------------------- the vectors

NOW = 1_795_000_000
DAY = 86_400
BRAND_SEED = hashlib.sha256(b"tessera test vectors: brand").digest()
CONSUMER_SEED = hashlib.sha256(b"tessera test vectors: consumer").digest()
# A test identity, published on purpose: the brand's age key for packet-file vectors.
AGE_IDENTITY = "AGE-SECRET-KEY-1EK490NUARV3Y6ZE4599UG875YW6JLSR4Z37YPKNMYVMEV03GS03QVR3DPV"
OTHER_AGE_IDENTITY = "AGE-SECRET-KEY-1SJ6M89CNJNCQL0LK5ZDGY8GNX9RH6KHGHSR38MCF2V7M6DKRFSLSX8CH7F"


def age_recipient(identity):
    out = subprocess.run(["age-keygen", "-y"], input=identity.encode(), capture_output=True, check=True)
    return out.stdout.decode().strip()


def age_encrypt(plaintext, recipients, armor=False):
    args = ["age"] + (["--armor"] if armor else [])
    for r in recipients:
        args += ["-r", r]
    return subprocess.run(args, input=plaintext.encode(), capture_output=True, check=True).stdout


def dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def vectors():
    brand = did_of_seed(BRAND_SEED)
    consumer = did_of_seed(CONSUMER_SEED)
    recipient = age_recipient(AGE_IDENTITY)
    other_recipient = age_recipient(OTHER_AGE_IDENTITY)
    out = {}

    def case(name, description, check, artifact, expect, **context):
        vector = {"description": description, "check": check, "now": context.pop("now", NOW)}
        if isinstance(artifact, bytes):
            vector["artifact_base64"] = base64.b64encode(artifact).decode()
        else:
            vector["artifact"] = artifact
        vector["context"] = context
        vector["expect"] = expect
        assert name not in out, name
        out[name] = vector

    # --- a request and what answers it
    request_claims = {
        "ver": 1, "iss": brand, "iat": NOW, "exp": NOW + 7 * DAY, "jti": "vectors-request-0001",
        "nonce": "vectors-nonce-0001", "brand_name": "Maison Exemple", "age_recipient": recipient,
        "items": [{"item": "email", "purpose": "Send your loyalty card", "required": True},
                  {"item": "birthdate", "purpose": "A birthday offer", "required": False},
                  {"item": "purchases", "purpose": "Suggest what you like", "required": False}],
        "retention_days": 30, "offer": "15 % off your next order",
    }
    request_header = header("tessera-request+jwt", brand)

    def request(claims_text):
        return sign_jwcrypto(BRAND_SEED, request_header, claims_text)

    def request_with(**changes):
        return request(dumps({**request_claims, **changes}))

    the_request = request(dumps(request_claims))
    request_hash = sha256_b64url(the_request)
    packet_claims = {
        "ver": 1, "iss": consumer, "aud": brand, "iat": NOW + 60, "exp": NOW + 60 + 30 * DAY,
        "jti": "vectors-packet-0001", "request_jti": "vectors-request-0001", "request_hash": request_hash,
        "request_nonce": "vectors-nonce-0001",
        "items": [{"answers": "email", "item": "email", "value": "ana@example.org"},
                  {"answers": "birthdate", "item": "age_range", "value": "35-44"}],
    }
    packet_header = header("tessera-packet+jwt", consumer)

    def packet(claims_text):
        return sign_jwcrypto(CONSUMER_SEED, packet_header, claims_text)

    def packet_with(**changes):
        return packet(dumps({**packet_claims, **changes}))

    the_packet = packet(dumps(packet_claims))
    packet_ctx = {"brand": brand, "request": the_request}
    file_ctx = {"brand": brand, "request": the_request, "age_identity": AGE_IDENTITY}
    packet_hash = sha256_b64url(the_packet)
    revocation_claims = {"ver": 1, "iss": consumer, "aud": brand, "iat": NOW + DAY, "jti": "vectors-revocation-1",
                         "packet_jti": "vectors-packet-0001", "packet_hash": packet_hash}
    revocation_header = header("tessera-revocation+jwt", consumer)
    revocation_ctx = {"now": NOW + DAY, "brand": brand, "packet_jti": "vectors-packet-0001", "packet_hash": packet_hash,
                      "packet_issuer": consumer}

    def revocation_with(**changes):
        return sign_jwcrypto(CONSUMER_SEED, revocation_header, dumps({**revocation_claims, **changes}))

    receipt_claims = {"ver": 1, "iss": brand, "aud": consumer, "iat": NOW + DAY, "jti": "vectors-receipt-0001",
                      "packet_jti": "vectors-packet-0001", "packet_hash": packet_hash,
                      "revocation_jti": "vectors-revocation-1", "deleted_at": NOW + DAY, "reason": "revoked"}
    receipt_header = header("tessera-receipt+jwt", brand)
    receipt_ctx = {"now": NOW + DAY, "brand": brand, "consumer": consumer, "packet_jti": "vectors-packet-0001",
                   "packet_hash": packet_hash, "packet_iat": NOW + 60, "revocation_jti": "vectors-revocation-1",
                   "revoked_at": NOW + DAY}
    never_revoked_ctx = {k: v for k, v in receipt_ctx.items() if k not in ("revocation_jti", "revoked_at")}

    def receipt(claims_text):
        return sign_jwcrypto(BRAND_SEED, receipt_header, claims_text)

    def receipt_with(**changes):
        return receipt(dumps({**receipt_claims, **changes}))

    # --- valid artifacts, signed by jwcrypto
    case("valid-request", "A request signed by jwcrypto.", "request", the_request, "valid")
    case("valid-packet", "A packet signed by jwcrypto, answering valid-request.", "packet", the_packet, "valid",
         **packet_ctx)
    case("valid-revocation", "A revocation of valid-packet.", "revocation", revocation_with(), "valid",
         **revocation_ctx)
    case("valid-receipt", "A deletion receipt for valid-packet.", "receipt", receipt_with(), "valid", **receipt_ctx)
    case("valid-receipt-null-revocation", "A receipt of a purge past retention: revocation_jti is null.",
         "receipt", receipt_with(revocation_jti=None, reason="retention_expired"), "valid", **never_revoked_ctx)
    case("valid-packet-formula-like-values",
         "Values that a spreadsheet would take for formulas are data: valid here, neutralised by CSV exports.",
         "packet", packet_with(items=[{"answers": "email", "item": "email", "value": "=cmd@example.org"},
                                      {"answers": "birthdate", "item": "age_range", "value": "35-44"}]),
         "valid", **packet_ctx)
    case("valid-request-lookalike-name",
         "A brand name with a Cyrillic capital IE is a valid name; the consumer's vault warns if it looks like a "
         "brand they know.", "request", request_with(brand_name="Maison \u0415xemple"), "valid")

    # --- class 7: format edges (text around the JWS, age files)
    case("edge-request-trailing-newline", "A request file ending in a line break.", "request", the_request + "\n",
         "valid")
    case("edge-request-white-space-around", "Spaces, tabs and CRLF around the JWS are ignored.", "request",
         " \t" + the_request + " \r\n\r\n", "valid")
    case("edge-request-line-break-inside", "A JWS wrapped over two lines (as mail programs do) is refused.",
         "request", the_request[:40] + "\n" + the_request[40:], "malformed")
    case("edge-request-padded-base64", "base64url with padding is refused.", "request", the_request + "==",
         "malformed")
    case("edge-packet-trailing-newline", "A packet JWS with a final line break (echo jws | age).", "packet",
         the_packet + "\n", "valid", **packet_ctx)
    case("edge-packet-file-binary", "A binary age file made by the age command.", "packet_file",
         age_encrypt(the_packet, [recipient]), "valid", **file_ctx)
    case("edge-packet-file-trailing-newline", "What `echo $JWS | age -r R` makes: the JWS and a line break.",
         "packet_file", age_encrypt(the_packet + "\n", [recipient]), "valid", **file_ctx)
    case("edge-packet-file-armored", "An ASCII-armored age file (age --armor) is accepted.", "packet_file",
         age_encrypt(the_packet, [recipient], armor=True), "valid", **file_ctx)
    case("edge-packet-file-two-recipients", "A packet encrypted to the brand and to someone else is refused.",
         "packet_file", age_encrypt(the_packet, [recipient, other_recipient]), "packet_recipients", **file_ctx)
    case("edge-packet-file-other-brand", "A packet encrypted to another brand only.", "packet_file",
         age_encrypt(the_packet, [other_recipient]), "cannot_decrypt", **file_ctx)

    # --- class 1: duplicate members
    text = dumps(request_claims)
    case("duplicate-request-retention-days", "retention_days twice (3650, then 30): which one holds depends on "
         "the parser, so the request is refused.", "request",
         request(text.replace('"retention_days":30', '"retention_days":3650,"retention_days":30')),
         "duplicate_member")
    case("duplicate-request-escaped-member-name", "ver and v\\u0065r are the same member.", "request",
         request(text.replace('{"ver":1', '{"ver":1,"v\\u0065r":1')), "duplicate_member")
    case("duplicate-request-in-item", "A member repeated inside an item.", "request",
         request(text.replace('"required":false}', '"required":false,"required":true}', 1)), "duplicate_member")
    case("duplicate-header-alg", "The header names alg twice.", "request",
         sign_jwcrypto(BRAND_SEED, '{"alg":"none","alg":"EdDSA","typ":"tessera-request+jwt","kid":"%s"}' % kid_of(brand),
                       text), "duplicate_member")
    ptext = dumps(packet_claims)
    case("duplicate-packet-jti", "A packet naming jti twice.", "packet",
         packet(ptext.replace('"jti":"vectors-packet-0001"', '"jti":"vectors-packet-0001","jti":"vectors-packet-0002"')),
         "duplicate_member", **packet_ctx)
    case("duplicate-packet-inside-value", "A purchase that names amount twice, deep inside a value.", "packet",
         packet(dumps({**packet_claims, "items": [{"answers": "purchases", "item": "purchases", "value": [
             {"date": "2026-10-01", "merchant": "Fnac", "amount": "30.00", "currency": "EUR",
              "category": "books"}]}]}).replace('"amount":"30.00"', '"amount":"30.00","amount":"3000.00"')),
         "duplicate_member", **packet_ctx)
    case("duplicate-revocation-packet-jti", "A revocation naming packet_jti twice.", "revocation",
         sign_jwcrypto(CONSUMER_SEED, revocation_header, dumps(revocation_claims).replace(
             '"packet_jti":"vectors-packet-0001"', '"packet_jti":"other","packet_jti":"vectors-packet-0001"')),
         "duplicate_member", **revocation_ctx)
    case("duplicate-receipt-reason", "A receipt naming reason twice.", "receipt",
         receipt(dumps(receipt_claims).replace('"reason":"revoked"', '"reason":"retention_expired","reason":"revoked"')),
         "duplicate_member", **receipt_ctx)

    # --- class 2: times
    case("time-packet-extreme-iat-and-exp", "iat = -2^63 and exp = 2^63-1: exp - iat overflows.", "packet",
         packet_with(iat=-2**63, exp=2**63 - 1), "time_out_of_range", **packet_ctx)
    case("time-packet-exp-beyond-year-9999", "exp after 9999-12-31.", "packet", packet_with(exp=253402300800),
         "time_out_of_range", **packet_ctx)
    case("time-request-negative-iat", "A request issued before 1970.", "request", request_with(iat=-1),
         "time_out_of_range")
    case("time-receipt-deleted-at-huge", "deleted_at = 2^63-1.", "receipt", receipt_with(deleted_at=2**63 - 1),
         "time_out_of_range", **receipt_ctx)
    case("time-packet-exp-too-big-for-64-bits", "exp = 2^64 fits no signed 64-bit integer.", "packet",
         packet_with(exp=2**64), "malformed", **packet_ctx)
    case("time-packet-fractional-iat", "Times are whole seconds.", "packet", packet_with(iat=NOW + 60.5),
         "malformed", **packet_ctx)
    case("time-packet-retention-one-second-too-long", "exp - iat is 30 days and 1 s; the request allows 30 days.",
         "packet", packet_with(exp=NOW + 60 + 30 * DAY + 1), "retention_beyond_request", **packet_ctx)
    case("time-packet-before-request", "A packet made a day before the request was issued.", "packet",
         packet_with(iat=NOW - DAY, exp=NOW + 20 * DAY), "answered_before_issue", **packet_ctx)
    case("time-packet-after-request-expiry", "A packet made after the request expired.", "packet",
         packet_with(iat=NOW + 8 * DAY, exp=NOW + 9 * DAY), "answered_after_expiry", now=NOW + 8 * DAY,
         **packet_ctx)
    case("time-packet-issued-in-the-future", "A packet made an hour from now.", "packet",
         packet_with(iat=NOW + 3600, exp=NOW + 3600 + DAY), "not_yet_valid", now=NOW, **packet_ctx)
    case("time-packet-past-retention", "A packet past its retention end.", "packet", the_packet, "expired",
         now=NOW + 60 + 30 * DAY, **packet_ctx)

    # --- class 3: weak keys and weak signatures
    request_text = dumps({**request_claims, "iss": "ISS"})
    for point in small_order_points():
        encoded = encode(point)
        case(f"weak-key-order-{order(point)}-{encoded.hex()[:6]}-{encoded.hex()[-2:]}",
             f"A request whose key is a point of order {order(point)}, signed with R = identity, S = 0.",
             "request", forge_weak('{"alg":"EdDSA","typ":"tessera-request+jwt","kid":"KID"}', request_text, encoded),
             "weak_key")
    for name, y in (("p", P), ("p-plus-1", P + 1)):
        encoded = y.to_bytes(32, "little")
        case(f"weak-key-non-canonical-{name}", f"A key encoded with y = {name} (not below the field prime).",
             "request", forge_weak('{"alg":"EdDSA","typ":"tessera-request+jwt","kid":"KID"}', request_text, encoded),
             "weak_key")
    case("weak-key-receipt-without-private-key",
         "A receipt made with no private key: public key = identity, R = identity, S = 0.", "receipt",
         forge_weak('{"alg":"EdDSA","typ":"tessera-receipt+jwt","kid":"KID"}', dumps({**receipt_claims, "iss": "ISS"})),
         "weak_key", **receipt_ctx)
    signing_input = the_request.rsplit(".", 1)[0]
    signature = base64.urlsafe_b64decode(the_request.rsplit(".", 1)[1] + "==")
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + L).to_bytes(32, "little")
    case("weak-signature-s-plus-order", "The request's signature with S + L: same point, malleated.", "request",
         signing_input + "." + b64url(malleated), "weak_signature")
    case("weak-signature-small-order-r", "A signature whose R is the identity.", "request",
         signing_input + "." + b64url(IDENTITY + signature[32:]), "weak_signature")
    case("bad-signature-flipped", "The request's signature with one bit flipped.", "request",
         signing_input + "." + b64url(bytes([signature[0] ^ 1]) + signature[1:]), "bad_signature")

    # --- class 4: every member required, no other
    without = lambda claims, member: dumps({k: v for k, v in claims.items() if k != member})  # noqa: E731
    case("missing-receipt-revocation-jti", "A receipt without revocation_jti (it may be null, not absent).",
         "receipt", receipt(without(receipt_claims, "revocation_jti")), "missing_member", **receipt_ctx)
    case("missing-request-offer", "A request without an offer.", "request",
         request(without(request_claims, "offer")), "missing_member")
    case("missing-packet-request-nonce", "A packet without request_nonce.", "packet",
         packet(without(packet_claims, "request_nonce")), "missing_member", **packet_ctx)
    case("missing-request-ver", "A request without ver.", "request", request(without(request_claims, "ver")),
         "missing_member")
    case("missing-header-typ", "A header without typ.", "request",
         sign_jwcrypto(BRAND_SEED, '{"alg":"EdDSA","kid":"%s"}' % kid_of(brand), text), "missing_member")
    case("unknown-header-crit", "A header with crit.", "request",
         sign_cryptography(BRAND_SEED, header("tessera-request+jwt", brand, ',"crit":["exp"],"exp":1'), text),
         "unknown_member")
    case("unknown-header-jwk", "A header carrying its own key (jwk).", "request",
         sign_jwcrypto(BRAND_SEED, header("tessera-request+jwt", brand, ',"jwk":{"kty":"OKP"}'), text),
         "unknown_member")
    case("unknown-revocation-member", "A revocation with a member it does not have.", "revocation",
         revocation_with(note="please"), "unknown_member", **revocation_ctx)
    case("unknown-version-2", "A version-2 request.", "request", request_with(ver=2), "unknown_version")
    case("type-receipt-reason-unknown", "A receipt whose reason is not one of the two.", "receipt",
         receipt_with(reason="lost"), "malformed", **receipt_ctx)

    # --- identifiers (class 5's first line of defence) and class 6: texts and names
    case("identifier-packet-jti-formula", "A packet id that a spreadsheet would run.", "packet",
         packet_with(jti="=HYPERLINK(\"http://x\")"), "invalid_identifier", **packet_ctx)
    case("identifier-request-hash-not-a-hash", "request_hash that is not a SHA-256.", "packet",
         packet_with(request_hash="abc"), "invalid_identifier", **packet_ctx)
    case("identifier-revocation-jti-too-long", "A 65-character jti.", "revocation", revocation_with(jti="a" * 65),
         "invalid_identifier", **revocation_ctx)
    case("name-right-to-left-override", "U+202E in brand_name reverses what is shown.", "request",
         request_with(brand_name="Maison \u202eelpmexE"), "invalid_text")
    case("name-zero-width-space", "A zero-width space in brand_name.", "request",
         request_with(brand_name="Maison Ex\u200bemple"), "invalid_text")
    case("name-line-break", "A line break in brand_name.", "request", request_with(brand_name="Maison\nExemple"),
         "invalid_text")
    case("name-control-character", "A control character in brand_name.", "request",
         request_with(brand_name="Maison\u0007Exemple"), "invalid_text")
    case("text-offer-bidi-isolate", "A right-to-left isolate in the offer.", "request",
         request_with(offer="15 % off \u2067your next order"), "invalid_text")
    case("text-purpose-empty", "An item without a purpose.", "request",
         request_with(items=[{"item": "email", "purpose": " ", "required": True}]), "invalid_text")
    case("value-right-to-left-override", "A shared value with U+202E.", "packet",
         packet_with(items=[{"answers": "email", "item": "email", "value": "ana@example.org\u202e"}]),
         "invalid_value", **packet_ctx)

    # --- the inbox a request names (response_uri, optional; requests without it stay valid)
    inbox = "https://inbox.maison.example/v1/packets"
    with_inbox = {**request_claims, "response_uri": inbox}
    the_request_with_inbox = request(dumps(with_inbox))
    case("inbox-valid-request", "A request naming its inbox (https).", "request", the_request_with_inbox, "valid")
    case("inbox-valid-loopback-http", "Plain http is allowed to this computer only (127.0.0.0/8, ::1, localhost).",
         "request", request_with(response_uri="http://127.0.0.1:8080/v1/packets"), "valid")
    case("inbox-valid-ipv6-loopback", "Plain http to [::1].", "request",
         request_with(response_uri="http://[::1]:8080/tessera/v1/packets"), "valid")
    case("inbox-valid-packet", "A packet answering a request that names its inbox.", "packet",
         packet_with(request_hash=sha256_b64url(the_request_with_inbox)), "valid", brand=brand,
         request=the_request_with_inbox)
    case("inbox-http-remote-host", "Plain http to another computer.", "request",
         request_with(response_uri="http://inbox.maison.example/v1/packets"), "invalid_response_uri")
    case("inbox-http-private-address", "Plain http to a private address is not loopback.", "request",
         request_with(response_uri="http://192.168.1.10/v1/packets"), "invalid_response_uri")
    case("inbox-other-scheme", "A scheme other than https.", "request",
         request_with(response_uri="ftp://inbox.maison.example/v1/packets"), "invalid_response_uri")
    case("inbox-user-info", "A user name and password in the URL.", "request",
         request_with(response_uri="https://ana:secret@inbox.maison.example/v1/packets"), "invalid_response_uri")
    case("inbox-fragment", "A fragment.", "request", request_with(response_uri=inbox + "#top"), "invalid_response_uri")
    case("inbox-query", "A query: the other endpoints could not be derived.", "request",
         request_with(response_uri=inbox + "?brand=1"), "invalid_response_uri")
    case("inbox-not-packets", "A path that does not end with /packets.", "request",
         request_with(response_uri="https://inbox.maison.example/upload"), "invalid_response_uri")
    case("inbox-not-canonical", "Upper case scheme and host: not the URL standard's form.", "request",
         request_with(response_uri="HTTPS://Inbox.Maison.Example/v1/packets"), "invalid_response_uri")
    case("inbox-dot-segments", "Dot segments a parser would remove.", "request",
         request_with(response_uri="https://inbox.maison.example/v1/x/../packets"), "invalid_response_uri")
    case("inbox-relative", "A relative URL.", "request", request_with(response_uri="/v1/packets"),
         "invalid_response_uri")
    case("inbox-too-long", "A URL longer than 2048 bytes.", "request",
         request_with(response_uri="https://inbox.maison.example/" + "a" * 2048 + "/v1/packets"),
         "invalid_response_uri")
    case("inbox-null", "response_uri null: an optional member is left out, never null.", "request",
         request_with(response_uri=None), "malformed")
    case("inbox-number", "response_uri that is not a string.", "request", request_with(response_uri=443), "malformed")
    case("inbox-duplicate", "response_uri twice (a loopback one, then the brand's): refused.", "request",
         request(dumps(with_inbox).replace('"response_uri":', '"response_uri":"http://127.0.0.1/v1/packets",'
                                            '"response_uri":')), "duplicate_member")

    # --- the classic refusals
    case("algorithm-none", "alg none, no signature.", "request",
         b64url(b'{"alg":"none","typ":"tessera-request+jwt","kid":"%s"}' % kid_of(brand).encode()) + "."
         + b64url(text.encode()) + ".", "unsupported_algorithm")
    case("wrong-type-packet-as-request", "A packet offered as a request.", "request", the_packet, "wrong_type")
    case("wrong-audience", "A packet addressed to another brand.", "packet",
         packet_with(aud=did_of_seed(hashlib.sha256(b"another brand").digest())), "wrong_audience", **packet_ctx)
    case("wrong-signer", "A packet whose iss is not its kid.", "packet",
         packet_with(iss=did_of_seed(hashlib.sha256(b"someone").digest())), "wrong_signer", **packet_ctx)
    case("scope-item-not-asked", "A packet sharing an item the request did not ask for.", "packet",
         packet_with(items=[{"answers": "phone_number", "item": "phone_number", "value": "+33 6 12 34 56 78"}]),
         "scope_beyond_request", **packet_ctx)
    case("request-hash-mismatch", "A packet answering another version of the request.", "packet",
         packet_with(request_hash=sha256_b64url("another request")), "request_hash_mismatch", **packet_ctx)
    case("receipt-same-id-other-hash", "A receipt for a packet with the same id but another hash.", "receipt",
         receipt_with(packet_hash=sha256_b64url("another packet")), "wrong_packet", **receipt_ctx)

    # --- packet files whose age header would make reading it slow (many or big stanzas)
    packet_bytes = the_packet.encode()
    case("edge-packet-file-grease-within-limits", "An age header with two grease stanzas of 100 bytes, as rage "
         "may write: within the limits.", "packet_file",
         age_file_by_hand(packet_bytes, recipient, grease(2, 100)), "valid", **file_ctx)
    case("header-packet-file-too-many-stanzas", "Nine grease stanzas after the X25519 one: more than 8 stanzas.",
         "packet_file", age_file_by_hand(packet_bytes, recipient, grease(9, 0)), "packet_header_too_large",
         **file_ctx)
    case("header-packet-file-big-grease-body", "One grease stanza with a 64 KiB body (the stock age decrypts it).",
         "packet_file", age_file_by_hand(packet_bytes, recipient, grease(1, 64 * 1024)), "packet_header_too_large",
         **file_ctx)
    case("header-packet-file-long-arguments", "One grease stanza with 3000 arguments: a header over 4096 bytes.",
         "packet_file", age_file_by_hand(packet_bytes, recipient, [("x-grease", ["a"] * 3000, b"")]),
         "packet_header_too_large", **file_ctx)

    # --- age recipients of small order: anything encrypted to them can be read by anyone
    for u in SMALL_ORDER_U:
        case(f"weak-age-recipient-{u.hex()[:6]}-{u.hex()[-2:]}",
             f"A request whose age_recipient is the small-order X25519 point u = {u.hex()}.", "request",
             request_with(age_recipient=age_recipient_of(u)), "weak_key")

    # --- keys with a small-order component: usable by their holder, verified without the cofactor
    mixed_seed = hashlib.sha256(b"tessera test vectors: mixed-order brand").digest()
    mixed_text = dumps({**request_claims, "iss": "ISS"})
    case("mixed-order-key-cofactorless-valid",
         "A request signed with a key [a]B + T (T of order 8) whose signature verifies without the cofactor: valid, "
         "since it needed the private scalar a (see PROTOCOL.md, weak keys).", "request",
         sign_mixed_order(mixed_seed, "tessera-request+jwt", mixed_text, True), "valid")
    case("mixed-order-key-only-cofactored-valid",
         "The same key, a signature that only a verifier multiplying by the cofactor 8 accepts: refused, as every "
         "verifier of this protocol checks [S]B = R + [k]A without the cofactor.", "request",
         sign_mixed_order(mixed_seed, "tessera-request+jwt", mixed_text, False), "bad_signature")

    # --- texts that fake lines or show nothing
    case("valid-request-two-line-offer", "An offer on two lines, both showing something.", "request",
         request_with(offer="15 % off your next order\nand free delivery"), "valid")
    case("text-offer-fakes-the-lines-around-it", "An offer whose second line imitates the retention line the app "
         "prints, then 12 more lines.", "request",
         request_with(offer="15 % off\n  Keeps your data 1 day; answer before 2026-12-01 00:00 UTC." + "\nx" * 12),
         "invalid_text")
    case("text-offer-scrolls-away", "An offer of one character and 1999 line breaks.", "request",
         request_with(offer="x" + "\n" * 1999), "invalid_text")
    case("text-purpose-blank-line", "A purpose with an empty line in it.", "request",
         request_with(items=[{"item": "email", "purpose": "Loyalty card\n\nreally", "required": True}]),
         "invalid_text")
    case("text-purpose-line-separator", "A purpose with U+2028: only \\n breaks lines.", "request",
         request_with(items=[{"item": "email", "purpose": "Loyalty\u2028card", "required": True}]), "invalid_text")
    case("text-purpose-only-zero-width-space", "A purpose that shows nothing.", "request",
         request_with(items=[{"item": "email", "purpose": "\u200b", "required": True}]), "invalid_text")
    case("name-only-combining-mark", "A brand name of one combining accent.", "request",
         request_with(brand_name="\u0301"), "invalid_text")
    case("name-private-use-character", "A brand name ending in a private-use character.", "request",
         request_with(brand_name="Maison Exemple\ue000"), "invalid_text")
    case("name-object-replacement-character", "A brand name ending in U+FFFC.", "request",
         request_with(brand_name="Maison Exemple\ufffc"), "invalid_text")
    for label, blank in (("hangul-filler", "\u3164"), ("braille-blank", "\u2800"), ("combining-acute", "\u0301"),
                         ("zero-width-space", "\u200b")):
        case(f"value-given-name-{label}", f"A given name that shows nothing: {blank!r}.", "packet",
             packet_with(items=[{"answers": "email", "item": "email", "value": "ana@example.org"},
                                {"answers": "given_name", "item": "given_name", "value": blank}]),
             "invalid_value", **packet_ctx)

    # --- white space and byte order mark around a JWS, nesting depth
    case("edge-request-byte-order-mark", "A request file starting with a UTF-8 byte order mark (Windows editors).",
         "request", "\ufeff" + the_request + "\r\n", "valid")
    case("edge-request-form-feed-after", "A form feed after the JWS: not one of the four white space characters.",
         "request", the_request + "\f", "malformed")

    def nested(levels):
        # The payload is level 1, items level 2, an item level 3: the value holds the rest as lists.
        value = "[" * (levels - 3) + "1" + "]" * (levels - 3)
        return packet(dumps(packet_claims).replace('"value":"ana@example.org"', '"value":' + value))
    case("json-nesting-127-levels", "JSON nested 127 levels deep is read (then the value is refused).", "packet",
         nested(127), "invalid_value", **packet_ctx)
    case("json-nesting-128-levels", "JSON nested 128 levels deep is refused before anything else.", "packet",
         nested(128), "malformed", **packet_ctx)

    # --- receipts that contradict themselves or what the consumer recorded
    case("receipt-deleted-after-it-was-signed", "deleted_at = 9999-12-31, long after the receipt's iat.", "receipt",
         receipt_with(deleted_at=253402300799), "inconsistent_receipt", **receipt_ctx)
    case("receipt-deleted-before-the-packet", "deleted_at = 0, before the packet was even made.", "receipt",
         receipt_with(deleted_at=0), "inconsistent_receipt", **receipt_ctx)
    case("receipt-revoked-without-revocation", "reason revoked, revocation_jti null.", "receipt",
         receipt_with(revocation_jti=None), "inconsistent_receipt", **receipt_ctx)
    case("receipt-retention-with-revocation", "reason retention_expired, naming a revocation.", "receipt",
         receipt_with(reason="retention_expired"), "inconsistent_receipt", **receipt_ctx)
    case("receipt-revoked-but-never-revoked", "reason revoked, for a packet the consumer never revoked.", "receipt",
         receipt_with(revocation_jti="made-up-revocation"), "inconsistent_receipt", **never_revoked_ctx)
    case("receipt-answers-another-revocation", "reason revoked, naming a revocation that is not the consumer's.",
         "receipt", receipt_with(revocation_jti="made-up-revocation"), "inconsistent_receipt", **receipt_ctx)
    case("receipt-deleted-before-the-revocation", "reason revoked, deleted a day before the consumer revoked.",
         "receipt", receipt_with(deleted_at=NOW + 60), "inconsistent_receipt", **receipt_ctx)
    case("receipt-redates-a-confirmed-deletion", "A second receipt that dates a confirmed deletion differently.",
         "receipt", receipt_with(deleted_at=NOW + DAY - 60), "inconsistent_receipt",
         **{**receipt_ctx, "confirmed_deleted_at": NOW + DAY, "confirmed_reason": "revoked"})
    case("valid-receipt-same-deletion-again", "Another receipt for a confirmed deletion, saying the same.", "receipt",
         receipt_with(jti="vectors-receipt-0002"), "valid",
         **{**receipt_ctx, "confirmed_deleted_at": NOW + DAY, "confirmed_reason": "revoked"})
    return out


def write_vectors(directory):
    os.makedirs(directory, exist_ok=True)
    for old in os.listdir(directory):
        if old.endswith(".json"):
            os.remove(os.path.join(directory, old))
    made = vectors()
    for name, vector in made.items():
        with open(os.path.join(directory, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(vector, f, indent=2, ensure_ascii=False)
            f.write("\n")
    print(f"wrote {len(made)} vectors to {directory}")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "vectors":
        write_vectors(sys.argv[2])
    elif command == "sign":
        seed = bytes.fromhex(sys.argv[2])
        did = did_of_seed(seed)
        print(sign_jwcrypto(seed, fill(sys.argv[3], did), fill(sys.argv[4], did)))
    elif command == "did":
        print(did_of_seed(bytes.fromhex(sys.argv[2])))
    elif command == "forge-weak":
        print(forge_weak(sys.argv[2], sys.argv[3]))
    elif command == "age-file":
        plaintext = sys.stdin.buffer.read()
        sys.stdout.buffer.write(age_file_by_hand(plaintext, sys.argv[2], grease(int(sys.argv[3]), int(sys.argv[4]))))
    elif command == "age-recipient":
        print(age_recipient_of(bytes.fromhex(sys.argv[2])))
    else:
        sys.exit(__doc__)
