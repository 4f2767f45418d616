"""The pieces of a journey form: its fields, their choices, and her answers turned into a body.

A form is declared once (``JourneyForm``): the cases service's command path, the words she
reads, and fields named exactly as the command's request schema names them. One template
renders every form and one handler sends it (``journey_forms.py``). Dates are typed the way
people in the UK write them (27/11/2026, 14:30, London time) and sent as ISO 8601 in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
TIME_SUFFIX = "__time"

#: Languages in the reference data, as words (a tag not listed here is shown as it is).
LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "en": "English", "es": "Spanish",
    "fr": "French", "hu": "Hungarian", "it": "Italian", "lt": "Lithuanian", "lv": "Latvian",
    "pl": "Polish", "pt": "Portuguese", "pt-BR": "Portuguese (Brazil)", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sq": "Albanian", "th": "Thai", "tl": "Tagalog",
    "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese", "zh-Hant": "Chinese (Traditional)",
}  # fmt: skip


class Kind(StrEnum):
    TEXT = "text"
    NOTES = "notes"
    SELECT = "select"  # one of many (a list of partners, needs…)
    RADIOS = "radios"  # one of a few
    CHECKBOXES = "checkboxes"
    YES_NO = "yes_no"
    DATE = "date"
    DATE_TIME = "date_time"
    NEW_ID = "new_id"  # a client-generated id: made when the form opens, so a retry is the same


@dataclass(frozen=True)
class Field:
    name: str  # the request schema's field name
    kind: Kind
    label: str
    hint: str | None = None
    reference: str | None = None  # the kind of reference data its choices come from
    fixed: tuple[tuple[str, str], ...] = ()  # the domain's own codes, as words
    first_responders_only: bool = False
    optional: bool = False
    #: Sent only when another field has this value (a partner only for sharing consents).
    only_when: tuple[str, str] | None = None
    #: Filled in from the journey as it is now (her languages, her needs).
    from_journey: str | None = None


@dataclass(frozen=True)
class Refusal:
    """A service refusal said in this form's words, and the field it belongs beside."""

    message: str
    field: str | None = None
    #: Shorter words beside the field; without them the field carries the message alone.
    beside: str | None = None


@dataclass(frozen=True)
class JourneyForm:
    path: str  # the cases service's command path, which is also this page's path
    title: str
    button: str
    section: str  # the part of the journey page she returns to
    fields: tuple[Field, ...] = ()
    intro: str | None = None
    when_label: str = "When did this happen?"
    lead_only: bool = False
    warning: bool = False
    #: Show what she has agreed to before she sends it: "referral" or "nrm".
    consent_check: str | None = None
    refusals: Mapping[str, Refusal] = field(default_factory=dict)

    @property
    def item_param(self) -> str | None:
        """The path parameter naming an item on the journey (a consent, a goal…), if any."""
        names = re.findall(r"\{(\w+)\}", self.path)
        return names[1] if len(names) > 1 else None


OCCURRED_AT = "occurred_at"


def occurred_field(form: JourneyForm) -> Field:
    return Field(
        OCCURRED_AT,
        Kind.DATE_TIME,
        form.when_label,
        hint="Leave empty if it was just now. For example, 27/11/2026 and 14:30.",
        optional=True,
    )


def options(item: Field, reference: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The choices of a coded field, as (code, words)."""
    if item.fixed:
        return list(item.fixed)
    if not item.reference:
        return []
    listed = reference.get(item.reference)
    if isinstance(listed, list):
        return [(str(tag), LANGUAGE_NAMES.get(str(tag), str(tag))) for tag in listed]
    if not isinstance(listed, Mapping):
        return []
    chosen: list[tuple[str, str]] = []
    for code, value in listed.items():
        if isinstance(value, Mapping):
            if item.first_responders_only and not value.get("first_responder"):
                continue
            chosen.append((code, str(value.get("label") or value.get("name") or code)))
        else:
            chosen.append((code, str(value)))
    return chosen


# --- dates as people in the UK type them ------------------------------------------------------

_UK_DATE = re.compile(r"^(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})(?:\s*[:.]\s*(\d{2}))?\s*([ap]\.?m\.?)?$", re.IGNORECASE)

DATE_MESSAGE = "Enter a real date, for example 27/11/2026."
TIME_MESSAGE = "Enter a time, for example 14:30."


def parse_uk_date(text: str) -> date | None:
    """27/11/2026, 27-11-2026, 27.11.2026 or 2026-11-27; None when it is not a real date."""
    text = text.strip()
    match = _UK_DATE.match(text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        match = _ISO_DATE.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def parse_time(text: str) -> tuple[int, int] | None:
    """14:30, 14.30, 2:30pm or 2pm; None when it is not a time of day."""
    match = _TIME.match(text.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower().replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif match.group(2) is None:
        return None  # "14" alone is too easy to mistype
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def london_to_utc(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def uk_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def uk_date_time(moment: datetime) -> tuple[str, str]:
    local = moment.astimezone(LONDON)
    return local.strftime("%d/%m/%Y"), local.strftime("%H:%M")


# --- her answers → the command's body ---------------------------------------------------------


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def _shown(item: Field, values: Mapping[str, Any]) -> bool:
    if item.only_when is None:
        return True
    other, wanted = item.only_when
    return _text(values, other) == wanted


def body_of(
    fields: tuple[Field, ...], values: Mapping[str, Any], now: datetime
) -> tuple[dict[str, Any], dict[str, str]]:
    """The request body, and the answers that cannot be sent as they are (by field).

    An empty answer is left out, so that the service names what is missing beside its field,
    in the same words as every other refusal. ``occurred_at`` left empty means now.
    """
    body: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in fields:
        if not _shown(item, values):
            continue
        name = item.name
        if item.kind is Kind.CHECKBOXES:
            chosen = values.get(name, [])
            body[name] = [chosen] if isinstance(chosen, str) else list(chosen)
            continue
        text = _text(values, name)
        if item.kind is Kind.DATE_TIME:
            clock = _text(values, name + TIME_SUFFIX)
            if not text and not clock:
                if name == OCCURRED_AT:
                    body[name] = now.astimezone(UTC).isoformat()
                continue
            day, hour_minute = parse_uk_date(text), parse_time(clock)
            if day is None:
                errors[name] = DATE_MESSAGE
            elif hour_minute is None:
                errors[name] = TIME_MESSAGE
            else:
                body[name] = london_to_utc(day, *hour_minute).isoformat()
            continue
        if not text:
            continue
        if item.kind is Kind.DATE:
            parsed = parse_uk_date(text)
            if parsed is None:
                errors[name] = DATE_MESSAGE
            else:
                body[name] = parsed.isoformat()
        elif item.kind is Kind.YES_NO:
            body[name] = text == "yes"
        else:
            body[name] = text
    return body, errors


def journey_values(fields: tuple[Field, ...], journey: Mapping[str, Any]) -> dict[str, Any]:
    """What a form starts with from the journey as it is (e.g. her current languages)."""
    values: dict[str, Any] = {}
    for item in fields:
        if item.from_journey is None:
            continue
        current = journey.get(item.from_journey)
        if item.kind is Kind.YES_NO and isinstance(current, bool):
            values[item.name] = "yes" if current else "no"
        elif isinstance(current, list):
            values[item.name] = [str(v) for v in current]
        elif current is not None:
            values[item.name] = str(current)
    return values
