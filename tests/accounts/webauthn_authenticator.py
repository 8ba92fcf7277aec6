"""A software WebAuthn authenticator (and the browser around it) for the passkey tests.

It makes real ES256 key pairs with `cryptography`, answers registration options with an
attestationObject in the "none" format (authenticatorData with flags, a signature counter and
the attested credential), answers authentication options with a real signature over
authenticatorData + SHA-256(clientDataJSON), and writes clientDataJSON as a browser would.
The server then checks these with the real `webauthn` library: nothing is mocked.

Each answer can be bent the ways an attacker or a broken device would bend it: another origin,
another challenge, another RP ID, no user verification, a signature counter that goes back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_USER_PRESENT = 0x01
FLAG_USER_VERIFIED = 0x04
FLAG_ATTESTED_CREDENTIAL = 0x40
AAGUID = bytes(16)  # "none" attestation: the authenticator doesn't say what model it is


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class StoredCredential:
    """What the authenticator keeps for one passkey (a discoverable, "resident" credential)."""

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class SoftwareAuthenticator:
    origin: str = "http://localhost"
    user_verified: bool = True
    credentials: list[StoredCredential] = field(default_factory=list)

    # -- registration: navigator.credentials.create() -------------------------------------

    def create(
        self,
        options: dict,
        *,
        origin: str | None = None,
        challenge: str | None = None,
        rp_id: str | None = None,
        sign_count: int = 0,
    ) -> dict:
        """A new credential for ``options`` (PublicKeyCredentialCreationOptionsJSON), as
        RegistrationResponseJSON. The keyword arguments bend the answer."""
        relying_party = rp_id or options["rp"]["id"]
        stored = StoredCredential(
            credential_id=secrets.token_bytes(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=relying_party,
            user_handle=from_b64url(options["user"]["id"]),
            sign_count=sign_count,
        )
        attested = AAGUID + struct.pack(">H", len(stored.credential_id)) + stored.credential_id
        auth_data = self._authenticator_data(
            relying_party, FLAG_ATTESTED_CREDENTIAL, sign_count, attested + stored.cose_public_key()
        )
        client_data = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.credentials.append(stored)
        return {
            "id": b64url(stored.credential_id),
            "rawId": b64url(stored.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    # -- authentication: navigator.credentials.get() --------------------------------------

    def get(
        self,
        options: dict,
        *,
        credential: StoredCredential | None = None,
        origin: str | None = None,
        challenge: str | None = None,
        rp_id: str | None = None,
        sign_count: int | None = None,
        user_handle: bytes | None = None,
    ) -> dict:
        """An assertion for ``options`` (PublicKeyCredentialRequestOptionsJSON), signed by the
        first matching credential (or ``credential``), as AuthenticationResponseJSON. The
        counter goes up by one unless ``sign_count`` says what to report."""
        stored = credential or self._pick(options)
        stored.sign_count = stored.sign_count + 1 if sign_count is None else sign_count
        auth_data = self._authenticator_data(rp_id or stored.rp_id, 0, stored.sign_count, b"")
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = stored.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(stored.credential_id),
            "rawId": b64url(stored.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(stored.user_handle if user_handle is None else user_handle),
            },
        }

    def _pick(self, options: dict) -> StoredCredential:
        allowed = {from_b64url(item["id"]) for item in options.get("allowCredentials") or []}
        for stored in self.credentials:
            if stored.rp_id == options["rpId"] and (not allowed or stored.credential_id in allowed):
                return stored
        raise AssertionError("this authenticator holds no credential the options allow")

    # -- the pieces -----------------------------------------------------------------------

    def _authenticator_data(self, rp_id: str, extra_flags: int, sign_count: int, attested: bytes) -> bytes:
        flags = FLAG_USER_PRESENT | extra_flags | (FLAG_USER_VERIFIED if self.user_verified else 0)
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count) + attested

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()
