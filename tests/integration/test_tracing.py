"""One trace from the request that records a visit to the cases consumer that applies it:
HTTP span → (store) → relay's publish span → NATS ``traceparent`` header → consumer span."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from nats.aio.client import Client
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.cases.main import assemble as assemble_cases
from services.visits.main import create_app as create_visits
from shared.contracts.streams import VISITS_STREAM
from shared.messaging.streams import ensure_streams
from shared.nats_server import NatsServer
from shared.observability import tracing
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.integration.harness import eventually, start_runtime, stream_messages
from tests.service.test_visits_http import visit_body
from tests.support import bearer, make_settings


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.install(None)


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == name]


async def test_one_trace_runs_from_post_visits_to_the_cases_consumer(
    spans: InMemorySpanExporter, nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    url, prefix = database
    await ensure_streams(
        nc.jetstream(), (VISITS_STREAM,), make_settings(ServiceName.CASES, tmp_path)
    )
    cases = await start_runtime(
        ServiceName.CASES, assemble_cases, tmp_path / "cases", nats_server.url, database
    )
    settings = make_settings(
        ServiceName.VISITS,
        tmp_path / "visits",
        nats_url=nats_server.url,
        database_url=url,
        schema_prefix=prefix,
    )
    try:
        with TestClient(
            create_visits(settings), headers=bearer(roles=(Role.OUTREACH,), subject="v-1")
        ) as client:
            assert client.post("/visits", json=visit_body()).status_code == 201
            (request,) = named(spans, "POST /visits")
            consumed = await eventually(
                lambda: named(spans, "consume cases-from-visits"), message="a consumer span"
            )
            # The cases read models applying what the consumer stored, in the same trace.
            await eventually(
                lambda: _projected_under(spans, consumed),
                message="a cases projection span in the trace",
            )
            messages = await stream_messages(nc, "VISITS")
    finally:
        await cases.stop()
    trace_id = request.context.trace_id
    assert request.kind is SpanKind.SERVER
    assert request.attributes is not None and request.attributes["http.route"] == "/visits"
    published = [span for span in spans.get_finished_spans() if span.kind is SpanKind.PRODUCER]
    assert published and {span.context.trace_id for span in published} == {trace_id}
    # Every message the request caused carries its trace, in the headers (not the payload).
    assert messages and all(
        message.headers["traceparent"].split("-")[1] == f"{trace_id:032x}" for message in messages
    )
    assert all(b"traceparent" not in message.data for message in messages)
    assert {span.context.trace_id for span in consumed} == {trace_id}
    assert all(span.kind is SpanKind.CONSUMER for span in consumed)
    parents = {span.parent.span_id for span in consumed if span.parent is not None}
    assert parents <= {span.context.span_id for span in published}
    # The visits read models too: their projection spans continue the request's trace.
    projected = [s for s in spans.get_finished_spans() if s.name.startswith("project ")]
    assert {s.context.trace_id for s in projected} == {trace_id}
    assert _projected_under(spans, [request])


def _projected_under(exporter: InMemorySpanExporter, parents: list[ReadableSpan]) -> bool:
    """A projection span whose parent is one of ``parents``."""
    ids = {span.context.span_id for span in parents}
    return any(
        span.name.startswith("project ") and span.parent is not None and span.parent.span_id in ids
        for span in exporter.get_finished_spans()
    )


def test_with_tracing_off_nothing_is_remembered_and_no_header_is_added() -> None:
    tracing.install(None)
    tracing.remember(["visits:x:1"])
    assert tracing.publish_headers("visits:x:1", "visits.contact_made.v1") == {}

    def handler() -> str:
        return "done"

    assert (
        tracing.consumed("c", {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}, handler)
        is handler
    )
    assert tracing.projected("p", "visits", [], handler) is handler
