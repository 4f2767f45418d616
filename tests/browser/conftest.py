"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded browser)
against the real processes and NATS.

Chromium is found at ``WAYMARK_CHROMIUM`` or ``/usr/bin/chromium``. Without it these tests are
skipped on a developer's machine and fail in CI (``CI=true``), which installs it.
Screenshots for docs/web.md are written when ``WAYMARK_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from shared.security.roles import Role
from tests.browser.system import WebSystem
from tests.support import wait_until

CHROMIUM = os.environ.get("WAYMARK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 900}
# The admin's button that reveals her personal details and, by being pressed, audits the read.
SHOW_PERSONAL = "Show her personal details (recorded in the audit log)"

pytestmark = pytest.mark.browser


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(
            f"chromium not found at {CHROMIUM}: .ci/run installs Debian's chromium with apt-get",
            pytrace=False,
        )
    pytest.skip("chromium not installed (apt-get install chromium, or set WAYMARK_CHROMIUM)")


@pytest.fixture(scope="session")
def waymark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSystem]:
    """One running system for the browser tests; each test makes its own records."""
    running = WebSystem(tmp_path_factory.mktemp("web-system")).start()
    yield running
    running.stop()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One browser for this package's tests, closed after the last of them: Playwright's sync
    API keeps an event loop in this thread while it runs, which asyncio tests elsewhere must
    not meet. Each test still gets fresh contexts (no shared cookies or storage)."""
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


class Visitor:
    """One person's browser: a fresh context (no shared cookies or storage) that records
    every request it makes, so a test can prove nothing left this origin."""

    def __init__(self, chromium: Any, system: WebSystem, viewport: dict[str, int]) -> None:
        self.system = system
        self.context = chromium.new_context(viewport=viewport, base_url=system.web_url)
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()

    def sign_in(self, *roles: Role, subject: str, team: str | None = None) -> Any:
        page = self.page
        page.goto("/sign-in")
        for role in roles:
            page.get_by_label(role.value.replace("_", " ").capitalize(), exact=True).check()
        page.get_by_label("Staff id").fill(subject)
        if team:
            page.get_by_label("Team (optional)").fill(team)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    def foreign_requests(self) -> list[str]:
        origin = urlsplit(self.system.web_url).netloc
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in {"data", "blob"} and urlsplit(url).netloc != origin
        ]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visitor(chromium: Any, waymark: WebSystem) -> Iterator[Callable[..., Visitor]]:
    opened: list[Visitor] = []

    def open_one(viewport: dict[str, int] | None = None) -> Visitor:
        one = Visitor(chromium, waymark, viewport or LAPTOP)
        opened.append(one)
        return one

    yield open_one
    for one in opened:
        try:
            assert one.foreign_requests() == [], "a page requested another origin"
        finally:
            one.close()


def assert_accessible(page: Any) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        f"{violation['id']} ({violation['impact']}): {len(violation['nodes'])} node(s)"
        for violation in results.response["violations"]
        if violation.get("impact") in {"serious", "critical"}
    ]
    assert bad == [], f"{page.url}: " + "; ".join(bad)


def screenshot(page: Any, name: str) -> None:
    """For docs/web.md: written only when WAYMARK_SCREENSHOTS=1, so a test run leaves the
    working tree as it was."""
    if os.environ.get("WAYMARK_SCREENSHOTS") != "1":
        return
    assert re.fullmatch(r"[a-z0-9-]+", name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def reload_until(page: Any, shown: Callable[[], bool], message: str, timeout: float = 20) -> None:
    """Reload ``page`` until ``shown()``. A page is rendered from read models as they were when
    it was served: one that lags a write shows it only on a later load. (Not
    ``page.reload() or ...``: the response ``reload`` returns is truthy, so that never looks.)"""

    def looked() -> bool:
        if shown():
            return True
        page.reload()
        return False

    wait_until(looked, timeout=timeout, interval=0.5, message=message)


def tab_to(page: Any, selector: str, most: int = 80) -> None:
    """Keyboard only: Tab until the element ``selector`` names has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached by Tab")
