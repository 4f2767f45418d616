"""The whole system with its web app: NATS, the three services and ``waymark web``, as real
processes on free ports (SQLite), for the browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from shared.nats_server import free_port
from shared.settings import ServiceName
from tests.e2e.system import System, wait_listening
from tests.support import TEST_AUTH_KEY, wait_until


class WebSystem(System):
    def __init__(self, root: Path, **web_settings: str) -> None:
        super().__init__(root)
        self.web_port = free_port()
        self.web_settings = web_settings
        self.dev_key_file = root / "dev-jwt.key"
        self.dev_key_file.write_text(TEST_AUTH_KEY)
        self.web_process: subprocess.Popen[bytes] | None = None

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> WebSystem:
        # The web app asks the services nothing until a page is requested: it starts beside
        # them rather than after them.
        self.spawn_web()
        super().start()  # on a failed start it stops the web app too
        try:
            self.wait_web_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def web_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "WAYMARK_WEB_PORT": str(self.web_port),
            "WAYMARK_WEB_PUBLIC_URL": self.web_url,
            "WAYMARK_WEB_COOKIE_SECURE": "false",
            "WAYMARK_WEB_DEV_KEY_FILE": str(self.dev_key_file),
            "WAYMARK_WEB_VISITS_URL": self.url(ServiceName.VISITS),
            "WAYMARK_WEB_CASES_URL": self.url(ServiceName.CASES),
            "WAYMARK_WEB_NOTIFICATIONS_URL": self.url(ServiceName.NOTIFICATIONS),
            "WAYMARK_WEB_SAFEGUARDING_PHONE": "020 7946 0000",
            "WAYMARK_WEB_LOG_JSON": "false",
            **{f"WAYMARK_WEB_{k.upper()}": v for k, v in self.web_settings.items()},
        }

    def spawn_web(self) -> None:
        env = self.web_env()
        log = (self.logs / "web.log").open("ab")
        self.web_process = subprocess.Popen(
            [sys.executable, "-m", "waymark.cli", "web"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_web_ready(self) -> None:
        assert self.web_process is not None
        wait_listening(self.web_process, self.web_port, self.logs / "web.log", 30)
        wait_until(
            lambda: httpx.get(self.web_url + "/healthz", timeout=2).status_code == 200,
            message="web app ready",
        )

    def stop(self) -> None:
        if self.web_process is not None and self.web_process.poll() is None:
            self.web_process.terminate()
            try:
                self.web_process.wait(10)
            except subprocess.TimeoutExpired:
                self.web_process.kill()
        super().stop()


class OidcWebSystem(WebSystem):
    """The same system signed into through an OpenID Connect provider: the services verify
    its RS256 access tokens against its JWKS, and the web app has no development sign-in."""

    def __init__(self, root: Path, issuer: str, client_id: str) -> None:
        super().__init__(root)
        self.issuer = issuer
        self.client_id = client_id
        self.auth_env = {
            "WAYMARK_AUTH_JWKS_URL": issuer + "/jwks",
            "WAYMARK_AUTH_ISSUER": issuer,
            # A test store on SQLite, though tokens come from an identity provider.
            "WAYMARK_SQLITE_IN_PRODUCTION": "true",
        }

    def web_env(self) -> dict[str, str]:
        env = super().web_env()
        del env["WAYMARK_WEB_DEV_KEY_FILE"]
        env["WAYMARK_WEB_OIDC_ISSUER"] = self.issuer
        env["WAYMARK_WEB_OIDC_CLIENT_ID"] = self.client_id
        return env
