"""The web app's composition root: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from services.web.api import Services
from services.web.errors import install_error_pages, unexpected_error_page
from services.web.headers import WebHeaders
from services.web.identity import DevelopmentSignIn, OpenIdConnect
from services.web.pages import (
    admin,
    admin_as_of,
    admin_erasure,
    admin_history,
    admin_read_models,
    admin_subject_access,
    audit,
    casework,
    inbox,
    journey_forms,
    outreach,
    premises,
    sign_in,
    statistics,
)
from services.web.sessions import SessionStore
from services.web.settings import WebSettings
from services.web.timing import ServerTiming
from shared.http.app import build_every_route, new_fastapi_app
from shared.http.observability import Observability
from shared.http.problems import UnexpectedErrors
from shared.logging import configure_logging
from shared.observability.tracing import configure_tracing

STATIC = Path(__file__).parent / "static"


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def create_app(settings: WebSettings, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """``transport`` lets tests put the services in-process; production uses the network."""
    configure_logging(settings)
    configure_tracing("web", settings.otlp_endpoint)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = Services(settings, transport)
        try:
            yield
        finally:
            await app.state.services.close()

    # No API docs: this app serves pages to people, its contract is the three services' APIs.
    app = new_fastapi_app("Waymark", lifespan, openapi_url=None)
    app.state.settings = settings
    app.state.sessions = SessionStore(
        settings.session_idle_minutes * 60, settings.session_absolute_hours * 3600
    )
    app.state.development_sign_in = (
        DevelopmentSignIn(settings) if settings.development_sign_in else None
    )
    app.state.oidc = OpenIdConnect(settings) if settings.oidc_issuer else None
    app.state.pending_sign_ins = {}
    install_error_pages(app)
    # Inside the headers: a page for a fault nobody expected carries them too (no-store).
    app.add_middleware(UnexpectedErrors, answer=unexpected_error_page)
    app.add_middleware(WebHeaders, sign_out_origin=_origin(settings.oidc_issuer))
    app.add_middleware(ServerTiming)
    app.add_middleware(Observability, service="web")
    # Only the assets are compressed: they hold no secret, while compressing pages that carry
    # a CSRF token beside text a request can influence would open them to BREACH.
    app.mount(
        "/static", GZipMiddleware(StaticFiles(directory=STATIC), minimum_size=1024), name="static"
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(sign_in.router)
    app.include_router(casework.router)
    app.include_router(journey_forms.router)
    app.include_router(inbox.router)
    app.include_router(premises.router)
    app.include_router(statistics.router)
    app.include_router(admin.router)
    app.include_router(admin_history.router)
    app.include_router(admin_as_of.router)
    app.include_router(admin_erasure.router)
    app.include_router(admin_subject_access.router)
    app.include_router(admin_read_models.router)
    app.include_router(audit.router)
    app.include_router(outreach.router)
    build_every_route(app)
    return app
