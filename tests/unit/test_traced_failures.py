"""A consumer or projection span that fails records only the exception's type: its text may
quote a value (what a person typed), which must never leave the service in a trace."""

from __future__ import annotations

from types import SimpleNamespace
from uuid import uuid4

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from shared.observability import tracing
from tests.integration.test_tracing import spans as spans  # the fixture

SECRET = "her name is in this message"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def fail() -> None:
    raise ValueError(SECRET)


def test_a_failed_consumer_span_names_the_error_type_and_nothing_it_said(
    spans: InMemorySpanExporter,
) -> None:
    handler = tracing.consumed("cases-from-visits", {"traceparent": TRACEPARENT}, fail)
    with pytest.raises(ValueError):
        handler()
    (span,) = spans.get_finished_spans()
    assert span.name == "consume cases-from-visits" and span.kind == SpanKind.CONSUMER
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "ValueError"
    assert span.events == ()  # no exception event, which would carry the message
    assert span.attributes == {
        "messaging.system": "nats",
        "messaging.consumer.group.name": "cases-from-visits",
    }
    assert span.parent is not None and span.parent.span_id == 0xB7AD6B7169203331


def test_a_failed_projection_span_names_the_error_type_and_nothing_it_said(
    spans: InMemorySpanExporter,
) -> None:
    event = SimpleNamespace(originator_id=uuid4(), originator_version=1)
    # The event was stored while a message was consumed: the projection continues that trace.
    store = tracing.consumed(
        "c",
        {"traceparent": TRACEPARENT},
        lambda: tracing.remember([f"cases:{event.originator_id}:1"]),
    )
    store()
    apply = tracing.projected("caseload", "cases", [(None, event)], fail)
    with pytest.raises(ValueError):
        apply()
    span = spans.get_finished_spans()[-1]
    assert span.name == "project caseload"
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "ValueError"
    assert span.events == ()
    assert span.attributes == {"waymark.events": 1}
