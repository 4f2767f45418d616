"""Registering her under a pseudonym with her languages, and correcting either later."""

from __future__ import annotations

from collections.abc import Sequence

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey


class Register(JourneyCommand):
    """Register the woman whose journey began with a contact on a visit."""

    pseudonym: str
    preferred_languages: Sequence[str] = ()
    interpreter_needed: bool = False

    records = Journey.register
    codes = {"preferred_languages": "languages"}


class CorrectPseudonym(JourneyCommand):
    pseudonym: str

    records = Journey.correct_pseudonym


class ChangeLanguagePreferences(JourneyCommand):
    preferred_languages: Sequence[str]
    interpreter_needed: bool

    records = Journey.change_language_preferences
    codes = {"preferred_languages": "languages"}
