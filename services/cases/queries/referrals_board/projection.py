"""``referrals_board``: every referral by partner and status, those overdue first.

It also supplies the candidates for expiry (``overdue``): referrals still waiting for a response
whose respond-by time has passed. The journey itself decides; this read model may lag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Unpack
from uuid import UUID

from services.cases.domain import Journey
from services.cases.journey import ReferralStep
from services.cases.queries.tables import Visibility, forget_journey
from services.cases.values import ReferralStatus
from shared.storage.pages import Condition, PageWindow
from shared.storage.projection import Projection, handler
from shared.storage.sql import SqlCursor, Where, from_sql_time, to_sql_time

AWAITING_RESPONSE = (ReferralStatus.MADE.value, ReferralStatus.ACKNOWLEDGED.value)
#: A card's place on the board: (1 if overdue else 0, respond-by as stored, referral id).
BoardKey = tuple[int, str, str]


@dataclass(frozen=True)
class ReferralCard:
    referral_id: UUID
    journey_id: UUID
    partner: str
    need: str
    status: str
    shares_personal_data: bool
    made_at: datetime
    respond_by: datetime
    updated_at: datetime
    overdue: bool
    #: Its place on the board (overdue, respond-by as stored, id), for a page's cursor.
    list_key: BoardKey | None = field(default=None, compare=False, repr=False)


class ReferralsBoard(Projection):
    name = "referrals_board"

    columns = (
        "referral_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, partner TEXT NOT NULL,"
        " need TEXT NOT NULL, status TEXT NOT NULL, shares_personal_data INTEGER NOT NULL,"
        " made_at TEXT NOT NULL, respond_by TEXT NOT NULL, updated_at TEXT NOT NULL,"
        " journey_merged INTEGER NOT NULL"
    )
    indexes = {
        "referrals_board_by_partner": "partner, status, respond_by",
        "referrals_board_by_respond_by": "status, respond_by",
        # The board's order after "overdue first", for keyset pages.
        "referrals_board_list_order": "respond_by, referral_id",
    }

    @handler
    def _made(self, event: Journey.ReferralMade, cursor: SqlCursor) -> None:
        cursor.execute(
            f"INSERT INTO {self.table}"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0)"
            " ON CONFLICT (referral_id) DO NOTHING",
            (
                str(event.referral_id),
                str(event.originator_id),
                event.partner,
                event.need,
                ReferralStatus.MADE.value,
                int(event.shares_personal_data),
                to_sql_time(event.occurred_at),
                to_sql_time(event.respond_by),
                to_sql_time(event.occurred_at),
            ),
        )

    @handler
    def _erased(self, event: Journey.PersonErased, cursor: SqlCursor) -> None:
        forget_journey(self.store, cursor, self.name, event.originator_id)

    @handler
    def _merged(self, event: Journey.MergedInto, cursor: SqlCursor) -> None:
        # Its referrals stay on the board (a caseworker must see them), but no longer
        # expire by themselves: the merged journey takes no commands.
        cursor.execute(
            f"UPDATE {self.table} SET journey_merged = 1 WHERE journey_id = %s",
            (str(event.originator_id),),
        )

    @handler
    def _status(self, event: ReferralStep, cursor: SqlCursor) -> None:
        cursor.execute(
            f"UPDATE {self.table} SET status = %s, updated_at = %s WHERE referral_id = %s",
            (event.reaches.value, to_sql_time(event.occurred_at), str(event.referral_id)),
        )

    def board(
        self,
        now: datetime,
        *,
        partner: str | None = None,
        status: str | None = None,
        visible_to: Visibility | None = None,
        **window: Unpack[PageWindow],
    ) -> tuple[list[ReferralCard], int | None]:
        """Overdue first, then by the date a response is due; from just after ``after_key``."""
        table = self.table
        where = Where()
        if visible_to is not None:
            condition, more = visible_to.journeys(self.store.table("caseload"))
            where.add(condition, *more)
        if partner:
            where.add("partner = %s", partner)
        if status:
            where.add("status = %s", status)
        overdue = "(status IN (%s, %s) AND respond_by < %s)"
        overdue_params = [*AWAITING_RESPONSE, to_sql_time(now)]

        def after(key: Sequence[Any]) -> Condition:
            was_overdue, respond_by, referral_id = key
            later = "(respond_by, referral_id) > (%s, %s)"
            if was_overdue:
                return f"(({overdue} AND {later}) OR NOT {overdue})", [
                    *overdue_params,
                    respond_by,
                    referral_id,
                    *overdue_params,
                ]
            return f"NOT {overdue} AND {later}", [*overdue_params, respond_by, referral_id]

        rows, total = self.keyset_page(
            window,
            select=f"SELECT *, {overdue} AS overdue",
            source=f"FROM {table} WHERE {where}",
            params=where.params,
            order=f"{overdue} DESC, respond_by, referral_id",
            after=after,
            select_params=overdue_params,
            order_params=overdue_params,
        )
        return [_card(row) for row in rows], total

    def overdue(self, now: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        """(journey id, referral id) of referrals awaiting a response past their date."""
        with self.store.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT journey_id, referral_id FROM {self.table}"
                " WHERE status IN (%s, %s) AND respond_by < %s AND journey_merged = 0"
                " ORDER BY respond_by, referral_id LIMIT %s",
                (*AWAITING_RESPONSE, to_sql_time(now), limit),
            )
            rows = cursor.fetchall()
        return [(UUID(str(r["journey_id"])), UUID(str(r["referral_id"]))) for r in rows]


def _card(row: dict[str, object]) -> ReferralCard:
    referral = row["referral_id"]
    return ReferralCard(
        referral_id=UUID(str(row["referral_id"])),
        journey_id=UUID(str(row["journey_id"])),
        partner=str(row["partner"]),
        need=str(row["need"]),
        status=str(row["status"]),
        shares_personal_data=bool(row["shares_personal_data"]),
        made_at=from_sql_time(row["made_at"], row=referral),
        respond_by=from_sql_time(row["respond_by"], row=referral),
        updated_at=from_sql_time(row["updated_at"], row=referral),
        overdue=bool(row["overdue"]),
        list_key=(int(bool(row["overdue"])), str(row["respond_by"]), str(referral)),
    )
