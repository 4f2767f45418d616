"""Erasure end to end: unique markers planted in everything a woman's data can reach (alias,
urgent-concern details, pseudonym, needs and meeting notes, a break-glass reason), the system
used normally (visits, journey, referral, notifications, logs), then an erasure asked for and
approved. Afterwards no marker of hers is found in any byte the system wrote — SQLite files with
their -wal/-shm, the JetStream store, every log — nor in any PostgreSQL row; her keys are
tombstones; her history remains as events with ``<erased>``; another woman is untouched.

Markers are sealed at rest anyway, so the scan alone would pass on a system that merely kept
her keys: the test also proves the keys are gone (tombstones, ``<erased>`` through the API),
that her markers were readable before, and that the other woman's still are afterwards.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from services.cases.domain import Journey
from shared.security.roles import Role
from shared.settings import ServiceName
from shared.storage.personal_data import ERASED
from tests.e2e.system import System
from tests.support import wait_until

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC).replace(microsecond=0)


def at(hours: float) -> str:
    return (NOW - timedelta(days=2) + timedelta(hours=hours)).isoformat()


class Woman:
    """One woman met on a visit, with a unique marker in every free-text field about her."""

    def __init__(self, name: str) -> None:
        tag = f"MKR{name}{uuid4().hex}"
        self.markers = {
            field: f"{tag}{field}"
            for field in ("alias", "concern", "pseudonym", "needs", "meeting", "glass")
        }
        self.contact_id = uuid4()
        self.visit_id = uuid4()
        self.journey_id = Journey.create_id(self.contact_id)
        self.caseworker = f"cw-{name}"


class Actors:
    def __init__(self, system: System) -> None:
        self.system = system
        self.outreach = system.client(ServiceName.VISITS, Role.OUTREACH, subject="vol-1")
        self.visits_lead = system.client(
            ServiceName.VISITS, Role.SAFEGUARDING_LEAD, subject="lead-1"
        )
        self.lead = system.client(ServiceName.CASES, Role.SAFEGUARDING_LEAD, subject="lead-1")
        self.admin = system.client(ServiceName.CASES, Role.ADMIN, subject="admin-1")
        self.admin_2 = system.client(ServiceName.CASES, Role.ADMIN, subject="admin-2")

    def caseworker(self, subject: str) -> httpx.Client:
        return self.system.client(ServiceName.CASES, Role.CASEWORKER, subject=subject)

    def inbox(self, subject: str) -> httpx.Client:
        return self.system.client(ServiceName.NOTIFICATIONS, Role.CASEWORKER, subject=subject)

    def close(self) -> None:
        for client in (self.outreach, self.visits_lead, self.lead, self.admin, self.admin_2):
            client.close()


def live_her_life(actors: Actors, premises_id: UUID, woman: Woman) -> None:
    """A visit (alias, an urgent concern about her), then her journey: registration, a
    caseworker, notes, consent and a referral sharing her data, and a break-glass."""
    visit = actors.outreach.post(
        "/visits",
        json={
            "visit_id": str(woman.visit_id),
            "premises_id": str(premises_id),
            "team": "west",
            "volunteers": ["vol-1"],
            "languages_offered": ["ro"],
            "started_at": at(0),
            "completed_at": at(1),
            "contacts": [
                {
                    "contact_id": str(woman.contact_id),
                    "alias": woman.markers["alias"],
                    "language": "ro",
                    "indicators": [{"indicator": "debt_bondage", "source": "disclosed"}],
                    "follow_up": {
                        "kind": "coffee",
                        "due_at": (NOW + timedelta(days=3)).isoformat(),
                    },
                }
            ],
            "urgent_concerns": [
                {
                    "concern": "violence",
                    "contact_id": str(woman.contact_id),
                    "details": woman.markers["concern"],
                }
            ],
        },
    )
    assert visit.status_code == 201, visit.text
    journey = f"/journeys/{woman.journey_id}"
    # Contact, indicator, follow-up and concern: all that outreach sent is on her journey
    # before casework begins (else a step races an upstream write: 409, reload and retry).
    wait_until(
        lambda: actors.lead.get(journey + "/timeline").json().get("total", 0) >= 4,
        message="her journey opened over NATS with what outreach learnt",
    )

    def step(path: str, body: dict[str, Any], client: httpx.Client = actors.lead) -> None:
        response = client.post(journey + path, json={"occurred_at": at(2), **body})
        assert response.status_code in (200, 201), f"{path}: {response.text}"

    step(
        "/registration",
        {
            "pseudonym": woman.markers["pseudonym"],
            "preferred_languages": ["ro"],
            "interpreter_needed": False,
        },
    )
    step("/caseworker", {"caseworker_id": woman.caseworker})
    mine = actors.caseworker(woman.caseworker)
    step("/needs-assessments", {"needs": ["housing"], "notes": woman.markers["needs"]}, mine)
    step(
        "/meetings",
        {"meeting_id": str(uuid4()), "meeting_type": "coffee", "notes": woman.markers["meeting"]},
        mine,
    )
    step(
        "/consents",
        {
            "consent_id": str(uuid4()),
            "scope": "share_with_partner",
            "partner": "housing_charity",
            "wording_version": "2026-03",
        },
        mine,
    )
    step(
        "/referrals",
        {
            "referral_id": str(uuid4()),
            "partner": "housing_charity",
            "need": "housing",
            "shares_personal_data": True,
            "respond_by": (NOW + timedelta(days=10)).isoformat(),
        },
        mine,
    )
    other = actors.caseworker("cw-stranger")
    glass = other.post(journey + "/break-glass", json={"reason": woman.markers["glass"]})
    assert glass.status_code == 201, glass.text
    for client in (mine, other):
        client.close()


def readable_markers(actors: Actors, woman: Woman) -> set[str]:
    """Her markers as the API shows them now (admin history with personal data included)."""
    shown = actors.visits_lead.get(f"/visits/{woman.visit_id}").text
    shown += actors.lead.get(f"/journeys/{woman.journey_id}").text
    history = actors.admin.get(
        f"/admin/aggregates/{woman.journey_id}/history", params={"personal": "true"}
    )
    assert history.status_code == 200, history.text
    shown += history.text
    return {marker for marker in woman.markers.values() if marker in shown}


def in_inbox(actors: Actors, woman: Woman) -> bool:
    with actors.inbox(woman.caseworker) as inbox:
        mine = {"recipient": f"user:{woman.caseworker}"}  # not the intake role's entries
        entries = inbox.get("/inbox", params=mine).json()["items"]
    return any(e["link"] == f"/journeys/{woman.journey_id}" for e in entries)


def contact_count(actors: Actors, premises_id: UUID, visit_id: UUID) -> int | None:
    """Her visit's contacts in the premises history; None while it is not listed yet."""
    page = actors.outreach.get(f"/premises/{premises_id}/history").json()
    counts = (int(v["contact_count"]) for v in page["items"] if v["visit_id"] == str(visit_id))
    return next(counts, None)


