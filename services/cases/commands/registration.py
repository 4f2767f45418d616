"""Registering her under a pseudonym with her languages, and correcting either later."""

from __future__ import annotations

from collections.abc import Sequence

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from shared.reference import ReferenceData


class Register(JourneyCommand):
    """Register the woman whose journey began with a contact on a visit."""

    pseudonym: str
    preferred_languages: Sequence[str] = ()
    interpreter_needed: bool = False

    records = Journey.register

    def check(self, reference: ReferenceData) -> None:
        reference.require_all("languages", self.preferred_languages, "body.preferred_languages")


class CorrectPseudonym(JourneyCommand):
    pseudonym: str

    records = Journey.correct_pseudonym


class ChangeLanguagePreferences(JourneyCommand):
    preferred_languages: Sequence[str]
    interpreter_needed: bool

    records = Journey.change_language_preferences

    def check(self, reference: ReferenceData) -> None:
        reference.require_all("languages", self.preferred_languages, "body.preferred_languages")
