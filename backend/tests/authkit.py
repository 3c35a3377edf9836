"""Real signing keys, a real loopback JWKS server and a token factory for the auth tests."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://testref.supabase.co/auth/v1"
AUDIENCE = "authenticated"
HS_SECRET = "legacy-hs256-secret-for-tests-only-0123456789abcdef"
JWKS_PATH = "/auth/v1/.well-known/jwks.json"

ES_KEY = ec.generate_private_key(ec.SECP256R1())
RS_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ES_ROTATED_KEY = ec.generate_private_key(ec.SECP256R1())
ES_KID, RS_KID, ROTATED_KID = "es-key-1", "rs-key-1", "es-key-2"

USER_A = uuid.UUID("11111111-1111-4111-8111-111111111111")
USER_B = uuid.UUID("22222222-2222-4222-8222-222222222222")


def public_jwk(private_key: Any, kid: str) -> dict[str, Any]:
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        jwk = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        jwk["alg"] = "ES256"
    else:
        jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        jwk["alg"] = "RS256"
    return {**jwk, "kid": kid, "use": "sig"}


def default_jwks() -> dict[str, Any]:
    return {"keys": [public_jwk(ES_KEY, ES_KID), public_jwk(RS_KEY, RS_KID)]}


def claims_for(user: uuid.UUID = USER_A, email: str | None = "a@example.com", **overrides: Any):
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user),
        "email": email,
        "role": "authenticated",
        "aal": "aal1",
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def make_token(
    alg: str = "ES256",
    *,
    user: uuid.UUID = USER_A,
    email: str | None = "a@example.com",
    kid: str | None = None,
    key: Any = None,
    drop: tuple[str, ...] = (),
    **claim_overrides: Any,
) -> str:
    claims = claims_for(user, email, **claim_overrides)
    for name in drop:
        claims.pop(name, None)
    if alg == "HS256":
        return jwt.encode(claims, key or HS_SECRET, algorithm="HS256")
    default_key, default_kid = {"ES256": (ES_KEY, ES_KID), "RS256": (RS_KEY, RS_KID)}[alg]
    headers = {"kid": kid or default_kid}
    return jwt.encode(claims, key or default_key, algorithm=alg, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class JWKSServer:
    """A real HTTP server on 127.0.0.1 so the production fetch path (httpx over TCP) runs."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = default_jwks()
        self.up = True
        self.fetches = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                with server._lock:
                    server.fetches += 1
                    up, body = server.up, json.dumps(server.document).encode()
                if self.path != JWKS_PATH:
                    self.send_response(404)
                    self.end_headers()
                    return
                if not up:
                    self.send_response(503)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}{JWKS_PATH}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def reset(self) -> None:
        with self._lock:
            self.document, self.up, self.fetches = default_jwks(), True, 0

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