def every_byte(root: Path) -> list[tuple[Path, bytes]]:
    return [(path, path.read_bytes()) for path in sorted(root.rglob("*")) if path.is_file()]


def postgres_rows(url: str, prefix: str) -> list[str]:
    rows: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema LIKE %s AND table_type = 'BASE TABLE'",
            (prefix + "%",),
        ).fetchall()
        assert tables
        for schema, table in tables:
            query = SQL("SELECT row_to_json(t)::text FROM {}.{} t").format(
                Identifier(schema), Identifier(table)
            )
            rows += [str(row[0]) for row in conn.execute(query).fetchall()]
    return rows


def key_rows(system: System, subjects: list[UUID]) -> dict[str, Any]:
    """Each subject's row in the key stores of the services (wrapped_key NULL = tombstone)."""
    found: dict[str, Any] = {}
    wanted = {str(s) for s in subjects}
    if system.database_url:
        with psycopg.connect(system.database_url, autocommit=True) as conn:
            for service in ("cases", "visits"):
                query = SQL("SELECT subject_id, wrapped_key FROM {}.subject_keys").format(
                    Identifier(f"{system.schema_prefix}_{service}")
                )
                for subject, wrapped in conn.execute(query).fetchall():
                    if subject in wanted:
                        found[subject] = wrapped
        return found
    import sqlite3

    for service in ("cases", "visits"):
        with sqlite3.connect(system.var_dir / service / "keys.sqlite") as conn:
            for subject, wrapped in conn.execute(
                "SELECT subject_id, wrapped_key FROM subject_keys"
            ):
                if subject in wanted:
                    found[subject] = wrapped
    return found


