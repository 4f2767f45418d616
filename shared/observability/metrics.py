"""The Prometheus metrics every service exposes on ``/metrics`` (docs/operations.md).

They live in the client's default registry: one process runs one service, so the ``service``
label only matters where a test hosts several. Other modules record with one call at the point
where the thing happens (``DEAD_LETTERS.labels(consumer=name).inc()``).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

#: Latency buckets for API calls: a store write is milliseconds, a cold PostgreSQL query tens.
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUEST_SECONDS = Histogram(
    "waymark_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (never the concrete path).",
    ["service", "method", "route", "status"],
    buckets=_HTTP_BUCKETS,
)

LOG_HEAD = Gauge(
    "waymark_log_head_position",
    "Highest notification id this process has written to its service's event log.",
    ["service"],
)
RELAY_PUBLISHED = Gauge(
    "waymark_relay_published_position",
    "Log position up to which the relay has published and JetStream has acknowledged.",
    ["service"],
)
RELAY_PUBLISHED_EVENTS = Counter(
    "waymark_relay_published_events_total",
    "Integration events the relay has published (acknowledged by JetStream).",
    ["service"],
)

CONSUMER_PENDING = Gauge(
    "waymark_consumer_pending_messages",
    "Messages in the stream not yet delivered to this durable consumer (JetStream num_pending,"
    " as of the last message it fetched).",
    ["consumer"],
)
CONSUMER_APPLIED = Counter(
    "waymark_consumer_applied_total",
    "Messages a durable consumer has applied and acknowledged.",
    ["consumer"],
)
CONSUMER_REDELIVERIES = Counter(
    "waymark_consumer_redeliveries_total",
    "Messages delivered to a durable consumer more than once (a nak, an ack wait, a crash).",
    ["consumer"],
)
DEAD_LETTERS = Counter(
    "waymark_dead_letters_total",
    "Messages a durable consumer could never apply, copied to the dead-letter stream.",
    ["consumer"],
)

NOTIFICATION_DELIVERIES_FAILED = Counter(
    "waymark_notification_deliveries_failed_total",
    "Notification delivery attempts that failed (retried later or given up).",
    ["channel"],
)
NOTIFICATION_DELIVERIES_GIVEN_UP = Counter(
    "waymark_notification_deliveries_given_up_total",
    "Notification deliveries given up: the failure was permanent or the attempts were spent.",
    ["channel"],
)

# Set by the lease code: 1 in the replica that holds the lease for that work, 0 elsewhere.
LEASE_HELD = Gauge(
    "waymark_lease_held",
    "1 when this replica holds the lease for the background work, else 0.",
    ["work"],
)
LEASE_FAILOVERS = Counter(
    "waymark_lease_failovers_total",
    "Times this replica took over a lease that another replica had held.",
    ["work"],
)

AUDIT_APPEND_SECONDS = Histogram(
    "waymark_audit_append_duration_seconds",
    "Time to append one audit entry durably (including waiting for a shared commit).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


class Deliveries:
    """What one durable consumer's fetched messages say (their JetStream ``metadata``): the
    backlog behind each, and whether it came again. The labelled series are looked up once,
    not for every message."""

    def __init__(self, consumer: str) -> None:
        self._pending = CONSUMER_PENDING.labels(consumer=consumer)
        self._redeliveries = CONSUMER_REDELIVERIES.labels(consumer=consumer)

    def observe(self, metadata: Any) -> None:
        num_pending, num_delivered = metadata.num_pending, metadata.num_delivered
        if num_pending is not None:
            self._pending.set(num_pending)
        if num_delivered is not None and num_delivered > 1:
            self._redeliveries.inc()


def observe_delivery_outcome(channel: str, delivered: bool, gave_up: bool) -> None:
    """One notification delivery attempt's outcome, once it is recorded."""
    if not delivered:
        NOTIFICATION_DELIVERIES_FAILED.labels(channel=channel).inc()
    if gave_up:
        NOTIFICATION_DELIVERIES_GIVEN_UP.labels(channel=channel).inc()


ALL_METRICS: tuple[MetricWrapperBase, ...] = (
    HTTP_REQUEST_SECONDS,
    LOG_HEAD,
    RELAY_PUBLISHED,
    RELAY_PUBLISHED_EVENTS,
    CONSUMER_PENDING,
    CONSUMER_APPLIED,
    CONSUMER_REDELIVERIES,
    DEAD_LETTERS,
    NOTIFICATION_DELIVERIES_FAILED,
    NOTIFICATION_DELIVERIES_GIVEN_UP,
    LEASE_HELD,
    LEASE_FAILOVERS,
    AUDIT_APPEND_SECONDS,
)


def metric_labels() -> dict[str, frozenset[str]]:
    """Every sample name the metrics above export (``_total``, ``_bucket`` and all) with its
    label names: what the alert rules and the dashboard may query."""
    samples: dict[str, frozenset[str]] = {}
    for metric in ALL_METRICS:
        labels = frozenset(metric._labelnames)
        for family in metric.describe():
            if family.type == "counter":
                samples[f"{family.name}_total"] = labels
            elif family.type == "histogram":
                for part in ("bucket", "sum", "count"):
                    samples[f"{family.name}_{part}"] = (
                        labels | {"le"} if part == "bucket" else labels
                    )
            else:
                samples[family.name] = labels
    return samples


def metric_names() -> set[str]:
    return set(metric_labels())


def observe_relayed(service: str, position: int, count: int) -> None:
    """The relay published ``count`` events, and JetStream acknowledged up to ``position``."""
    RELAY_PUBLISHED.labels(service=service).set(position)
    RELAY_PUBLISHED_EVENTS.labels(service=service).inc(count)
