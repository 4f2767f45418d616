"""Signing in and out of the web app, and what every page carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from shared.security.roles import Role
from tests.browser.conftest import PHONE, Visitor, assert_accessible, screenshot
from tests.browser.system import WebSystem
from tests.support import wait_until


def test_given_no_session_when_a_page_is_opened_then_sign_in_returns_her_to_it(
    visitor: Callable[..., Visitor],
) -> None:
    person = visitor()
    page = person.page
    page.goto("/?from=test")
    assert page.url.endswith("/sign-in?next=/%3Ffrom%3Dtest")
    assert_accessible(page)
    screenshot(page, "sign-in")
    person.sign_in(Role.AUDITOR, subject="au-signin")
    # Back where she was going: "/" sends an auditor on to her first screen.
    assert page.url.endswith("/audit")
    assert page.title().endswith("\N{EN DASH} Waymark")


def test_every_page_is_no_store_with_a_self_only_policy(waymark: WebSystem) -> None:
    for path in ("/sign-in", "/signed-out", "/no-such-page"):
        response = httpx.get(waymark.web_url + path)
        assert response.headers["cache-control"] == "no-store"
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy
        assert "https:" not in policy and "unsafe-inline" not in policy
        assert response.headers["x-frame-options"] == "DENY"


def test_a_post_without_the_sessions_token_changes_nothing(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    person = visitor()
    person.sign_in(Role.CASEWORKER, subject="cw-csrf")
    cookies = {c["name"]: c["value"] for c in person.context.cookies()}
    forged = httpx.post(
        waymark.web_url + "/sign-out", cookies=cookies, data={"csrf_token": "forged"}
    )
    assert forged.status_code == 403
    # Still signed in: the forged sign-out did nothing.
    assert "sign-in" not in httpx.get(
        waymark.web_url + "/", cookies=cookies, follow_redirects=False
    ).headers.get("location", "")
    cross_site = httpx.post(
        waymark.web_url + "/sign-out",
        cookies=cookies,
        headers={"Origin": "https://elsewhere.example"},
    )
    assert cross_site.status_code == 403


def test_signing_out_ends_the_session_and_clears_the_browser(
    visitor: Callable[..., Visitor],
) -> None:
    person = visitor(PHONE)
    page: Any = person.sign_in(Role.OUTREACH, subject="vol-out", team="west")
    # Something stored by this origin, as the outreach app's outbox would be.
    page.evaluate(
        """() => new Promise((done) => {
            const open = indexedDB.open("probe", 1);
            open.onupgradeneeded = () => open.result.createObjectStore("things");
            open.onsuccess = () => { open.result.close(); done(); };
        })"""
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    stored = "async () => (await indexedDB.databases()).map((db) => db.name)"
    wait_until(lambda: "probe" not in page.evaluate(stored), message="storage wiped")
    assert page.get_by_role("heading", name="You have signed out").is_visible()
    page.goto("/")
    assert "/sign-in" in page.url
