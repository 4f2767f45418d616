"""OpenTelemetry traces from an HTTP request, through the store and the relay, over NATS, to
the consumer that applies the event, and the projections that apply what each stored (and on
through the consuming service's own relay).

Off by default: with no ``otlp_endpoint`` configured no tracer exists and every function here
returns at its first line, so a service pays nothing for it. When on, spans go to an OTLP/HTTP
collector in batches.

The W3C ``traceparent`` travels in the NATS message headers (beside ``Nats-Msg-Id``), not in
the CloudEvents payload, so the stored and de-duplicated bytes of an event stay the same
whoever traced it. Between a request (or a consumed message) and the relay and projections
that follow the log, the context is remembered in memory by the event's identity
(``<service>:<aggregate id>:<version>``), bounded to the most recent events: an event relayed
or projected by another replica, or after a restart, continues no trace (its consumer starts
a fresh one). Traces are for looking at, never for correctness."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

T = TypeVar("T")

_PROPAGATOR = TraceContextTextMapPropagator()
_NO_HEADERS: Mapping[str, str] = {}
#: Events whose request context is kept for the relay: far more than a relay's lag.
REMEMBERED_EVENTS = 10_000

#: For ``FastAPI(telemetry=...)``: FastAPI's own OpenTelemetry spans, metrics and logs stay
#: off (they would start with any global tracer provider, and its logs and exception events
#: carry exception messages, which may quote what a person typed). Ours carry route templates.
FASTAPI_TELEMETRY_OFF = TelemetryConfig(tracing=False, metrics=False, logs=False)

_tracer: Tracer | None = None
_remembered: OrderedDict[str, SpanContext] = OrderedDict()
_lock = threading.Lock()


def configure_tracing(service: str, otlp_endpoint: str | None) -> None:
    """Export spans to ``otlp_endpoint`` (an OTLP/HTTP traces URL); leave tracing as it is
    when none is given (off, unless a test installed a provider)."""
    if not otlp_endpoint:
        return
    # Imported only when configured: the exporter pulls in protobuf and requests.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": f"waymark-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    install(provider)


def install(provider: TracerProvider | None) -> None:
    """Trace with ``provider`` from now on (``None``: stop tracing)."""
    global _tracer
    _tracer = None if provider is None else provider.get_tracer("waymark")
    with _lock:
        _remembered.clear()


def tracer() -> Tracer | None:
    """The tracer, or None when tracing is off."""
    return _tracer


def incoming_context(headers: Iterable[tuple[bytes, bytes]]) -> Context | None:
    """The caller's trace context from an ASGI request's ``traceparent`` header, if any."""
    for name, value in headers:
        if name == b"traceparent":
            return _PROPAGATOR.extract({"traceparent": value.decode("latin-1")})
    return None


def remember(event_ids: Iterable[str]) -> None:
    """Note the current span as the origin of these just-stored events, for the relay."""
    if _tracer is None:
        return
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return
    with _lock:
        for event_id in event_ids:
            _remembered[event_id] = context
            _remembered.move_to_end(event_id)
        while len(_remembered) > REMEMBERED_EVENTS:
            _remembered.popitem(last=False)


def publish_headers(message_id: str, subject: str) -> Mapping[str, str]:
    """NATS headers carrying the trace of the request that stored this event: a producer span
    is recorded for the publish and its ``traceparent`` returned. Empty when off or unknown."""
    if _tracer is None:
        return _NO_HEADERS
    event_id = ":".join(message_id.split(":", 3)[:3])  # a second contract version adds ":subj"
    with _lock:
        origin = _remembered.get(event_id)
    if origin is None:
        return _NO_HEADERS
    parent = trace.set_span_in_context(NonRecordingSpan(origin))
    span = _tracer.start_span(f"publish {subject}", context=parent, kind=SpanKind.PRODUCER)
    span.set_attribute("messaging.system", "nats")
    span.set_attribute("messaging.destination.name", subject)
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    span.end()
    return carrier


def consumed(
    consumer: str, headers: Mapping[str, str] | None, handler: Callable[..., T]
) -> Callable[..., T]:
    """``handler``, run inside a consumer span that continues the publisher's trace; the
    handler itself when tracing is off or the message carries no trace."""
    tracer_ = _tracer
    if tracer_ is None or not headers or "traceparent" not in headers:
        return handler
    parent = _PROPAGATOR.extract({"traceparent": headers["traceparent"]})

    return _in_span(
        tracer_,
        f"consume {consumer}",
        handler,
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "nats", "messaging.consumer.group.name": consumer},
    )


def projected(
    projection: str, service: str, batch: Sequence[tuple[Any, Any]], apply: Callable[..., T]
) -> Callable[..., T]:
    """``apply`` (a projection applying ``batch`` of (notification, event)), run inside a span
    that continues the trace of the first event in it whose request or message is known, and
    links to the rest; ``apply`` itself when tracing is off or none is known."""
    tracer_ = _tracer
    if tracer_ is None:
        return apply
    with _lock:
        known = [
            context
            for _, event in batch
            if (
                context := _remembered.get(
                    f"{service}:{event.originator_id}:{event.originator_version}"
                )
            )
            is not None
        ]
    if not known:
        return apply
    parent = trace.set_span_in_context(NonRecordingSpan(known[0]))
    links = [Link(context) for context in dict.fromkeys(known[1:]) if context != known[0]]

    return _in_span(
        tracer_,
        f"project {projection}",
        apply,
        context=parent,
        links=links,
        attributes={"waymark.events": len(batch)},
    )


def _in_span(tracer_: Tracer, name: str, work: Callable[..., T], **span: Any) -> Callable[..., T]:
    """``work``, run inside a span started with ``span`` (context, kind, links, attributes).
    An exception's text may quote a value: only its type is recorded."""

    def traced(*args: Any) -> T:
        with tracer_.start_as_current_span(
            name, record_exception=False, set_status_on_exception=False, **span
        ) as current:
            try:
                return work(*args)
            except Exception as error:
                current.set_status(StatusCode.ERROR, type(error).__name__)
                raise

    return traced
