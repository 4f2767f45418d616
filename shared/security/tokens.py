"""Verify OAuth2 bearer JWTs, and issue development ones.

Production: RS256 only, keys from the identity provider's JWKS (URL or file). The embedded
default: HS256 with a local development secret, so the whole system runs on one machine with
``waymark dev-token ROLE``. The two are never mixed: with a JWKS configured an HS256 token is
refused (the classic algorithm-confusion attack), and without one an RS256 token is.

A token lives at most ``auth_max_token_lifetime_s`` from ``iat`` to ``exp``: one minted for
the year 3000 is refused, however well signed. Subjects starting ``system:`` name the services'
own actors (``system:visits`` opens journeys from visits): a user token claiming one is refused.

Every failure is the same ``InvalidToken`` to the caller: which check failed is logged as a
reason code, never the token.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import structlog

from shared.contracts.base import IDENTIFIER, STAFF_ID
from shared.security.roles import Principal, Role
from shared.settings import Settings

log = structlog.get_logger(__name__)

_SUBJECT = re.compile(STAFF_ID)
_TEAM = re.compile(IDENTIFIER)
#: The prefix of the actors the services record themselves (``services/*/application.py``).
RESERVED_SUBJECT_PREFIX = "system:"


def is_reserved_subject(subject: str) -> bool:
    return subject.casefold().startswith(RESERVED_SUBJECT_PREFIX)


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired, wrongly signed or not for us."""


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._audience = settings.auth_audience
        self._issuer = settings.auth_issuer
        self._leeway = settings.auth_leeway_s
        self._max_lifetime = settings.auth_max_token_lifetime_s
        self._roles_claim = settings.auth_roles_claim.split(".")
        dev_key = settings.auth_dev_key_bytes()
        has_jwks = settings.auth_jwks_url is not None or settings.auth_jwks_file is not None
        if dev_key is not None and has_jwks:
            raise ValueError("configure either a JWKS or a development key, not both")
        if dev_key is None and not has_jwks:
            raise ValueError(
                "no token verification configured: set WAYMARK_AUTH_JWKS_URL (or _FILE), "
                "or WAYMARK_AUTH_DEV_KEY_FILE for development"
            )
        self._dev_key = dev_key
        self._jwks_client: jwt.PyJWKClient | None = None
        self._jwks: jwt.PyJWKSet | None = None
        if settings.auth_jwks_url is not None:
            self._jwks_client = jwt.PyJWKClient(
                settings.auth_jwks_url, cache_keys=True, lifespan=3600, timeout=10
            )
        elif settings.auth_jwks_file is not None:
            self._jwks = jwt.PyJWKSet.from_dict(json.loads(settings.auth_jwks_file.read_text()))

    @property
    def development(self) -> bool:
        return self._dev_key is not None

    @property
    def may_block(self) -> bool:
        """True when verifying may fetch keys over the network (call it from a thread)."""
        return self._jwks_client is not None

    def verify(self, token: str) -> Principal:
        """The caller a token proves; ``InvalidToken`` for anything short of a valid token.

        May fetch the JWKS over the network (cached): call it from a thread."""
        try:
            key, algorithm = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "aud"]},
            )
        except (jwt.PyJWTError, ValueError, KeyError) as error:
            log.info("token.refused", reason=type(error).__name__)
            raise InvalidToken from None
        # The library has checked both are numbers, and that iat is not in the future.
        if float(claims["exp"]) - float(claims["iat"]) > self._max_lifetime + self._leeway:
            log.info("token.refused", reason="LifetimeTooLong")
            raise InvalidToken
        return self._principal(claims)

    def _key_for(self, token: str) -> tuple[Any, str]:
        if self._dev_key is not None:
            return self._dev_key, "HS256"
        kid = jwt.get_unverified_header(token).get("kid")
        if self._jwks_client is not None:
            return self._jwks_client.get_signing_key_from_jwt(token).key, "RS256"
        assert self._jwks is not None
        for candidate in self._jwks.keys:
            if kid is None or candidate.key_id == kid:
                return candidate.key, "RS256"
        raise KeyError("unknown kid")

    def _principal(self, claims: Mapping[str, Any]) -> Principal:
        subject = claims["sub"]
        if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
            raise InvalidToken
        if is_reserved_subject(subject):
            log.info("token.refused", reason="ReservedSubject")
            raise InvalidToken
        found: Any = claims
        for part in self._roles_claim:
            found = found.get(part, []) if isinstance(found, Mapping) else []
        # Roles we do not know are ignored rather than refused: an identity provider serves
        # other applications too.
        roles = frozenset(
            Role(value)
            for value in (found if isinstance(found, list) else [])
            if value in Role._value2member_map_
        )
        team = claims.get("team")
        if team is not None and (not isinstance(team, str) or not _TEAM.fullmatch(team)):
            raise InvalidToken
        return Principal(subject=subject, roles=roles, team=team)


def issue_dev_token(
    settings: Settings,
    roles: Iterable[Role],
    *,
    subject: str,
    team: str | None = None,
    lifetime: timedelta = timedelta(hours=8),
    now: datetime | None = None,
) -> str:
    """An HS256 development token; refuses when the service verifies against a JWKS."""
    key = settings.auth_dev_key_bytes()
    if key is None:
        raise ValueError("development tokens need WAYMARK_AUTH_DEV_KEY or _FILE")
    if is_reserved_subject(subject):
        raise ValueError(f"subjects starting {RESERVED_SUBJECT_PREFIX!r} are the services' own")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "aud": settings.auth_audience,
        "iat": issued,
        "exp": issued + lifetime,
        "jti": str(uuid.uuid4()),
        settings.auth_roles_claim.split(".")[-1]: [role.value for role in roles],
    }
    if settings.auth_issuer:
        claims["iss"] = settings.auth_issuer
    if team:
        claims["team"] = team
    if "." in settings.auth_roles_claim:
        raise ValueError("development tokens put roles in a top-level claim")
    return jwt.encode(claims, key, algorithm="HS256")
