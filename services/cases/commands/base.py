"""What every journey command is.

A command knows its codes to check against the reference data (``codes``: which field holds a
code of which kind; ``check`` raises a ``FieldError`` naming the request body's field, so 422
before anything is read) and which ``Journey`` method records it (``apply_to``).
``CasesApplication.do`` runs any of them the same way: read the journey, compare the version the
client last read, apply, save. The request bodies (``services/cases/api/commands.py``) make
these; tests and scripts make them directly.

Most commands are recorded by one ``Journey`` method whose parameters are the command's own
fields, by the same names, then ``occurred_at`` and the ``actor``: such a command names that
method as ``records`` and its fields are written once (``tests/unit/test_cases_commands.py``
holds each one to its method's signature). A command that needs more than that (a reference
lookup, another clock's name) says how in its own ``apply_to``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, dataclass_transform

from services.cases.domain import Journey
from shared.reference import Kind, ReferenceData


@dataclass_transform(kw_only_default=True, frozen_default=True)
@dataclass(frozen=True, kw_only=True)
class JourneyCommand:
    """Every journey command is a frozen, keyword-only dataclass: its subclasses are made so
    when they are defined (as the library makes its events dataclasses)."""

    occurred_at: datetime

    #: The ``Journey`` method that records this command.
    records: ClassVar[Callable[..., None]]
    #: The fields passed to ``records`` otherwise than by their own name, or not at all.
    not_recorded: ClassVar[frozenset[str]] = frozenset({"occurred_at"})
    #: The fields that hold reference-data codes (one code, or a list of them), and of which
    #: kind; a request body names each field as the command does.
    codes: ClassVar[Mapping[str, Kind]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True, kw_only=True)(cls)

    def check(self, reference: ReferenceData) -> None:
        """Refuse a code the reference data does not know (an absent optional one is fine)."""
        for name, kind in self.codes.items():
            given: str | Sequence[str] | None = getattr(self, name)
            if isinstance(given, str):
                reference.require(kind, given, f"body.{name}")
            elif given is not None:
                reference.require_all(kind, given, f"body.{name}")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        """Record the command on the journey (its rules may refuse it)."""
        type(self).records(journey, **self._own_fields(), occurred_at=self.occurred_at, actor=actor)

    def _own_fields(self) -> dict[str, Any]:
        """The command's fields but those ``not_recorded``, by name."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in self.not_recorded
        }
