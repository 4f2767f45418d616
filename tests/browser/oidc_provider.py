"""A small OpenID Connect provider for tests: discovery, an authorize page with a sign-in
form, a token endpoint that checks the PKCE verifier, JWKS and end-session. RS256 tokens,
access tokens for the services' audience, ID tokens for the web app's client.

It is a test double of an organisation's identity provider, run in a thread of the test
process; nothing of it ships."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from shared.nats_server import free_port, wait_for_port

CLIENT_ID = "waymark-web"
AUDIENCE = "waymark"


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    subject: str
    roles: list[str]
    team: str | None


class OidcProvider:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = "test-key-1"
        self._codes: dict[str, _Grant] = {}
        self.token_requests = 0
        self.app = self._build()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid})

    def _build(self) -> FastAPI:
        app = FastAPI()
        provider = self

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": provider.issuer,
                "authorization_endpoint": provider.issuer + "/authorize",
                "token_endpoint": provider.issuer + "/token",
                "jwks_uri": provider.issuer + "/jwks",
                "end_session_endpoint": provider.issuer + "/logout",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            public = jwt.algorithms.RSAAlgorithm.to_jwk(provider._key.public_key(), as_dict=True)
            return {"keys": [{**public, "kid": provider._kid, "use": "sig", "alg": "RS256"}]}

        @app.get("/authorize", response_class=HTMLResponse)
        def authorize(
            client_id: str,
            redirect_uri: str,
            state: str,
            nonce: str,
            code_challenge: str,
            response_type: str = "code",
            code_challenge_method: str = "",
            scope: str = "",
        ) -> str:
            if response_type != "code" or code_challenge_method != "S256":
                raise HTTPException(400, "PKCE S256 and the code flow are required")
            if "openid" not in scope.split():
                raise HTTPException(400, "openid scope required")
            hidden = "".join(
                f'<input type="hidden" name="{k}" value="{v}">'
                for k, v in {
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "state": state,
                    "nonce": nonce,
                    "code_challenge": code_challenge,
                }.items()
            )
            return (
                "<!DOCTYPE html><html lang='en'><head><title>Test identity provider</title>"
                "</head><body><main><h1>Test identity provider</h1>"
                f"<form method='post' action='/authorize'>{hidden}"
                "<label for='subject'>User</label><input id='subject' name='subject'>"
                "<label for='roles'>Roles</label><input id='roles' name='roles'>"
                "<label for='team'>Team</label><input id='team' name='team'>"
                "<button type='submit'>Continue</button></form></main></body></html>"
            )

        @app.post("/authorize")
        def approve(
            client_id: Annotated[str, Form()],
            redirect_uri: Annotated[str, Form()],
            state: Annotated[str, Form()],
            nonce: Annotated[str, Form()],
            code_challenge: Annotated[str, Form()],
            subject: Annotated[str, Form()],
            roles: Annotated[str, Form()],
            team: Annotated[str, Form()] = "",
        ) -> RedirectResponse:
            code = secrets.token_urlsafe(24)
            provider._codes[code] = _Grant(
                client_id, redirect_uri, code_challenge, nonce, subject, roles.split(), team or None
            )
            return RedirectResponse(
                f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=303
            )

        @app.post("/token")
        def token(
            grant_type: Annotated[str, Form()],
            code: Annotated[str, Form()],
            redirect_uri: Annotated[str, Form()],
            code_verifier: Annotated[str, Form()],
            client_id: Annotated[str, Form()],
        ) -> JSONResponse:
            provider.token_requests += 1
            grant = provider._codes.pop(code, None)  # a code works once
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                grant_type != "authorization_code"
                or grant is None
                or grant.client_id != client_id
                or grant.redirect_uri != redirect_uri
                or not secrets.compare_digest(grant.challenge, challenge)
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            access: dict[str, Any] = {
                "iss": provider.issuer,
                "aud": AUDIENCE,
                "sub": grant.subject,
                "roles": grant.roles,
                "iat": now,
                "exp": now + 3600,
                "jti": str(uuid.uuid4()),
            }
            if grant.team:
                access["team"] = grant.team
            identity = {
                "iss": provider.issuer,
                "aud": client_id,
                "sub": grant.subject,
                "nonce": grant.nonce,
                "iat": now,
                "exp": now + 3600,
            }
            return JSONResponse(
                {
                    "access_token": provider._sign(access),
                    "id_token": provider._sign(identity),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                }
            )

        @app.get("/logout")
        def logout(post_logout_redirect_uri: str, id_token_hint: str = "") -> RedirectResponse:
            return RedirectResponse(post_logout_redirect_uri, status_code=303)

        return app

    def start(self) -> OidcProvider:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        wait_for_port("127.0.0.1", self.port, timeout=15)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
