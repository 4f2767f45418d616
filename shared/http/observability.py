"""One ASGI middleware, outermost, for what every request gets: a request id, a latency
sample by route template, a server span when tracing — and ``GET /metrics`` itself.

``/metrics`` is answered here, before access control and routing, with no authentication: it
holds counts by route template, consumer, channel and lease, never an id or personal data.
It is kept from the outside world by where it is reachable (docs/operations.md: the Ingress
does not route it; a NetworkPolicy admits only Prometheus), not by a token Prometheus would
need. It is not part of the API (not in the OpenAPI document, no access rule).

Kept cheap: no thread hop, and per request only the id, the context-variable tokens and the
one wrapped ``send``; the histogram's children are looked up once per label set
(``bench/observability_overhead.py`` measures it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from opentelemetry.trace import SpanKind, Tracer
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.middleware import HttpMiddleware
from shared.observability import tracing
from shared.observability.metrics import HTTP_REQUEST_SECONDS
from shared.observability.request_ids import (
    request_id_from,
    reset_request_id,
    set_request_id,
)

METRICS_PATH = "/metrics"
#: The route label of a request that matched no route (a 404, or refused before routing).
UNMATCHED = "unmatched"
#: Methods named in labels; any other (a client may send any token) is ``OTHER``, so no
#: request can add a series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Observability(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, service: str) -> None:
        super().__init__(app)
        self.service = service
        # The histogram's child per label set, so a request skips the registry's lock and
        # lookup. Bounded: methods, route templates and the statuses the app answers with.
        self._latency: dict[tuple[str, str, int], Histogram] = {}

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == METRICS_PATH and scope["method"] in ("GET", "HEAD"):
            await _metrics(scope, receive, send)
            return
        request_id = request_id_from(scope["headers"])
        id_header = (b"x-request-id", request_id.encode("ascii"))
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        token = set_request_id(request_id)
        started = time.perf_counter()
        tracer = tracing.tracer()
        try:
            if tracer is None:
                await self.app(scope, receive, observed_send)
            else:
                await self._traced(tracer, method, scope, receive, observed_send, lambda: status)
        finally:
            elapsed = time.perf_counter() - started
            self._histogram(method, route_template(scope), status).observe(elapsed)
            reset_request_id(token)
            structlog.contextvars.reset_contextvars(**tokens)

    def _histogram(self, method: str, route: str, status: int) -> Histogram:
        key = (method, route, status)
        child = self._latency.get(key)
        if child is None:
            child = HTTP_REQUEST_SECONDS.labels(
                service=self.service, method=method, route=route, status=str(status)
            )
            self._latency[key] = child
        return child

    async def _traced(
        self,
        tracer: Tracer,
        method: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: Callable[[], int],
    ) -> None:
        parent = tracing.incoming_context(scope["headers"])
        with tracer.start_as_current_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            record_exception=False,  # its text may quote the request: the status says enough
        ) as span:
            try:
                await self.app(scope, receive, send)
            finally:
                route = route_template(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status())
                span.set_attribute("waymark.service", self.service)


def route_template(scope: Scope) -> str:
    """The matched route's template (``/visits/{visit_id}``), never the concrete path."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


async def _metrics(scope: Scope, receive: Receive, send: Send) -> None:
    body = generate_latest(REGISTRY)
    headers = [(b"content-type", CONTENT_TYPE_LATEST.encode("ascii"))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
