"""``due_items``: what is coming up on each journey — appointments, follow-ups offered on a
visit, goal target dates, safety-plan reviews and the end of a recovery period.

Items of closed or merged journeys are kept (a reopened journey gets them back) and filtered out
when read, by joining the ``caseload`` read model of the same views store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Unpack
from uuid import UUID, uuid5

from eventsourcing.domain import DomainEventProtocol

from services.cases.domain import Journey
from services.cases.queries.tables import (
    Visibility,
    add_later_columns,
    forget_journey,
    joined_tables,
    refresh_due_order,
)
from services.cases.values import JourneyStatus
from shared.storage.pages import PageWindow, later_than
from shared.storage.projection import Projection, handler
from shared.storage.sql import SqlCursor, SqlStore, Where, from_sql_time, to_sql_time

OPEN, DONE, CANCELLED = "open", "done", "cancelled"
#: An item's place in the due list: (due time as stored, item id).
DueKey = tuple[str, str]
_LIST_ORDER = "d.due_at, d.item_id"
_RECOVERY_NAMESPACE = UUID("a8c3f1e2-5d7b-4c1a-9e6f-3b2d1c0e9f8a")
#: The state an item is left in by the event that ends it.
_ENDED_AS: dict[type[object], str] = {
    Journey.AppointmentCancelled: CANCELLED,
    Journey.AppointmentAttended: DONE,
    Journey.GoalAchieved: DONE,
    Journey.GoalDropped: CANCELLED,
}


@dataclass(frozen=True)
class DueItem:
    item_id: UUID
    journey_id: UUID
    kind: str
    code: str | None
    due_at: datetime
    caseworker_id: str | None
    #: Its place in the list (due time, item id), for the cursor of a page ending with it.
    list_key: DueKey | None = field(default=None, compare=False, repr=False)


def _day(value: date) -> datetime:
    return datetime.combine(value, time(9, 0), tzinfo=UTC)


class DueItems(Projection):
    name = "due_items"

    def __init__(self, app: Any, store: SqlStore, *args: Any, **kwargs: Any) -> None:
        add_later_columns(store)
        super().__init__(app, store, *args, **kwargs)

    def create_statements(self) -> list[str]:
        return joined_tables(self.store)

    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        super().apply(cursor, event)
        # The caseload lists journeys by what is due next: this read model keeps that current.
        # A rebuilt one leaves the caseload to the live one until it goes live itself.
        if not self.rebuilding:
            refresh_due_order(self.store, cursor, str(event.originator_id))

    def before_going_live(self, cursor: SqlCursor) -> None:
        # Built to the head under the swap's locks: every journey's due order from it, at once.
        refresh_due_order(self.store, cursor)

    @handler
    def _erased(self, event: Journey.PersonErased, cursor: SqlCursor) -> None:
        forget_journey(self.store, cursor, self.name, event.originator_id)

    @handler
    def _scheduled(self, event: Journey.AppointmentScheduled, cursor: SqlCursor) -> None:
        self._add(cursor, event.appointment_id, event, "appointment", event.kind, event.at)

    @handler
    def _follow_up(self, event: Journey.FollowUpNoted, cursor: SqlCursor) -> None:
        self._add(cursor, event.follow_up_id, event, "follow_up", event.kind, event.due_at)

    @handler
    def _goal(self, event: Journey.GoalSet, cursor: SqlCursor) -> None:
        if event.target_on is not None:
            self._add(
                cursor, event.goal_id, event, "goal_target", event.goal, _day(event.target_on)
            )

    @handler
    def _safety_plan(self, event: Journey.SafetyPlanAgreed, cursor: SqlCursor) -> None:
        review = _day(event.review_on)
        self._add(cursor, event.plan_id, event, "safety_plan_review", None, review)

    @handler
    def _recovery_period(self, event: Journey.RecoveryPeriodStarted, cursor: SqlCursor) -> None:
        item = uuid5(_RECOVERY_NAMESPACE, str(event.originator_id))
        self._add(cursor, item, event, "recovery_period_end", None, _day(event.ends_on))

    @handler
    def _moved(self, event: Journey.AppointmentMoved, cursor: SqlCursor) -> None:
        self._update(cursor, event.appointment_id, "due_at", to_sql_time(event.at))

    @handler
    def _appointment_ended(
        self, event: Journey.AppointmentCancelled | Journey.AppointmentAttended, cursor: SqlCursor
    ) -> None:
        self._update(cursor, event.appointment_id, "state", _ENDED_AS[type(event)])

    @handler
    def _goal_ended(
        self, event: Journey.GoalAchieved | Journey.GoalDropped, cursor: SqlCursor
    ) -> None:
        self._update(cursor, event.goal_id, "state", _ENDED_AS[type(event)])

    def _add(
        self,
        cursor: SqlCursor,
        item: UUID,
        event: DomainEventProtocol[UUID],
        kind: str,
        code: str | None,
        due_at: datetime,
    ) -> None:
        cursor.execute(
            f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (item_id) DO UPDATE SET due_at = excluded.due_at",
            (str(item), str(event.originator_id), kind, code, to_sql_time(due_at), OPEN),
        )

    def _update(self, cursor: SqlCursor, item: UUID, column: str, value: str) -> None:
        cursor.execute(
            f"UPDATE {self.table} SET {column} = %s WHERE item_id = %s",
            (value, str(item)),
        )

    def coming_up(
        self,
        *,
        caseworker_id: str | None = None,
        visible_to: Visibility | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
        **window: Unpack[PageWindow],
    ) -> tuple[list[DueItem], int | None]:
        """Open items of open journeys, soonest first; from just after ``after_key`` when given."""
        table, caseload = self.table, self.store.table("caseload")
        where = Where(
            "d.state = %s",
            "c.status NOT IN (%s, %s)",
            params=[OPEN, JourneyStatus.CLOSED.value, JourneyStatus.MERGED.value],
        )
        if caseworker_id:
            where.add("c.caseworker_id = %s", caseworker_id)
        if visible_to is not None:
            condition, more = visible_to.condition("c")
            where.add(condition, *more)
        if after is not None:
            where.add("d.due_at >= %s", to_sql_time(after))
        if before is not None:
            where.add("d.due_at < %s", to_sql_time(before))
        rows, total = self.keyset_page(
            window,
            select="SELECT d.*, c.caseworker_id",
            source=f"FROM {table} d JOIN {caseload} c ON c.journey_id = d.journey_id WHERE {where}",
            params=where.params,
            order=_LIST_ORDER,
            after=later_than(_LIST_ORDER),
        )
        return [
            DueItem(
                item_id=UUID(str(r["item_id"])),
                journey_id=UUID(str(r["journey_id"])),
                kind=str(r["kind"]),
                code=None if r["code"] is None else str(r["code"]),
                due_at=from_sql_time(r["due_at"], row=r["item_id"]),
                caseworker_id=None if r["caseworker_id"] is None else str(r["caseworker_id"]),
                list_key=(str(r["due_at"]), str(r["item_id"])),
            )
            for r in rows
        ], total
