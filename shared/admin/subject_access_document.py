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
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

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
        if response.status_code != 200:
            why = _REFUSALS.get(response.status_code, "it failed")
            raise ExportRefused(f"{service} answered {response.status_code}: {why}")
        parts[service] = response.json()
    return parts


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


def render(journey_id: str, parts: Mapping[str, Any]) -> str:
    cases = parts.get("cases", {}).get("sections", {})
    visits = parts.get("visits", {}).get("sections", {})
    notes = parts.get("notifications", {}).get("sections", {})
    body = [
        f"<h1>Information held about you (journey {_e(journey_id)})</h1>",
        "<p>This is a copy of everything Waymark holds about you, made at your request under "
        "Article 15 of the UK GDPR. Dates are shown twice where we have both: when something "
        "happened, and when it was recorded. Staff are shown by their role or as "
        "&ldquo;staff member&rdquo; where the record is about them, not you.</p>",
        *_generated(parts),
        "<h2>Your support journey (cases)</h2>",
        "<h3>Your record as it is now</h3>",
        _key_values(cases.get("journey", {}).get("state", {})),
        "<h3>Everything recorded on your journey, in date order</h3>",
        _events_table(
            [*cases.get("events", [])]
            + [e for m in cases.get("merged_journeys", []) for e in m.get("events", [])]
        ),
        "<h2>Outreach visits where you were met (visits)</h2>",
        *(_visit(v) for v in visits.get("visits", [])),
        "" if visits.get("visits") else "<p>No outreach visit records about you.</p>",
        "<h2>Notifications to staff about your journey (notifications)</h2>",
        _notifications(notes.get("notifications", [])),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Subject access export {_e(journey_id)}</title><style>{_STYLE}</style></head>"
        f"<body>\n{chr(10).join(body)}\n</body></html>\n"
    )


def _generated(parts: Mapping[str, Any]) -> list[str]:
    rows = [(s, str(parts.get(s, {}).get("generated_at", ""))) for s in SERVICES]
    return ["<p>Made: " + "; ".join(f"{_e(s)} {_e(at)}" for s, at in rows) + "</p>"]


def _visit(visit: Mapping[str, Any]) -> str:
    where = visit.get("premises_label") or visit.get("premises_id") or "an unregistered place"
    head = f"<h3>Visit on {_e(_when(visit.get('started_at')))} at {_e(where)}</h3>"
    outcome = (
        f"<p>Outcome of the visit: {_e(_words(str(visit.get('outcome') or 'not recorded')))}</p>"
    )
    return head + outcome + _events_table(visit.get("events", []))


def _notifications(notifications: Iterable[Mapping[str, Any]]) -> str:
    rows = [
        [
            _when(n.get("requested_at")),
            _words(str(n.get("rule", ""))),
            n.get("recipient"),
            _code(n.get("state")),
            _when(n.get("read_at")),
            _when(n.get("acknowledged_at")),
        ]
        for n in notifications
    ]
    if not rows:
        return "<p>No notifications about your journey.</p>"
    return _table(["Raised", "About", "To", "State", "Read", "Acknowledged"], rows)


def _events_table(events: Iterable[Mapping[str, Any]]) -> str:
    # By the moment, not the string: a device may have sent its clock with another offset.
    ordered = sorted(events, key=lambda e: (_moment(e), e["version"]))
    if not ordered:
        return "<p>Nothing recorded.</p>"
    rows = [
        [
            _when(e.get("occurred_at")),
            _when(e.get("recorded_at")),
            _words(str(e.get("type", "")).split(".")[-1]),
            e.get("actor"),
            _details({k: v for k, v in e.get("data", {}).items() if k not in _NOT_DETAILS}),
        ]
        for e in ordered
    ]
    return _table(["When it happened", "When recorded", "What", "Recorded by", "Details"], rows)


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


def _moment(event: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event.get("occurred_at") or event["recorded_at"]))


def _key_values(state: Mapping[str, Any]) -> str:
    rows = [
        [_words(key), _details(value)]
        for key, value in state.items()
        if value not in (None, [], {})
    ]
    return _table(["Item", "Value"], rows) if rows else "<p>No journey.</p>"


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
