"""Her data rights: asking for her personal data to be erased."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import ErasureReason
from shared.reference import ReferenceData


@dataclass(frozen=True, kw_only=True)
class RequestErasure(JourneyCommand):
    """Ask for her personal data to be erased; an admin other than the asker approves."""

    request_id: UUID
    reason: ErasureReason

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.request_erasure(self.request_id, self.reason, self.occurred_at, actor)
