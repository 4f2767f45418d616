"""Build a service's FastAPI app around its runtime: lifespan, errors, limits, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from shared.admin.http import router as admin_router
from shared.admin.http import stop_rebuilds
from shared.http.headers import SecurityHeaders
from shared.http.limits import BodySizeLimit
from shared.http.problems import ProblemSpec, install_problem_handlers
from shared.logging import configure_logging
from shared.reference import ReferenceData
from shared.runtime import Assemble, Runtime
from shared.settings import Settings


def build_api(
    settings: Settings,
    *,
    title: str,
    description: str,
    assemble: Assemble,
    routers: Sequence[APIRouter],
    domain_errors: Mapping[type[Exception], ProblemSpec],
) -> FastAPI:
    configure_logging(settings)
    runtime = Runtime(settings, assemble)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            await stop_rebuilds(app.state)
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    install_problem_handlers(app, domain_errors)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)

    @app.get("/healthz", tags=["health"], summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Store reachable, NATS connected, loops running",
        responses={503: {"description": "Not ready"}},
    )
    def readyz(request: Request) -> JSONResponse:
        checks = request.app.state.runtime.readiness()
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get(
        "/reference",
        tags=["reference"],
        response_model=ReferenceData,
        summary="The coded lists every command is validated against",
    )
    def reference(request: Request) -> ReferenceData:
        data: ReferenceData = request.app.state.runtime.stores.reference
        return data

    for router in routers:
        app.include_router(router)
    # Read-only admin routes (history, as-of) on every service; no personal fields yet.
    app.include_router(admin_router)
    return app
