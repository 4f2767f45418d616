"""Registration: she chose to be registered, under a pseudonym, with her languages; both can
be corrected later by new events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from services.cases.journey.base import JourneyError, JourneyFact, JourneyPart, unique


class AlreadyRegistered(JourneyError):
    """She is already registered, with different details: correct them instead."""


class Registration(JourneyPart):
    class PersonRegistered(JourneyFact):
        """She chose to be registered: pseudonym, languages, interpreter needed."""

        personal_fields: ClassVar[tuple[str, ...]] = ("pseudonym",)

        pseudonym: str
        preferred_languages: list[str]
        interpreter_needed: bool

        def apply(self, journey: JourneyPart) -> None:
            journey.registered_at = self.occurred_at
            journey.pseudonym = self.pseudonym
            journey.preferred_languages = list(self.preferred_languages)
            journey.interpreter_needed = self.interpreter_needed
            journey._registration = (
                self.pseudonym,
                list(self.preferred_languages),
                self.interpreter_needed,
            )

    class PseudonymCorrected(JourneyFact):
        """Her pseudonym, corrected by a new event."""

        personal_fields: ClassVar[tuple[str, ...]] = ("pseudonym",)

        pseudonym: str

        def apply(self, journey: JourneyPart) -> None:
            journey.pseudonym = self.pseudonym

    class LanguagePreferencesChanged(JourneyFact):
        """Her preferred languages or interpreter need changed."""

        preferred_languages: list[str]
        interpreter_needed: bool

        def apply(self, journey: JourneyPart) -> None:
            journey.preferred_languages = list(self.preferred_languages)
            journey.interpreter_needed = self.interpreter_needed

    def register(
        self,
        pseudonym: str,
        preferred_languages: Sequence[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        languages = unique(preferred_languages)
        if self._registration is not None:
            if self._registration == (pseudonym, languages, interpreter_needed):
                return  # a retry of the same registration
            raise AlreadyRegistered(f"journey {self.id} is already registered")
        self._require_writable()
        self._record(
            self.PersonRegistered,
            occurred_at,
            actor,
            pseudonym=pseudonym,
            preferred_languages=languages,
            interpreter_needed=interpreter_needed,
        )

    def correct_pseudonym(self, pseudonym: str, occurred_at: datetime, actor: str) -> None:
        self._require_registered()
        if pseudonym != self.pseudonym:
            self._record(self.PseudonymCorrected, occurred_at, actor, pseudonym=pseudonym)

    def change_language_preferences(
        self,
        preferred_languages: Sequence[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._require_registered()
        languages = unique(preferred_languages)
        if (languages, interpreter_needed) != (self.preferred_languages, self.interpreter_needed):
            self._record(
                self.LanguagePreferencesChanged,
                occurred_at,
                actor,
                preferred_languages=languages,
                interpreter_needed=interpreter_needed,
            )
