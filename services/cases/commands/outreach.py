"""What outreach learned about a woman met on a visit, as the contract visits published it.

Each fact is a journey command made from its contract (``from_contract``: the contract's fields
of the same names) and recorded by its ``Journey`` method like a caseworker's command, so each
field is written once. ``contact_id`` says whose journey the fact goes on, not what it is:
it is not passed to that method. ``CasesApplication.note_from_outreach`` records one once per
upstream position.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import ClassVar, Self
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import IndicatorSource
from shared.contracts.base import IntegrationEvent


class OutreachFact(JourneyCommand):
    #: The contact she was met as; None for a fact about no woman (a concern about premises).
    contact_id: UUID | None
    visit_id: UUID

    not_recorded: ClassVar[frozenset[str]] = JourneyCommand.not_recorded | {"contact_id"}

    @classmethod
    def from_contract(cls, message: IntegrationEvent) -> Self:
        return cls(**{f.name: getattr(message, f.name) for f in dataclasses.fields(cls)})


class NoteIndicator(OutreachFact):
    observation_id: UUID
    indicator: str
    source: IndicatorSource

    records = Journey.note_indicator

    @classmethod
    def from_contract(cls, message: IntegrationEvent) -> Self:
        # The contract carries the source as its code; the journey keeps it as the value.
        fact = super().from_contract(message)
        return dataclasses.replace(fact, source=IndicatorSource(fact.source))


class NoteConcern(OutreachFact):
    concern_id: UUID
    concern: str

    records = Journey.note_concern


class NoteFollowUp(OutreachFact):
    follow_up_id: UUID
    kind: str
    due_at: datetime

    records = Journey.note_follow_up
