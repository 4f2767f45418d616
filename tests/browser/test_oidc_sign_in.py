"""Production sign-in: OpenID Connect with PKCE against the organisation's identity provider
(a small test provider here), whose access tokens the services verify by its JWKS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import LAPTOP
from tests.browser.oidc_provider import CLIENT_ID, OidcProvider
from tests.browser.system import OidcWebSystem


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    running = OidcProvider().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def oidc_system(
    tmp_path_factory: pytest.TempPathFactory, provider: OidcProvider
) -> Iterator[OidcWebSystem]:
    root: Path = tmp_path_factory.mktemp("oidc-system")
    running = OidcWebSystem(root, provider.issuer, CLIENT_ID).start()
    yield running
    running.stop()


def test_given_an_identity_provider_she_signs_in_there_and_the_services_accept_her_token(
    chromium: Any, oidc_system: OidcWebSystem, provider: OidcProvider
) -> None:
    context = chromium.new_context(viewport=LAPTOP, base_url=oidc_system.web_url)
    try:
        page = context.new_page()
        page.goto("/inbox")
        assert page.url.startswith(provider.issuer + "/authorize?")
        assert "code_challenge_method=S256" in page.url
        page.get_by_label("User").fill("cw-oidc")
        page.get_by_label("Roles").fill("caseworker")
        page.get_by_label("Team").fill("west")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        # Back on the page she asked for, which the notifications service answered with
        # her own token (a refused token would have sent her to sign in again).
        assert page.url == oidc_system.web_url + "/inbox"
        assert page.get_by_role("heading", level=1).count() == 1
        assert provider.token_requests == 1
        # The token never reaches the browser: only an opaque session cookie.
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert set(cookies) == {"waymark_session"}
        assert "." not in cookies["waymark_session"]  # not a JWT
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
        assert page.url.endswith("/signed-out")
    finally:
        context.close()


def test_with_an_identity_provider_the_development_sign_in_does_not_exist(
    oidc_system: OidcWebSystem, provider: OidcProvider
) -> None:
    refused = httpx.post(
        oidc_system.web_url + "/sign-in/development",
        data={"role": "admin", "subject": "x", "form_token": "t"},
        cookies={"waymark_sign_in": "t"},
    )
    assert refused.status_code == 404
    sign_in = httpx.get(oidc_system.web_url + "/sign-in", follow_redirects=False)
    assert sign_in.status_code == 303
    assert sign_in.headers["location"].startswith(provider.issuer + "/authorize?")


def test_a_callback_with_a_forged_state_signs_nobody_in(oidc_system: OidcWebSystem) -> None:
    response = httpx.get(
        oidc_system.web_url + "/auth/callback", params={"state": "forged", "code": "x"}
    )
    assert response.status_code == 400
    assert "waymark_session" not in response.cookies
