"""Dev-only token issuer for ``AUTH_MODE=local``.

An ES256 key is generated once into a gitignored file under ``backend/.local_auth/``. Tokens carry the
same claims as Supabase access tokens, and the API verifies them through the same JWKS cache and
checks as Supabase tokens, so local mode exercises the production verification path.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.core.config import Settings

# Stable per-email user ids: the same email always maps to the same dev user.
_LOCAL_USER_NAMESPACE = uuid.UUID("6f1b7f0e-3c1a-4f57-9a8e-0d5c2b7a9e11")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _load_or_create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; use its key
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an EC private key")
    return loaded


class LocalSigner:
    def __init__(self, settings: Settings):
        self._settings = settings
        self._key = _load_or_create_key(settings.local_auth_key_path)
        numbers = self._key.public_key().public_numbers()
        self._public_jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }
        # RFC 7638 thumbprint: stable kid for the same key.
        canonical = json.dumps(self._public_jwk, sort_keys=True, separators=(",", ":")).encode()
        self.kid = "local-" + _b64url(hashlib.sha256(canonical).digest())[:16]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**self._public_jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def issue(self, email: str, *, ttl_seconds: int | None = None, admin: bool = False) -> str:
        now = int(time.time())
        ttl = ttl_seconds or self._settings.local_token_ttl_seconds
        claims = {
            "iss": self._settings.issuer,
            "aud": self._settings.supabase_audience,
            "sub": str(uuid.uuid5(_LOCAL_USER_NAMESPACE, email.strip().lower())),
            "email": email,
            "role": "authenticated",
            "aal": "aal1",
            "session_id": str(uuid.uuid4()),
            "is_anonymous": False,
            "iat": now,
            "exp": now + ttl,
            # Supabase's server-only metadata: where an admin role lives (see app.api.deps.get_admin_user).
            "app_metadata": {"provider": "email", **({"role": "admin"} if admin else {})},
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})
