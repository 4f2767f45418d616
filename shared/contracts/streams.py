"""The JetStream streams: one per publishing service, plus the dead-letter stream."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    #: The only service whose events may appear on it (checked against each envelope's source).
    owner: str


VISITS_STREAM = StreamSpec(
    "VISITS", ("visits.>",), "Integration events from the visits service", "visits"
)
CASES_STREAM = StreamSpec(
    "CASES", ("cases.>",), "Integration events from the cases service", "cases"
)
DEAD_LETTER_STREAM = StreamSpec(
    "DEADLETTER", ("deadletter.>",), "Messages a consumer could not accept, with the reason", ""
)

ALL_STREAMS = (VISITS_STREAM, CASES_STREAM, DEAD_LETTER_STREAM)


def dead_letter_subject(consumer: str) -> str:
    return f"deadletter.{consumer}"
