"""
An OpenID issuer served on 127.0.0.1 for JWT authorizers (HTTP APIs and the
stacks that make them): its discovery document, its JWKS, a key to sign
tokens with, and the paths it was asked for.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

AUDIENCE = "my-app"


@attrs.frozen
class Issuer:
    url: str
    key: rsa.RSAPrivateKey
    fetches: list[str]

    def token(self, **claims: object) -> str:
        """
        A token of this issuer for L{AUDIENCE}, valid five minutes, with
        C{claims} over the defaults (a claim given as C{None} is left out).
        """
        now = int(time.time())
        body = {"iss": self.url, "aud": AUDIENCE, "iat": now, "exp": now + 300, "sub": "ana", **claims}
        return jwt.encode({k: v for k, v in body.items() if v is not None}, self.key, "RS256", {"kid": "k1"})


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    fetches: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetches.append(self.path)
            base = f"http://{self.headers['Host']}"
            documents = {
                "/.well-known/openid-configuration": {"issuer": base, "jwks_uri": f"{base}/keys"},
                "/keys": {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]},
            }
            found = documents.get(self.path)
            body = json.dumps(found).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Issuer(f"http://127.0.0.1:{server.server_address[1]}", key, fetches)
    server.shutdown()
    server.server_close()
