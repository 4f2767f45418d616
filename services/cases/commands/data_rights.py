"""Her data rights: asking for her personal data to be erased."""

from __future__ import annotations

from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import ErasureReason


class RequestErasure(JourneyCommand):
    """Ask for her personal data to be erased; an admin other than the asker approves."""

    request_id: UUID
    reason: ErasureReason

    records = Journey.request_erasure
