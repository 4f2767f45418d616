"""What every journey command is.

A command knows its codes to check against the reference data (``check``: ``FieldError``
naming the request body's field, so 422 before anything is read) and which ``Journey`` method
records it (``apply_to``). ``CasesApplication.do`` runs any of them the same way: read the
journey, compare the version the client last read, apply, save. The request bodies
(``services/cases/api/commands.py``) make these; tests and scripts make them directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from services.cases.domain import Journey
from shared.reference import ReferenceData


@dataclass(frozen=True, kw_only=True)
class JourneyCommand(ABC):
    occurred_at: datetime

    def check(self, reference: ReferenceData) -> None:
        """Refuse a code the reference data does not know (most commands carry none)."""
        return None

    @abstractmethod
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        """Record the command on the journey (its rules may refuse it)."""
