"""Reference data: the coded lists every command is validated against.

Needs, indicators, concerns, partner organisations, languages… are configuration, not code: a
charity edits a JSON file (``WAYMARK_REFERENCE_DATA_FILE``; the default ships with the package)
and every service validates it at start and lists it at ``GET /reference``. Indicator and need
codes carry their HTCDS 2.0 names so an anonymised export fits the international standard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.base import LanguageTag
from shared.errors import FieldError

Kind = Literal[
    "languages",
    "areas",
    "premises_types",
    "visit_outcomes",
    "materials",
    "premises_indicators",
    "person_indicators",
    "concerns",
    "follow_up_kinds",
    "needs",
    "goals",
    "meeting_types",
    "appointment_types",
    "partners",
    "closure_reasons",
    "lawful_bases",
]
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_HTCDS = r"^(vic_MethodsOfControl|spl_Type):[A-Za-z]+$"


class UnknownCode(FieldError):
    """A command used a code that is not in the reference data."""

    def __init__(self, field: str, kind: str) -> None:
        # The offending value is not repeated: a code field may have been sent free text.
        super().__init__(field, f"not a known code in reference data '{kind}' (GET /reference)")
        self.kind = kind


class Coded(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str = Field(min_length=1)
    htcds: str | None = Field(default=None, pattern=_HTCDS)


class Partner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1)
    #: Only First Responder organisations can submit a National Referral Mechanism referral.
    first_responder: bool


class ReferenceData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    languages: list[LanguageTag] = Field(min_length=1)
    areas: dict[str, str]
    premises_types: dict[str, str]
    visit_outcomes: dict[str, str]
    materials: dict[str, str]
    premises_indicators: dict[str, Coded]
    person_indicators: dict[str, Coded]
    concerns: dict[str, str]
    follow_up_kinds: dict[str, str]
    needs: dict[str, Coded]
    goals: dict[str, str]
    meeting_types: dict[str, str]
    appointment_types: dict[str, str]
    partners: dict[str, Partner]
    closure_reasons: dict[str, str]
    lawful_bases: dict[str, str]

    @model_validator(mode="after")
    def _codes_are_codes(self) -> ReferenceData:
        for kind, value in self:
            if isinstance(value, dict):
                if not value:
                    raise ValueError(f"{kind} must list at least one code")
                bad = [code for code in value if not _CODE.match(code)]
                if bad:
                    raise ValueError(f"{kind}: codes must be lower_snake_case: {bad}")
        return self

    def codes(self, kind: Kind) -> set[str]:
        value = getattr(self, kind)
        return set(value) if isinstance(value, dict) else {str(v) for v in value}

    def require(self, kind: Kind, code: str, field: str) -> str:
        if code not in self.codes(kind):
            raise UnknownCode(field, kind)
        return code

    def require_all(self, kind: Kind, codes: Iterable[str], field: str) -> list[str]:
        return [self.require(kind, code, f"{field}.{index}") for index, code in enumerate(codes)]

    def is_first_responder(self, partner: str) -> bool:
        return self.partners[partner].first_responder


def load_reference_data(path: Path | None = None) -> ReferenceData:
    """The configured reference data, validated; the packaged default when no file is given."""
    if path is None:
        text = resources.files("shared").joinpath("reference_data.json").read_text()
    else:
        text = path.read_text()
    return ReferenceData.model_validate(json.loads(text))
