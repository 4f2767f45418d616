"""What the event store tells the observers when events are committed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.observability import tracing
from shared.observability.metrics import LOG_HEAD


def observe_recorded(service: str, recordings: Sequence[Any]) -> None:
    """Events were committed to ``service``'s log: move the log head and, when tracing, note
    which request stored them so the relay can continue its trace."""
    if not recordings:
        return
    LOG_HEAD.labels(service=service).set(max(r.notification.id for r in recordings))
    if tracing.tracer() is not None:
        tracing.remember(
            f"{service}:{r.domain_event.originator_id}:{r.domain_event.originator_version}"
            for r in recordings
        )


def observe_staged(service: str, events: Sequence[Any]) -> None:
    """Events a consumer's handler staged for its batch's one commit: when tracing, note the
    message's span as their origin now, since the commit happens outside it."""
    if events and tracing.tracer() is not None:
        tracing.remember(f"{service}:{e.originator_id}:{e.originator_version}" for e in events)
