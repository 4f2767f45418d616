"""The web app in this process against the three real services, each on fresh stores."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from services.cases.main import create_app as cases_app
from services.notifications.main import create_app as notifications_app
from services.visits.main import create_app as visits_app
from services.web.main import create_app as web_app
from services.web.sessions import COOKIE, Session
from services.web.settings import WebSettings
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.deep import DATABASE_URL
from tests.support import bearer, drop_schemas, served, unique_schema_prefix, web_settings


class ToServices(httpx.AsyncBaseTransport):
    """The web app's calls, answered by the services' own apps (each on its TestClient's
    event loop, so it is called from a worker thread)."""

    def __init__(self, by_port: dict[int, TestClient]) -> None:
        self.by_port = by_port

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        client = self.by_port[request.url.port or 80]
        body = await request.aread()

        def call() -> httpx.Response:
            return client.request(
                request.method,
                request.url.raw_path.decode("ascii"),
                headers=request.headers,
                content=body,
            )

        answer = await asyncio.to_thread(call)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


@dataclass
class Stack:
    web: TestClient
    services: dict[ServiceName, TestClient]
    settings: WebSettings

    def session(self, role: Role, subject: str = "cw-1", team: str | None = "west") -> Session:
        token = bearer(role, subject=subject, team=team)["Authorization"].split(" ", 1)[1]
        store = self.web.app.state.sessions  # type: ignore[attr-defined]
        session: Session = store.create(
            subject=subject,
            roles=frozenset({role}),
            team=team,
            access_token=token,
            token_expires_at=time.time() + 3600,
        )
        return session

    def signed_in(self, role: Role) -> tuple[TestClient, Session]:
        session = self.session(role)
        self.web.cookies.set(COOKIE, session.id)
        return self.web, session


@contextmanager
def web_stack(folder: Path, database_url: str | None = DATABASE_URL) -> Iterator[Stack]:
    """The stack on SQLite under ``folder``, or on ``database_url`` (PostgreSQL) in schemas of
    its own that are dropped at the end."""
    ports = {ServiceName.VISITS: 8001, ServiceName.CASES: 8002, ServiceName.NOTIFICATIONS: 8003}
    factories = {
        ServiceName.VISITS: visits_app,
        ServiceName.CASES: cases_app,
        ServiceName.NOTIFICATIONS: notifications_app,
    }
    prefix = unique_schema_prefix()
    folder.mkdir(parents=True, exist_ok=True)  # on PostgreSQL no store makes it
    with ExitStack() as stack:
        if database_url is not None:
            stack.callback(drop_schemas, database_url, prefix)
        services = {
            name: stack.enter_context(
                served(factory, name, folder / name.value, database=(database_url, prefix))
            )
            for name, factory in factories.items()
        }
        transport = ToServices({ports[name]: client for name, client in services.items()})
        settings = web_settings(folder)
        web = stack.enter_context(
            TestClient(
                web_app(settings, transport),
                follow_redirects=False,
                raise_server_exceptions=False,
            )
        )
        yield Stack(web, services, settings)
