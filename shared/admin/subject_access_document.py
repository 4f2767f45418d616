"""The subject access export as files: one JSON with every service's part, and a readable HTML
document of the same (``waymark subject-access``).

Each service is asked over HTTP (``GET /subject-access/{journey_id}``, admin only, audited by
that service). The HTML is built with ``html.escape`` — no template engine — and says in plain
words what each part is; every event is a table row in date order with both clocks. Both files
are created readable by their owner only (0600): they hold her most sensitive data.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from shared.admin.subject_access import FORMAT

#: Cases last: it records the export on her journey, which should only happen once the other
#: services have answered (and an unknown journey still reaches its 404).
SERVICES = ("visits", "notifications", "cases")
_REFUSALS = {
    401: "the token was refused (expired, or not for this service)",
    403: "the token does not carry the admin role",
    404: "there is no such journey, or this service does not offer subject access",
}


#: Shown in their own columns, or bookkeeping: not repeated among an event's details.
_NOT_DETAILS = frozenset({"originator_topic", "occurred_at"})
#: Fields holding reference-data codes, shown in words in the document.
_CODES = frozenset(
    {
        "indicator",
        "indicators",
        "concern",
        "kind",
        "source",
        "need",
        "needs",
        "level",
        "scope",
        "partner",
        "outcome",
        "meeting_type",
        "rule",
        "state",
        "materials",
    }
)


class ExportRefused(Exception):
    """A service refused (or failed) the request: nothing is written."""


ClientFactory = Callable[[str, str], httpx.Client]


def open_client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60.0
    )


def fetch(
    journey_id: str,
    urls: Mapping[str, str],
    token: str,
    client_for: ClientFactory = open_client,
) -> dict[str, Any]:
    """Every service's part, or ``ExportRefused`` naming the first service that said no."""
    parts: dict[str, Any] = {}
    for service in SERVICES:
        with client_for(urls[service], token) as client:
            try:
                response = client.get(f"/subject-access/{journey_id}")
            except httpx.HTTPError as error:
                raise ExportRefused(
                    f"{service} at {urls[service]}: {type(error).__name__}"
                ) from None
        if response.status_code == 410:
            # Erased: nothing readable is held, and the service recorded nothing on her.
            parts[service] = erased_part(service, journey_id)
            continue
        if response.status_code != 200:
            why = _REFUSALS.get(response.status_code, "it failed")
            raise ExportRefused(f"{service} answered {response.status_code}: {why}")
        parts[service] = response.json()
    return parts


def erased_part(service: str, journey_id: str) -> dict[str, Any]:
    """A service's part for a woman whose data it erased (it answered 410)."""
    return {
        "format": FORMAT,
        "service": service,
        "generated_at": datetime.now(UTC).isoformat(),
        "subject": {"journey_id": journey_id, "contact_ids": []},
        "erased": True,
        "records": [],
    }


def write(out: Path, journey_id: str, parts: Mapping[str, Any]) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"subject-access-{journey_id}"
    data = {"journey_id": journey_id, "services": dict(parts)}
    json_path, html_path = stem.with_suffix(".json"), stem.with_suffix(".html")
    _write_private(json_path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    _write_private(html_path, render(journey_id, parts))
    return json_path, html_path


def _write_private(path: Path, text: str) -> None:
    # Created 0600 (never world-readable, not even for a moment); an old copy is replaced.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


# --- the readable document ----------------------------------------------------------------

_STYLE = (
    "body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.4}"
    "table{border-collapse:collapse;width:100%;margin:1em 0}"
    "th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}"
    "th{background:#eee}"
)


#: What each service's part is, in plain words, with what to say when it holds nothing.
_PARTS = {
    "cases": ("Your support journey (cases)", "No support journey."),
    "visits": ("Outreach visits where you were met (visits)", "No outreach visit records."),
    "notifications": (
        "Notifications to staff about your journey (notifications)",
        "No notifications about your journey.",
    ),
}


def render(journey_id: str, parts: Mapping[str, Any]) -> str:
    body = [
        f"<h1>Information held about you (journey {_e(journey_id)})</h1>",
        "<p>This is a copy of everything Waymark holds about you, made at your request under "
        "Article 15 of the UK GDPR. Dates are shown twice where we have both: when something "
        "happened, and when it was recorded. Staff are shown by their role or as "
        "&ldquo;staff member&rdquo; where the record is about them, not you.</p>",
        *_generated(parts),
    ]
    for service in ("cases", "visits", "notifications"):
        body += _part(service, parts.get(service, {}))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Subject access export {_e(journey_id)}</title><style>{_STYLE}</style></head>"
        f"<body>\n{chr(10).join(body)}\n</body></html>\n"
    )


def _generated(parts: Mapping[str, Any]) -> list[str]:
    rows = [(s, str(parts.get(s, {}).get("generated_at", ""))) for s in SERVICES]
    return ["<p>Made: " + "; ".join(f"{_e(s)} {_e(at)}" for s, at in rows) + "</p>"]


def _part(service: str, part: Mapping[str, Any]) -> list[str]:
    title, nothing = _PARTS[service]
    html_part = [f"<h2>{_e(title)}</h2>"]
    if part.get("erased"):
        html_part.append(
            "<p>Your personal data here was erased at your request: the keys that made it "
            "readable were destroyed, so nothing readable about you is held.</p>"
        )
    records = list(part.get("records", []))
    html_part.append(_records_table(records) if records else f"<p>{_e(nothing)}</p>")
    return html_part


def _records_table(records: Iterable[Mapping[str, Any]]) -> str:
    rows = [
        [
            _when(r.get("occurred_at")),
            _when(r.get("recorded_at")),
            _what(str(r.get("type", ""))),
            _words(str(r.get("about", ""))),
            r.get("recorded_by"),
            _details({k: v for k, v in r.get("fields", {}).items() if k not in _NOT_DETAILS}),
        ]
        for r in records
    ]
    headings = ["When it happened", "When recorded", "What", "Part of", "Recorded by", "Details"]
    return _table(headings, rows)


def _what(type_name: str) -> str:
    """``Journey.PersonRegistered`` → ``Person registered``; a described item as it is."""
    if " " in type_name:
        return type_name
    return _words(type_name.split(".")[-1])


def _when(iso: Any) -> str:
    """``2026-11-20T21:00:00+00:00`` → ``2026-11-20 21:00 UTC`` (the offset kept if not UTC)."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(str(iso))
    offset = moment.strftime("%z")
    zone = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M} {zone}"


def _code(value: Any) -> str:
    """A reference-data code in words (``debt_bondage`` → ``debt bondage``); the JSON keeps it."""
    if isinstance(value, list):
        return ", ".join(_code(item) for item in value)
    return str(value).replace("_", " ")


def _details(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(
            f"{_words(str(k))}: {_code(v) if k in _CODES else _details(v)}"
            for k, v in value.items()
            if v not in (None, [], {})
        )
    if isinstance(value, list):
        return ", ".join(_details(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _table(headings: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headings)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e('' if c is None else c)}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _words(name: str) -> str:
    """``PersonRegistered`` / ``preferred_languages`` → ``Person registered`` / ``Preferred
    languages``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:].lower()


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)
