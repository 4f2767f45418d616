"""A replicated Waymark as real processes: a 3-node NATS cluster, N replicas of each service.

Every replica of a service shares its PostgreSQL schema and runs with ``WAYMARK_LEASES=true``,
so its background work runs in one replica at a time. Used by the node-loss test and by
``bench/scale.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import psycopg
from psycopg.sql import SQL, Identifier

from shared.nats_server import NatsServer, free_port
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.e2e.system import wait_listening
from tests.support import TEST_AUTH_KEY, bearer
from waymark.cli import ensure_master_key
from waymark.cli.running import stop_processes

SERVICES = (ServiceName.VISITS, ServiceName.CASES, ServiceName.NOTIFICATIONS)
#: Short enough for a test to see several failovers, long enough for a loaded 2-core machine.
LEASE_ENV = {
    "WAYMARK_LEASES": "true",
    "WAYMARK_LEASE_TTL_S": "3",
    "WAYMARK_LEASE_RENEW_S": "0.5",
    "WAYMARK_LEASE_MARGIN_S": "1",
}


@dataclass
class NatsNode:
    name: str
    server: NatsServer
    cluster_port: int


class NatsCluster:
    """Three nats-servers from the wheel, routed to each other on free ports."""

    def __init__(self, root: Path, size: int = 3) -> None:
        self.nodes: list[NatsNode] = []
        ports = [(free_port(), free_port()) for _ in range(size)]
        for index, (client_port, cluster_port) in enumerate(ports):
            name = f"n{index + 1}"
            routes = "\n".join(
                f"    nats-route://127.0.0.1:{other}"
                for i, (_, other) in enumerate(ports)
                if i != index
            )
            config = root / f"{name}.conf"
            config.parent.mkdir(parents=True, exist_ok=True)
            config.write_text(
                f"server_name: {name}\n"
                f"jetstream {{\n  store_dir: {root / name}\n  max_memory_store: 64MB\n"
                "  max_file_store: 2GB\n}\n"
                f"cluster {{\n  name: waymark\n  listen: 127.0.0.1:{cluster_port}\n"
                f"  routes: [\n{routes}\n  ]\n}}\n"
            )
            server = NatsServer(
                root / name, client_port, log_file=root / f"{name}.log", config_file=config
            )
            self.nodes.append(NatsNode(name, server, cluster_port))

    @property
    def urls(self) -> list[str]:
        return [node.server.url for node in self.nodes]

    def start(self) -> NatsCluster:
        for node in self.nodes:
            node.server.start()
        asyncio.run(self._wait_for_jetstream())
        return self

    async def _wait_for_jetstream(self, within_s: float = 60) -> None:
        nc = await nats.connect(servers=self.urls)
        try:
            deadline = time.monotonic() + within_s
            while True:
                try:
                    await nc.jetstream().account_info()
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)
        finally:
            await nc.close()

    def node(self, name: str) -> NatsNode:
        return next(node for node in self.nodes if node.name == name)

    def stop(self) -> None:
        for node in self.nodes:
            node.server.stop()

    async def stream_leader(self, stream: str) -> str:
        nc = await nats.connect(servers=self.urls)
        try:
            info = await nc.jetstream().stream_info(stream)
            assert info.cluster is not None and info.cluster.leader is not None
            return str(info.cluster.leader)
        finally:
            await nc.close()

    async def wait_for_new_leader(self, stream: str, old: str, within_s: float = 60) -> str:
        alive = [n.server.url for n in self.nodes if n.name != old]
        nc = await nats.connect(servers=alive)
        try:
            deadline = time.monotonic() + within_s
            while time.monotonic() < deadline:
                try:
                    info = await nc.jetstream().stream_info(
                        stream,
                    )
                    leader = info.cluster.leader if info.cluster else None
                    if leader and leader != old:
                        return str(leader)
                except Exception:  # noqa: BLE001 - no leader yet
                    pass
                await asyncio.sleep(0.05)
            raise TimeoutError(f"no new leader for {stream}")
        finally:
            await nc.close()


@dataclass(eq=False)
class Replica:
    service: ServiceName
    index: int
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def name(self) -> str:
        return f"{self.service.value}-{self.index}"


class ReplicatedSystem:
    def __init__(
        self,
        root: Path,
        database_url: str,
        schema_prefix: str,
        replicas: int,
        pool_size: int = 2,
    ) -> None:
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.nats = NatsCluster(root / "nats")
        self.database_url = database_url
        self.schema_prefix = schema_prefix
        self.master_key_file = ensure_master_key(root / "secrets" / "master.key")
        self.replicas: dict[ServiceName, list[Replica]] = {
            service: [Replica(service, i, free_port()) for i in range(replicas)]
            for service in SERVICES
        }
        self._counter = itertools.count()
        self.pool_size = pool_size

    def schema(self, service: ServiceName) -> str:
        return f"{self.schema_prefix}_{service.value}"

    def start(self) -> ReplicatedSystem:
        self.nats.start()
        # A replica of each service at a time, all three at once: their imports overlap on
        # two cores, and no two replicas of one service create its tables together.
        for replicas in zip(*self.replicas.values(), strict=True):
            for replica in replicas:
                self.spawn_replica(replica)
            for replica in replicas:
                self.wait_listening(replica)
        for service in SERVICES:
            for replica in self.replicas[service]:
                self.wait_ready(replica)
        return self

    def start_replica(self, replica: Replica) -> None:
        self.spawn_replica(replica)
        self.wait_listening(replica)

    def spawn_replica(self, replica: Replica) -> None:
        env = {
            **os.environ,
            **LEASE_ENV,
            "WAYMARK_SERVICE": replica.service.value,
            "WAYMARK_PORT": str(replica.port),
            "WAYMARK_VAR_DIR": str(self.root / "var" / replica.name),
            "WAYMARK_NATS_SERVERS": ",".join(self.nats.urls),
            "WAYMARK_STREAM_REPLICAS": "3",
            "WAYMARK_MASTER_KEY_FILE": str(self.master_key_file),
            "WAYMARK_AUTH_DEV_KEY": TEST_AUTH_KEY,
            "WAYMARK_DATABASE_URL": self.database_url,
            "WAYMARK_POSTGRES_SCHEMA": self.schema(replica.service),
            "WAYMARK_LOG_POLL_INTERVAL_S": "0.1",
            "WAYMARK_RETRY_BASE_DELAY_S": "0.2",
            "WAYMARK_RETRY_MAX_DELAY_S": "2",
            # A killed consumer's unacknowledged messages come back after this, not 30 s.
            "WAYMARK_CONSUMER_ACK_WAIT_S": "5",
            "WAYMARK_LOG_LEVEL": "WARNING",
            # Six processes and their four pools each must fit in PostgreSQL's 100 connections
            # (shared with other tests): 2 per pool, not the default 8 + 32.
            "WAYMARK_POSTGRES_POOL_SIZE": str(self.pool_size),
            "WAYMARK_POSTGRES_MAX_OVERFLOW": "0",
        }
        log = (self.logs / f"{replica.name}.log").open("ab")
        replica.process = subprocess.Popen(
            [sys.executable, "-m", "waymark.cli", "serve", replica.service.value],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_listening(self, replica: Replica) -> None:
        assert replica.process is not None
        wait_listening(replica.process, replica.port, self.logs / f"{replica.name}.log", 120)

    def wait_ready(self, replica: Replica, within_s: float = 60) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(replica.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{replica.name} not ready")

    def kill(self, replica: Replica) -> None:
        """SIGKILL: no shutdown code runs, no lease is released."""
        assert replica.process is not None
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait()
        replica.process = None

    def stop(self) -> None:
        stop_processes(r.process for rs in self.replicas.values() for r in rs if r.process)
        self.nats.stop()

    # --- leases, as each replica reports them on /readyz ----------------------------------

    @staticmethod
    def leases(replica: Replica) -> dict[str, str]:
        if replica.process is None:
            return {}
        try:
            body = httpx.get(replica.url + "/readyz", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            return {}
        return dict(body.get("leases", {}))

    def holders(self, service: ServiceName) -> dict[str, Replica]:
        """Each piece of the service's background work → the replica holding its lease."""
        held: dict[str, Replica] = {}
        for replica in self.replicas[service]:
            for work, status in self.leases(replica).items():
                if status == "held":
                    held[work] = replica
        return held

    def wait_all_held(self, service: ServiceName, works: set[str], within_s: float = 60) -> float:
        """Seconds until every piece of ``works`` is held by a live replica."""
        started = time.monotonic()
        while time.monotonic() - started < within_s:
            if works <= set(self.holders(service)):
                return time.monotonic() - started
            time.sleep(0.05)
        raise TimeoutError(f"{service} leases not all held: {self.holders(service)}")

    # --- the outreach app: posts through any replica, retries with the same key ----------

    def post_visit(self, body: dict[str, Any], on_switch: Callable[[float], None]) -> int:
        """POST through the next replica; on a dead one, the same request to another."""
        headers = {**bearer(Role.OUTREACH, subject="v-1"), "Idempotency-Key": body["visit_id"]}
        first_failure: float | None = None
        for attempt in range(200):
            live = [r for r in self.replicas[ServiceName.VISITS] if r.process is not None]
            replica = live[(next(self._counter) + attempt) % len(live)]
            try:
                response = httpx.post(
                    replica.url + "/visits", json=body, headers=headers, timeout=15
                )
            except httpx.HTTPError:
                first_failure = first_failure or time.monotonic()
                time.sleep(0.05)
                continue
            if response.status_code >= 500:
                first_failure = first_failure or time.monotonic()
                time.sleep(0.05)
                continue
            if first_failure is not None:
                on_switch(time.monotonic() - first_failure)
            return response.status_code
        raise RuntimeError("no visits replica answered")

    # --- counting from the stores and read models ---------------------------------------

    def count(self, sql: str, service: ServiceName) -> tuple[int, ...]:
        with psycopg.connect(self.database_url) as conn:
            conn.execute(SQL("SET search_path TO {}").format(Identifier(self.schema(service))))
            row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
        assert row is not None
        return tuple(int(value or 0) for value in row)
