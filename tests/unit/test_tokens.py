"""Bearer tokens: what is accepted, and that everything else is one bare 401."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.utils import base64url_encode

from services.visits.main import create_app
from shared.nats_server import free_port
from shared.security.roles import Role
from shared.security.tokens import InvalidToken, TokenVerifier, issue_dev_token
from shared.settings import ServiceName, Settings
from tests.support import TEST_AUTH_KEY, served

NOW = datetime.now(UTC)


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sub": "cw-1",
        "aud": "waymark",
        "iat": NOW,
        "exp": NOW + timedelta(minutes=10),
        "roles": ["caseworker"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def dev_settings(**overrides: Any) -> Settings:
    return Settings(service=ServiceName.VISITS, auth_dev_key=TEST_AUTH_KEY, **overrides)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_settings(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Settings:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}))
    return Settings(service=ServiceName.VISITS, auth_jwks_file=jwks, auth_issuer="https://idp")


def test_a_development_token_gives_the_caller_her_id_roles_and_team() -> None:
    settings = dev_settings()
    token = issue_dev_token(settings, [Role.CASEWORKER], subject="cw-7", team="west")
    principal = TokenVerifier(settings).verify(token)
    assert (principal.subject, principal.roles, principal.team) == (
        "cw-7",
        frozenset({Role.CASEWORKER}),
        "west",
    )


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(claims(exp=NOW - timedelta(minutes=5)), id="expired"),
        pytest.param(claims(aud="another-app"), id="wrong-audience"),
        pytest.param(claims(aud=None), id="no-audience"),
        pytest.param(claims(exp=None), id="no-expiry"),
        pytest.param(claims(sub=None), id="no-subject"),
        pytest.param(claims(sub="Jane Doe <jane@x>"), id="a-name-for-a-subject"),
        pytest.param(claims(iat=NOW + timedelta(hours=1)), id="issued-in-the-future"),
        pytest.param(claims(exp=datetime(3000, 1, 1, tzinfo=UTC)), id="expires-in-year-3000"),
        pytest.param(claims(exp=NOW + timedelta(hours=13)), id="lives-longer-than-12-hours"),
        pytest.param(claims(sub="system:visits"), id="a-service-subject"),
        pytest.param(claims(sub="SYSTEM:referral-expiry"), id="a-service-subject-in-capitals"),
        pytest.param(claims(sub="cw-1\n"), id="a-subject-with-a-trailing-newline"),
    ],
)
def test_a_token_that_is_not_right_in_every_way_is_refused(bad: dict[str, Any]) -> None:
    token = jwt.encode(bad, TEST_AUTH_KEY, algorithm="HS256")
    with pytest.raises(InvalidToken):
        TokenVerifier(dev_settings()).verify(token)


def test_the_longest_token_lifetime_is_a_setting_counted_from_iat_to_exp() -> None:
    issued = NOW - timedelta(hours=1)
    eleven_hours = jwt.encode(
        claims(iat=issued, exp=issued + timedelta(hours=11)), TEST_AUTH_KEY, algorithm="HS256"
    )
    assert TokenVerifier(dev_settings()).verify(eleven_hours).subject == "cw-1"
    with pytest.raises(InvalidToken):
        TokenVerifier(dev_settings(auth_max_token_lifetime_s=3600)).verify(eleven_hours)


def test_a_development_token_is_not_issued_for_a_service_subject() -> None:
    with pytest.raises(ValueError, match="system:"):
        issue_dev_token(dev_settings(), [Role.CASEWORKER], subject="system:visits")


def test_a_token_signed_with_another_key_or_none_is_refused() -> None:
    verifier = TokenVerifier(dev_settings())
    forged = jwt.encode(claims(), "x" * 40, algorithm="HS256")
    unsigned = jwt.encode(claims(), None, algorithm="none")  # type: ignore[arg-type]
    for token in (forged, unsigned, "not.a.token", ""):
        with pytest.raises(InvalidToken):
            verifier.verify(token)


def test_unknown_roles_are_ignored_and_a_dotted_claim_path_is_followed() -> None:
    settings = dev_settings(auth_roles_claim="realm_access.roles")
    token = jwt.encode(
        claims(roles=None, realm_access={"roles": ["admin", "offline_access"]}),
        TEST_AUTH_KEY,
        algorithm="HS256",
    )
    assert TokenVerifier(settings).verify(token).roles == frozenset({Role.ADMIN})


def test_rs256_tokens_are_checked_against_the_jwks_and_its_issuer(
    jwks_settings: Settings, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(jwks_settings)
    good = jwt.encode(claims(iss="https://idp"), rsa_key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(good).roles == frozenset({Role.CASEWORKER})
    other_issuer = jwt.encode(
        claims(iss="https://evil"), rsa_key, algorithm="RS256", headers={"kid": "k1"}
    )
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong_key = jwt.encode(
        claims(iss="https://idp"), other_key, algorithm="RS256", headers={"kid": "k1"}
    )
    for token in (other_issuer, wrong_key):
        with pytest.raises(InvalidToken):
            verifier.verify(token)


def test_an_hs256_token_signed_with_the_public_key_is_refused_by_a_jwks_verifier(
    jwks_settings: Settings, rsa_key: rsa.RSAPrivateKey
) -> None:
    # The algorithm-confusion attack: the public key is public, so it must never be an HMAC key.
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # PyJWT will not sign this way, so forge it by hand.
    header = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    body = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims().items()}
    signing_input = b".".join(
        base64url_encode(json.dumps(part).encode())
        for part in ({**header}, {**body, "iss": "https://idp"})
    )
    signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + base64url_encode(signature)).decode()
    with pytest.raises(InvalidToken):
        TokenVerifier(jwks_settings).verify(token)


def test_a_service_will_not_start_without_a_way_to_verify_tokens_or_with_both() -> None:
    with pytest.raises(ValueError, match="no token verification"):
        TokenVerifier(Settings(service=ServiceName.VISITS))
    with pytest.raises(ValueError, match="either"):
        TokenVerifier(dev_settings(auth_jwks_url="https://idp/jwks.json"))
    with pytest.raises(ValueError, match="32 bytes"):
        TokenVerifier(Settings(service=ServiceName.VISITS, auth_dev_key="short"))  # type: ignore[arg-type]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with served(create_app, ServiceName.VISITS, tmp_path / "var") as test_client:
        yield test_client


def test_every_kind_of_bad_token_gets_the_same_bare_401(client: TestClient) -> None:
    expired = jwt.encode(claims(exp=NOW - timedelta(hours=1)), TEST_AUTH_KEY, algorithm="HS256")
    forged = jwt.encode(claims(), "y" * 40, algorithm="HS256")
    for_ever = jwt.encode(claims(exp=datetime(3000, 1, 1, tzinfo=UTC)), TEST_AUTH_KEY, "HS256")
    a_service = jwt.encode(claims(sub="system:visits"), TEST_AUTH_KEY, algorithm="HS256")
    answers = [
        client.get(f"/visits/{NOW.timestamp()}", headers=headers)
        for headers in (
            {},
            {"Authorization": "Basic dXNlcjpwYXNz"},
            {"Authorization": "Bearer "},
            {"Authorization": f"Bearer {expired}"},
            {"Authorization": f"Bearer {forged}"},
            {"Authorization": f"Bearer {for_ever}"},
            {"Authorization": f"Bearer {a_service}"},
        )
    ]
    assert {a.status_code for a in answers} == {401}
    # The same answer whatever was wrong; only each request's own id differs.
    bodies = [a.json() for a in answers]
    assert all(
        body.pop("request_id") == a.headers["x-request-id"]
        for body, a in zip(bodies, answers, strict=True)
    )
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0] == {
        "type": "urn:waymark:problem:unauthenticated",
        "title": "Authentication required",
        "status": 401,
    }
    assert all(a.headers["www-authenticate"] == 'Bearer realm="waymark"' for a in answers)


@pytest.fixture
def jwks_server(rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """The identity provider's JWKS endpoint, served over HTTP on a free local port."""
    public = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


def test_rs256_tokens_are_checked_against_keys_fetched_from_the_jwks_url(
    jwks_server: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(Settings(service=ServiceName.VISITS, auth_jwks_url=jwks_server))
    good = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(good).subject == "cw-1"
    unknown_kid = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "k9"})
    with pytest.raises(InvalidToken):
        verifier.verify(unknown_kid)


def test_an_unreachable_jwks_url_refuses_tokens_rather_than_failing_open(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/jwks.json"
    verifier = TokenVerifier(Settings(service=ServiceName.VISITS, auth_jwks_url=url))
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(InvalidToken):
        verifier.verify(token)