def test_an_erased_woman_leaves_no_readable_byte_and_another_is_untouched(
    system: System,
) -> None:
    actors = Actors(system)
    premises_id = uuid4()
    registered = actors.outreach.post(
        "/premises",
        json={
            "premises_id": str(premises_id),
            "label": "E1-green-door",
            "area": "soho",
            "premises_type": "flat",
            "occurred_at": at(0),
        },
    )
    assert registered.status_code == 201, registered.text
    her, other = Woman("her"), Woman("other")
    live_her_life(actors, premises_id, her)
    live_her_life(actors, premises_id, other)

    # Before: her markers are all readable, and notifications about her reached her caseworker.
    assert readable_markers(actors, her) == set(her.markers.values())
    wait_until(lambda: in_inbox(actors, her), message="her caseworker told of her journey")
    # The premises history is visits' own projection, folded apart from what cases and
    # notifications did with her visit: wait for it rather than read it at once.
    wait_until(
        lambda: contact_count(actors, premises_id, her.visit_id) == 1,
        message="her contact in the premises history",
    )

    her_subjects = [her.journey_id, her.contact_id]
    wrapped_before = key_rows(system, her_subjects)
    assert all(wrapped_before.get(str(s)) for s in her_subjects)

    # Her caseworker asks; an admin cannot approve what she asked herself; another admin does.
    with actors.caseworker(her.caseworker) as mine:
        asked = mine.post(
            f"/journeys/{her.journey_id}/erasure-requests", json={"reason": "subject_request"}
        )
    assert asked.status_code == 201, asked.text
    pending = wait_until(
        lambda: actors.admin.get("/erasure-requests", params={"state": "pending"}).json()["items"],
        message="the request awaiting approval",
    )
    assert [p["journey_id"] for p in pending] == [str(her.journey_id)]
    approved = actors.admin.post(f"/erasure-requests/{her.journey_id}/approval")
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "erased"

    # Visits and notifications act on the contract: her alias reads <erased>, her contact has
    # left the premises' history, and her caseworker's inbox has forgotten her journey.
    wait_until(
        lambda: ERASED in actors.visits_lead.get(f"/visits/{her.visit_id}").text,
        message="visits destroyed her contact's key",
    )
    wait_until(
        lambda: contact_count(actors, premises_id, her.visit_id) == 0,
        message="visits purged her contact from its read model",
    )
    wait_until(lambda: not in_inbox(actors, her), message="her inbox entries purged")
    assert readable_markers(actors, her) == set()
    history = actors.admin.get(
        f"/admin/aggregates/{her.journey_id}/history", params={"personal": "true"}
    ).json()["events"]
    registered_event = next(e for e in history if e["type"] == "Journey.PersonRegistered")
    assert registered_event["data"]["pseudonym"] == ERASED
    assert [e["type"] for e in history][-1] == "Journey.PersonErased"
    # Her timeline is cases' own projection: visits and notifications having acted on her
    # erasure says nothing of whether it has folded it yet.
    wait_until(
        lambda: actors.lead.get(f"/journeys/{her.journey_id}/timeline").status_code == 404,
        message="her timeline gone",
    )
    refused = actors.lead.post(
        f"/journeys/{her.journey_id}/pseudonym-correction",
        json={"pseudonym": "again", "occurred_at": at(3)},
    )
    assert refused.status_code == 409, refused.text

    # The other woman is untouched.
    assert readable_markers(actors, other) == set(other.markers.values())
    assert in_inbox(actors, other)
    assert contact_count(actors, premises_id, other.visit_id) == 1

    # Her keys are tombstones in both key stores; the other woman's are not.
    keys = key_rows(system, [her.journey_id, her.contact_id, other.journey_id, other.contact_id])
    assert keys[str(her.journey_id)] is None and keys[str(her.contact_id)] is None
    assert keys[str(other.journey_id)] is not None and keys[str(other.contact_id)] is not None
    actors.close()

    # Everything written, at rest: not one of her markers anywhere; the other's stay sealed.
    system.stop()
    files = every_byte(system.root)
    assert any("nats" in str(p) for p, _ in files) and any(p.suffix == ".log" for p, _ in files)
    for marker in her.markers.values():
        leaked = [str(p) for p, data in files if marker.encode() in data]
        assert not leaked, f"{marker} found in {leaked}"
    # Nor her old wrapped keys: secure_delete and the WAL checkpoint leave no copy behind
    # (on PostgreSQL the database's own files are not ours to read: see the row scan below).
    for wrapped in wrapped_before.values():
        leaked = [str(p) for p, data in files if str(wrapped).encode() in data]
        assert not leaked, f"her old wrapped key found in {leaked}"
    # Everyone's free text is sealed at rest: the other woman's markers are not in plaintext.
    for marker in other.markers.values():
        assert not [p for p, data in files if marker.encode() in data], marker
    if system.database_url:
        assert system.schema_prefix is not None
        rows = postgres_rows(system.database_url, system.schema_prefix)
        text = "\n".join(rows)
        for marker in her.markers.values():
            assert marker not in text, f"{marker} found in a PostgreSQL row"
        assert json.dumps(str(other.journey_id))[1:-1] in text
