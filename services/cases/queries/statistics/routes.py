"""``GET /statistics``: anonymised monthly counts for managers, small cells suppressed.

Every count below ``K_ANONYMITY`` (11, CTDC practice) is published as ``null`` with
``suppressed: true``; a (measure, month) group with exactly one such cell has its next-smallest
cell suppressed too, and no totals are published (``projection.py`` beside this module).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.cases.api.deps import ReadModels
from services.cases.api.journey_access import JourneyAccess
from services.cases.queries.statistics.projection import K_ANONYMITY, Statistics, StatisticsCell
from shared.http.problems import Problem

router = APIRouter(tags=["statistics"], dependencies=[JourneyAccess])

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


async def get_statistics(read_models: ReadModels) -> Statistics:
    return read_models.statistics


StatisticsView = Annotated[Statistics, Depends(get_statistics)]


class StatisticsCellPublic(BaseModel):
    measure: str
    month: str
    code: str
    count: int | None
    suppressed: bool

    @classmethod
    def of(cls, cell: StatisticsCell) -> StatisticsCellPublic:
        return cls(**cell.__dict__)


class StatisticsPage(BaseModel):
    k_anonymity: int
    items: list[StatisticsCellPublic]


@router.get(
    "/statistics",
    response_model=StatisticsPage,
    summary="Anonymised counts by month, need, referral outcome, exit and closure",
    description=f"Counts below {K_ANONYMITY} are null and `suppressed`; a group (measure and "
    "month) with one such cell has a second suppressed, so none can be found by subtraction. "
    "No totals. A projection: it may lag a write.",
)
def statistics(
    view: StatisticsView,
    first: Annotated[str, Query(alias="from", pattern=_MONTH, description="YYYY-MM")],
    last: Annotated[str, Query(alias="to", pattern=_MONTH, description="YYYY-MM")],
) -> StatisticsPage:
    if first > last:
        raise Problem(422, "invalid-month-range", "Invalid month range", "`from` is after `to`.")
    return StatisticsPage(
        k_anonymity=K_ANONYMITY,
        items=[StatisticsCellPublic.of(cell) for cell in view.published(first, last)],
    )
