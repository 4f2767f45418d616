"""The whole system as real processes: a nats-server and the three services, on free ports."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import nats

from shared.nats_server import NatsServer, free_port, port_open
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.integration.harness import consumers_settled
from tests.support import TEST_AUTH_KEY, bearer, wait_until
from waymark.cli import ensure_master_key
from waymark.cli.running import stop_processes

SERVICES = (ServiceName.VISITS, ServiceName.CASES, ServiceName.NOTIFICATIONS)


def wait_listening(process: subprocess.Popen[bytes], port: int, log: Path, within_s: float) -> None:
    """Until ``process`` listens on ``port``; at once if it exits (a failed start), with the
    end of its log, rather than after the whole wait."""
    deadline = time.monotonic() + within_s
    while not port_open("127.0.0.1", port):
        if process.poll() is not None:
            raise RuntimeError(f"{log.stem} exited at start:\n{log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{log.stem} not listening on {port} after {within_s} s")
        time.sleep(0.05)


class System:
    def __init__(
        self,
        root: Path,
        database_url: str | None = None,
        schema_prefix: str | None = None,
        *,
        http_apart: bool = False,
    ) -> None:
        self.root = root
        self.var_dir = root / "var"
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.nats = NatsServer(self.var_dir / "nats", free_port(), log_file=self.logs / "nats.log")
        self.ports = {service: free_port() for service in SERVICES}
        self.processes: dict[ServiceName, subprocess.Popen[bytes]] = {}
        # With ``http_apart``, each service also runs an HTTP-only process (WAYMARK_BACKGROUND
        # false) on the same store, and ``url`` names it: requests and background work then
        # run in two processes.
        self.http_ports = {service: free_port() for service in SERVICES} if http_apart else {}
        self.http_processes: dict[ServiceName, subprocess.Popen[bytes]] = {}
        self.master_key_file = ensure_master_key(self.var_dir / "secrets" / "master.key")
        self.database_url = database_url
        self.schema_prefix = schema_prefix
        # How the services verify tokens: the tests' development key unless a test says.
        self.auth_env = {"WAYMARK_AUTH_DEV_KEY": TEST_AUTH_KEY}
        #: Further WAYMARK_* settings for every process.
        self.extra_env: dict[str, str] = {}

    def url(self, service: ServiceName) -> str:
        return f"http://127.0.0.1:{self.http_ports.get(service, self.ports[service])}"

    def start(self) -> System:
        try:
            self.nats.start()
            # The services all at once, as ``waymark run`` starts them: each process spends
            # its first seconds importing, and on two cores those seconds overlap. Never two
            # processes of one service at once: both would create its tables.
            rounds = [False, True] if self.http_ports else [False]
            for http_only in rounds:
                for service in SERVICES:
                    self.spawn_service(service, http_only=http_only)
                for service in SERVICES:
                    self.wait_listening(service, http_only=http_only)
            for service in SERVICES:
                self.wait_ready(service)
        except BaseException:
            self.stop()  # what did start must not outlive a failed start
            raise
        return self

    def start_service(self, service: ServiceName, *, http_only: bool = False) -> None:
        self.spawn_service(service, http_only=http_only)
        self.wait_listening(service, http_only=http_only)

    def _log(self, service: ServiceName, http_only: bool) -> Path:
        return self.logs / f"{service.value}{'-http' if http_only else ''}.log"

    def spawn_service(self, service: ServiceName, *, http_only: bool = False) -> None:
        port = self.http_ports[service] if http_only else self.ports[service]
        env = {
            **os.environ,
            "WAYMARK_SERVICE": service.value,
            "WAYMARK_PORT": str(port),
            "WAYMARK_BACKGROUND": "false" if http_only else "true",
            "WAYMARK_VAR_DIR": str(self.var_dir),
            "WAYMARK_NATS_SERVERS": self.nats.url,
            "WAYMARK_MASTER_KEY_FILE": str(self.master_key_file),
            **self.auth_env,
            **self.extra_env,
            "WAYMARK_LOG_POLL_INTERVAL_S": "0.1",
            "WAYMARK_RETRY_BASE_DELAY_S": "0.2",
            "WAYMARK_RETRY_MAX_DELAY_S": "2",
        }
        if self.database_url:
            env["WAYMARK_DATABASE_URL"] = self.database_url
            env["WAYMARK_POSTGRES_SCHEMA"] = f"{self.schema_prefix}_{service.value}"
        log = self._log(service, http_only).open("ab")
        processes = self.http_processes if http_only else self.processes
        processes[service] = subprocess.Popen(
            [sys.executable, "-m", "waymark.cli", "serve", service.value],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_listening(self, service: ServiceName, *, http_only: bool = False) -> None:
        processes, ports = (
            (self.http_processes, self.http_ports) if http_only else (self.processes, self.ports)
        )
        wait_listening(processes[service], ports[service], self._log(service, http_only), 90)

    def wait_ready(self, service: ServiceName, timeout: float = 30) -> None:
        places = [(self.processes, self.ports)]
        if self.http_ports:
            places.append((self.http_processes, self.http_ports))
        for processes, ports in places:
            ready = functools.partial(self._ready, service, processes, ports)
            wait_until(ready, timeout=timeout, message=f"{service} ready")

    @staticmethod
    def _ready(
        service: ServiceName,
        processes: dict[ServiceName, subprocess.Popen[bytes]],
        ports: dict[ServiceName, int],
    ) -> bool:
        process = processes.get(service)
        # A service that exited (its port taken, say) must not pass on another's answer.
        assert process is None or process.poll() is None, f"{service} exited: see its log"
        try:
            url = f"http://127.0.0.1:{ports[service]}/readyz"
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, service: ServiceName) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        process = self.processes.pop(service)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        stop_processes([*self.http_processes.values(), *self.processes.values()])
        self.http_processes.clear()
        self.processes.clear()
        self.nats.stop()

    # --- reading the system over HTTP ---------------------------------------------------

    def client(
        self,
        service: ServiceName,
        role: Role,
        *,
        subject: str = "user-1",
        team: str | None = None,
        timeout: float = 10,
    ) -> httpx.Client:
        """An HTTP client for one service, carrying a token for ``role``."""
        return httpx.Client(
            base_url=self.url(service),
            headers=bearer(role, subject=subject, team=team),
            timeout=timeout,
        )

    def post_visit(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return httpx.post(
            self.url(ServiceName.VISITS) + "/visits",
            json=body,
            headers={**bearer(Role.OUTREACH, subject="v-1"), **headers},
            timeout=10,
        )

    def journeys(self) -> dict[str, Any]:
        response = httpx.get(
            self.url(ServiceName.CASES) + "/journeys",
            params={"limit": 200},
            headers=bearer(Role.SAFEGUARDING_LEAD, subject="sg-1"),
            timeout=10,
        )
        response.raise_for_status()
        return dict(response.json())

    def history(self, service: ServiceName, aggregate_id: str) -> list[dict[str, Any]]:
        """An aggregate's events as its service's event store holds them (not a read model)."""
        with self.client(service, Role.AUDITOR, subject="au-1") as client:
            response = client.get(f"/admin/aggregates/{aggregate_id}/history")
        response.raise_for_status()
        return list(response.json()["events"])

    def wait_until_consumed(self, stream: str, durables: dict[str, int]) -> None:
        """Until each durable consumer of ``stream`` has been delivered and has acknowledged
        every message it takes up to its given sequence (see ``consumers_settled``)."""

        async def settled() -> bool:
            nc = await nats.connect(self.nats.url)
            try:
                return await consumers_settled(nc, stream, durables)
            finally:
                await nc.close()

        wait_until(
            lambda: asyncio.run(settled()), timeout=30, interval=0.1, message=f"{durables} done"
        )

    def inbox(self) -> dict[str, Any]:
        response = httpx.get(
            self.url(ServiceName.NOTIFICATIONS) + "/inbox",
            params={"recipient": "role:caseworker", "limit": 200},
            headers=bearer(Role.CASEWORKER, subject="cw-1"),
            timeout=10,
        )
        response.raise_for_status()
        return dict(response.json())
