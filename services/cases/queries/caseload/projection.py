"""``caseload``: every journey with its status, caseworker, last contact and what is due next.

"My caseload" is this read model filtered by caseworker. "What is due" is the earliest open item
of the ``due_items`` read model, joined when read (both live in the same views store). The
intake queue (``GET /journeys/intake``) is the same table read another way: the open journeys
nobody holds, oldest first. ``caseload_contacts`` keeps every contact id outreach knew her by,
so a journey can be found from a visit's contact.

This module is what each journey event writes; how the lists read it is ``lists.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import singledispatchmethod
from typing import Any, TypeAlias
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.cases.domain import JOURNEY_EVENTS, Journey
from services.cases.journey import STATUS_AFTER, StatusStep
from services.cases.queries.caseload.lists import CaseloadLists, codes, stored_time
from services.cases.queries.tables import (
    NO_CONTACT,
    NOTHING_DUE,
    contact_order,
    forget_journey,
    refresh_due_order,
)
from services.cases.values import JourneyStatus
from shared.storage.sql import SqlCursor, to_sql_time, write_row

ReferralClosing: TypeAlias = (
    Journey.ReferralDeclined
    | Journey.ReferralCompleted
    | Journey.ReferralWithdrawn
    | Journey.ReferralExpired
)
#: The columns an event sets on her row; None when it adds or removes the row itself.
Changes = dict[str, object] | None


def _preferences(
    event: Journey.PersonRegistered | Journey.LanguagePreferencesChanged,
) -> dict[str, object]:
    return {
        "preferred_languages": json.dumps(list(event.preferred_languages)),
        "interpreter_needed": int(event.interpreter_needed),
    }


class Caseload(CaseloadLists):
    """What each journey event writes into her row of the caseload (how it is read, and its
    tables: ``CaseloadLists``)."""

    event_classes = JOURNEY_EVENTS
    #: Codes, counts and times only: its batches are decoded without opening personal fields.
    reads_personal_fields = False

    def before_going_live(self, cursor: SqlCursor) -> None:
        # The due items are the live read model's, which went on changing while the shadow was
        # built: read them as they are now, in the transaction that swaps the shadow in.
        refresh_due_order(self.store, cursor)

    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        changes = self.changes(event, cursor)
        if changes is not None:
            changes["version"] = event.originator_version
            self._set(cursor, event.originator_id, changes)

    def apply_all(self, cursor: SqlCursor, events: Sequence[DomainEventProtocol[UUID]]) -> None:
        """The columns a batch's events set on her row are written once per run of her events
        (later values win, as they would one by one). An event that runs statements of its
        own writes what is pending for her row first, so every statement sees the row as it
        would have event by event."""
        pending: dict[UUID, dict[str, object]] = {}
        for event in events:
            journey = event.originator_id
            if type(event) not in _SETS_COLUMNS_ONLY and journey in pending:
                self._set(cursor, journey, pending.pop(journey))
            # The handler straight from the dispatch table: ``self.changes`` builds a new
            # bound wrapper on every access, which cost as much as many a handler.
            changes = _handler(type(event))(self, event, cursor)
            if changes is None:  # the row itself was added or removed
                continue
            row = pending.setdefault(journey, {})
            row.update(changes)
            row["version"] = event.originator_version
        for journey, changes in pending.items():
            self._set(cursor, journey, changes)

    def _set(self, cursor: SqlCursor, journey: UUID, changes: dict[str, object]) -> None:
        assignments = ", ".join(f"{column} = %s" for column in changes)
        cursor.execute(
            f"UPDATE {self.table} SET {assignments} WHERE journey_id = %s",
            (*changes.values(), str(journey)),
        )

    @singledispatchmethod
    def changes(self, event: DomainEventProtocol[UUID], cursor: SqlCursor) -> Changes:
        """The columns an event sets on her row (its version at least); None when the event
        adds or removes the row itself."""
        return {}

    @changes.register
    def _opened(
        self, event: Journey.Opened | Journey.OpenedAtRegistration, cursor: SqlCursor
    ) -> Changes:
        journey = str(event.originator_id)
        row = {
            "journey_id": journey,
            "status": JourneyStatus.NEW.value,
            "registered": 0,
            "caseworker_id": None,
            "possible_minor": 0,
            "opened_at": to_sql_time(event.occurred_at),
            "last_contact_at": None,
            "contact_count": 0,
            "open_referrals": 0,
            "version": event.originator_version,
            "team_id": None,
            "opened_by": event.actor,
            "languages": "[]",
            "preferred_languages": "[]",
            "interpreter_needed": 0,
            "urgent_concerns": 0,
            "contact_order": NO_CONTACT,
            "due_order": NOTHING_DUE,
        }
        write_row(cursor, self.table, row, key="journey_id")
        # Live, her due items may have come first (another read model). A rebuild sets every
        # journey's at once as it goes live instead (``before_going_live``).
        if not self.rebuilding:
            refresh_due_order(self.store, cursor, journey)
        if isinstance(event, Journey.Opened):  # she was met on a visit, by this contact
            self._add_contact(cursor, journey, event.contact_id)
        return None

    @changes.register
    def _erased(self, event: Journey.PersonErased, cursor: SqlCursor) -> Changes:
        for table in self.tables:
            forget_journey(self.store, cursor, table, event.originator_id)
        return None

    @changes.register
    def _contact(self, event: Journey.ContactRecorded, cursor: SqlCursor) -> Changes:
        journey, occurred_at = str(event.originator_id), to_sql_time(event.occurred_at)
        cursor.execute(
            f"UPDATE {self.table} SET contact_count = contact_count + 1,"
            " last_contact_at = CASE WHEN last_contact_at IS NULL OR last_contact_at < %s"
            " THEN %s ELSE last_contact_at END WHERE journey_id = %s"
            " RETURNING last_contact_at, languages",
            (occurred_at, occurred_at, journey),
        )
        row = cursor.fetchone()
        self._add_contact(cursor, journey, event.contact_id)
        if row is None:
            return {}
        changes: dict[str, object] = {
            "contact_order": contact_order(stored_time(row["last_contact_at"], journey))
        }
        spoken = codes(row["languages"])
        if event.language not in spoken:
            changes["languages"] = json.dumps([*spoken, event.language])
        return changes

    @changes.register
    def _linked(self, event: Journey.ContactLinked, cursor: SqlCursor) -> Changes:
        self._add_contact(cursor, str(event.originator_id), event.contact_id)
        return {}

    @changes.register
    def _concern(self, event: Journey.ConcernNoted, cursor: SqlCursor) -> Changes:
        cursor.execute(
            f"UPDATE {self.table}"
            " SET urgent_concerns = COALESCE(urgent_concerns, 0) + 1 WHERE journey_id = %s",
            (str(event.originator_id),),
        )
        return {"possible_minor": 1} if event.concern == "possible_minor" else {}

    @changes.register
    def _registered(self, event: Journey.PersonRegistered, cursor: SqlCursor) -> Changes:
        return {"registered": 1, **_preferences(event)}

    @changes.register
    def _preferences_changed(
        self, event: Journey.LanguagePreferencesChanged, cursor: SqlCursor
    ) -> Changes:
        return _preferences(event)

    @changes.register
    def _caseworker(self, event: Journey.CaseworkerAssigned, cursor: SqlCursor) -> Changes:
        return {"caseworker_id": event.caseworker_id, "team_id": event.team_id}

    @changes.register
    def _minor_marked(self, event: Journey.PossibleMinorMarked, cursor: SqlCursor) -> Changes:
        return {"possible_minor": 1}

    @changes.register
    def _minor_cleared(self, event: Journey.PossibleMinorCleared, cursor: SqlCursor) -> Changes:
        return {"possible_minor": 0}

    @changes.register
    def _status(self, event: StatusStep, cursor: SqlCursor) -> Changes:
        return {"status": STATUS_AFTER[type(event)].value}

    @changes.register
    def _referral_opened(self, event: Journey.ReferralMade, cursor: SqlCursor) -> Changes:
        return self._open_referrals(cursor, event, 1)

    @changes.register
    def _referral_closed(self, event: ReferralClosing, cursor: SqlCursor) -> Changes:
        return self._open_referrals(cursor, event, -1)

    def _open_referrals(
        self, cursor: SqlCursor, event: DomainEventProtocol[UUID], step: int
    ) -> Changes:
        cursor.execute(
            f"UPDATE {self.table} SET open_referrals = open_referrals + %s WHERE journey_id = %s",
            (step, str(event.originator_id)),
        )
        return {}

    def _add_contact(self, cursor: SqlCursor, journey: str, contact_id: UUID) -> None:
        row = {"contact_id": str(contact_id), "journey_id": journey}
        write_row(cursor, self.store.table("caseload_contacts"), row, key="contact_id, journey_id")


#: The events whose ``changes`` run no statement (plain column values, or only the version).
_DISPATCH = Caseload.__dict__["changes"].dispatcher
_SETS_COLUMNS_ONLY: frozenset[type[object]] = frozenset(
    cls
    for cls in JOURNEY_EVENTS
    if _DISPATCH.dispatch(cls)
    in {
        _DISPATCH.dispatch(object),
        Caseload._registered,
        Caseload._preferences_changed,
        Caseload._caseworker,
        Caseload._minor_marked,
        Caseload._minor_cleared,
        Caseload._status,
    }
)


#: The events of which the caseload reads only the version (e.g. a meeting, an assessment).
Caseload.reads_only_position = frozenset(
    cls for cls in JOURNEY_EVENTS if _DISPATCH.dispatch(cls) is _DISPATCH.dispatch(object)
)

_handlers: dict[type[object], Any] = {}


def _handler(event_class: type[object]) -> Any:
    handler = _handlers.get(event_class)
    if handler is None:
        handler = _handlers[event_class] = _DISPATCH.dispatch(event_class)
    return handler
