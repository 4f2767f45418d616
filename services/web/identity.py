"""Who is signing in: OpenID Connect against the identity provider, or the embedded run's
development sign-in. Either way the result is an access token the three services accept, and
the web app checks it with the services' own verifier so it never trusts more than they do."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from authlib.integrations.httpx_client import AsyncOAuth2Client

from services.web.people import same_token
from services.web.settings import WebSettings
from shared.security.roles import Principal, Role
from shared.security.tokens import InvalidToken, TokenVerifier, issue_dev_token
from shared.settings import ServiceName, Settings

DEV_TOKEN_LIFETIME = timedelta(hours=8)


def token_rules(web: WebSettings, jwks_url: str | None = None) -> Settings:
    """The services' token settings as the web app knows them. ``Settings`` is per service;
    which one is irrelevant here because only its ``auth_*`` fields are read."""
    values: dict[str, Any] = {
        "service": ServiceName.VISITS,
        "auth_audience": web.auth_audience,
        "auth_roles_claim": web.auth_roles_claim,
    }
    if web.dev_key_file is not None:
        values["auth_dev_key_file"] = web.dev_key_file
    else:
        values["auth_jwks_url"] = jwks_url or web.auth_jwks_url
        values["auth_issuer"] = web.auth_issuer or web.oidc_issuer
    return Settings(**values)


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    access_token: str
    expires_at: float
    id_token: str | None = None


class DevelopmentSignIn:
    """Mints HS256 tokens with the embedded run's key; exists only when that key is set."""

    def __init__(self, web: WebSettings) -> None:
        self._settings = token_rules(web)
        self._verifier = TokenVerifier(self._settings)

    def sign_in(self, roles: list[Role], subject: str, team: str | None) -> SignedIn:
        token = issue_dev_token(
            self._settings, roles, subject=subject, team=team, lifetime=DEV_TOKEN_LIFETIME
        )
        principal = self._verifier.verify(token)
        claims = jwt.decode(token, options={"verify_signature": False})
        return SignedIn(principal, token, float(claims["exp"]))


@dataclass(frozen=True)
class PendingSignIn:
    state: str
    nonce: str
    code_verifier: str
    next_path: str
    kept_form: str | None


class OpenIdConnect:
    """Authorization Code with PKCE (S256); the provider's endpoints from its discovery
    document, fetched once when first needed so the app starts while the provider is down."""

    def __init__(self, web: WebSettings) -> None:
        assert web.oidc_issuer and web.oidc_client_id
        self._web = web
        self._issuer = web.oidc_issuer.rstrip("/")
        self._metadata: dict[str, Any] | None = None
        self._verifier: TokenVerifier | None = None
        self._jwks: jwt.PyJWKClient | None = None
        self._lock = asyncio.Lock()

    @property
    def redirect_uri(self) -> str:
        return self._web.public_url.rstrip("/") + "/auth/callback"

    def _client(self) -> AsyncOAuth2Client:
        secret = self._web.oidc_client_secret
        return AsyncOAuth2Client(
            client_id=self._web.oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            scope=self._web.oidc_scopes,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post" if secret else "none",
            timeout=10,
        )

    async def metadata(self) -> dict[str, Any]:
        async with self._lock:
            if self._metadata is None:
                async with httpx.AsyncClient(timeout=10) as client:
                    response = await client.get(self._issuer + "/.well-known/openid-configuration")
                    response.raise_for_status()
                    metadata = dict(response.json())
                if metadata.get("issuer", "").rstrip("/") != self._issuer:
                    raise RuntimeError("the identity provider names another issuer")
                self._metadata = metadata
                rules = token_rules(self._web, jwks_url=metadata["jwks_uri"])
                self._verifier = TokenVerifier(rules)
                self._jwks = jwt.PyJWKClient(metadata["jwks_uri"], cache_keys=True)
            return self._metadata

    async def begin(self, next_path: str, kept_form: str | None) -> tuple[str, PendingSignIn]:
        metadata = await self.metadata()
        pending = PendingSignIn(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(64),
            next_path=next_path,
            kept_form=kept_form,
        )
        async with self._client() as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=pending.state,
                nonce=pending.nonce,
                code_verifier=pending.code_verifier,
            )
        return url, pending

    async def finish(self, code: str, pending: PendingSignIn) -> SignedIn:
        metadata = await self.metadata()
        async with self._client() as client:
            token = await client.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.code_verifier,
            )
        id_token = str(token.get("id_token", ""))
        await asyncio.to_thread(self._check_id_token, id_token, pending.nonce)
        access_token = str(token["access_token"])
        assert self._verifier is not None
        principal = await asyncio.to_thread(self._verifier.verify, access_token)
        claims = jwt.decode(access_token, options={"verify_signature": False})
        return SignedIn(principal, access_token, float(claims["exp"]), id_token)

    def _check_id_token(self, id_token: str, nonce: str) -> None:
        assert self._jwks is not None
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token).key
            claims = jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=self._web.oidc_client_id,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "nonce"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken from error
        if not same_token(str(claims["nonce"]), nonce):
            raise InvalidToken

    async def sign_out_url(self, id_token: str | None) -> str | None:
        metadata = await self.metadata()
        end = metadata.get("end_session_endpoint")
        if not end:
            return None
        query = {"post_logout_redirect_uri": self._web.public_url.rstrip("/") + "/signed-out"}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{end}?{urlencode(query)}"
