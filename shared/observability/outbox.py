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
