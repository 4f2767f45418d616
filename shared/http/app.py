"""Build a service's FastAPI app around its runtime: lifespan, errors, limits, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts

from shared.admin.access import SHARED_ACCESS_RULES
from shared.http.access import AccessControl, AccessRules
from shared.http.admin_routes import router as admin_router
from shared.http.admin_routes import stop_rebuilds
from shared.http.audit_routes import router as audit_router
from shared.http.bodies import JsonBodies
from shared.http.docs import install_docs
from shared.http.headers import SecurityHeaders
from shared.http.limits import BodySizeLimit
from shared.http.observability import Observability
from shared.http.openapi import document_security_and_problems
from shared.http.problems import ProblemSpec, UnexpectedErrors, install_problem_handlers
from shared.logging import configure_logging
from shared.observability.tracing import FASTAPI_TELEMETRY_OFF, configure_tracing
from shared.reference import ReferenceData
from shared.runtime import Assemble, Runtime
from shared.security.tokens import TokenVerifier
from shared.settings import Settings


def new_fastapi_app(
    title: str, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]], **options: Any
) -> FastAPI:
    """A FastAPI app as every Waymark app is made: FastAPI serves no docs pages of its own
    (an API serves them from vendored files, the web app none) and keeps its own telemetry
    off (ours is shared/observability)."""
    return FastAPI(
        title=title,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry=FASTAPI_TELEMETRY_OFF,
        **options,
    )


def build_every_route(app: FastAPI) -> None:
    """Build each included route's handler now, while the app is made, not at its first request.

    FastAPI builds an included router's routes when a request first walks them, and it builds
    each parameter under ``warnings.catch_warnings()``, which swaps the process's warning filters
    and is not thread-safe. Two apps in one process (two replicas in a test) taking their first
    requests at once then let pydantic's warnings escape, and under ``-W error`` answer 500; and
    a process's first requests paid for the building (a first ``POST /visits`` took 53 to 64 ms
    against 10 to 13). Built here, in the thread that makes the app, nothing is built while
    serving.
    """
    for _ in iter_route_contexts(app.router.routes):
        pass


def build_api(
    settings: Settings,
    *,
    title: str,
    description: str,
    assemble: Assemble[Any, Any],
    routers: Sequence[APIRouter],
    domain_errors: Mapping[type[Exception], ProblemSpec],
    access_rules: AccessRules,
) -> FastAPI:
    configure_logging(settings)
    configure_tracing(settings.service.value, settings.otlp_endpoint)
    runtime = Runtime(settings, assemble)
    verifier = TokenVerifier(settings)  # fails at start-up, not at the first request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            await stop_rebuilds(app.state)
            await runtime.stop()

    # Its docs are served by install_docs from vendored files: no CDN, no OAuth2 redirect page.
    app = new_fastapi_app(
        title,
        lifespan,
        description=description,
        version="0.1.0",
        swagger_ui_oauth2_redirect_url=None,
    )
    install_docs(app)
    document_security_and_problems(app)
    install_problem_handlers(app, domain_errors)
    # Middlewares run in the reverse order they are added: the last added sees a request first.
    app.add_middleware(JsonBodies)  # reads the body through the size limit
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Inside the access control, so even an unexpected error is audited and gets the headers.
    app.add_middleware(UnexpectedErrors)
    # Added after the size limit so it runs before it: a caller without a token learns nothing,
    # not even that her body was too large.
    app.add_middleware(
        AccessControl,
        service=settings.service.value,
        rules={**SHARED_ACCESS_RULES, **access_rules},
        verifier=verifier,
        audit_log=lambda: runtime.stores.audit,
    )
    app.add_middleware(SecurityHeaders)
    # Outermost: every answer, a refusal included, has a request id and a latency sample.
    app.add_middleware(Observability, service=settings.service.value)

    @app.get("/healthz", tags=["health"], summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Store reachable, NATS connected, loops running; the leases this replica holds",
        responses={503: {"description": "Not ready"}},
    )
    def readyz(request: Request) -> JSONResponse:
        runtime = request.app.state.runtime
        checks = runtime.readiness()
        ready = all(checks.values())
        return JSONResponse(
            {
                "status": "ready" if ready else "not ready",
                "checks": checks,
                # Which background work this replica runs ("held") and which another does.
                "replica": runtime.replica,
                "leases": runtime.lease_status(),
            },
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
    app.include_router(admin_router)
    app.include_router(audit_router)
    build_every_route(app)
    return app
