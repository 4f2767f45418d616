"""``GET /subject-access/{journey_id}``: what cases holds about one woman (admin only).

A read, but not without a trace: besides the audit entry every request gets, the export is
recorded on her journey (``Journey.SubjectAccessFulfilled``, ids only), so her own timeline
shows when her data was exported and by whom. An erased journey answers 410 and records
nothing (the audit entry is the trace): writing to it would bring her timeline back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from services.cases.api.deps import Cases
from services.cases.application import CasesApplication
from services.cases.errors import JourneyErased
from services.cases.subject_access import record_fulfilment, subject_access
from shared.http.deps import RuntimeDep
from shared.http.problems import Problem
from shared.http.subject_access_routes import Exporter, subject_access_router
from shared.storage.sql import SqlStore


def _export(
    cases: CasesApplication, views: SqlStore, journey_id: UUID, *, reader: str
) -> dict[str, Any]:
    now = datetime.now(UTC)
    try:
        exported = subject_access(cases, views, journey_id, reader=reader, now=now)
    except JourneyErased:
        raise Problem(
            410,
            "subject-erased",
            "Her personal data has been erased",
            "Her keys were destroyed on erasure: nothing readable about her is held here.",
        ) from None
    request_id = uuid4()
    record_fulfilment(cases, journey_id, request_id, reader, now)
    exported["request_id"] = str(request_id)
    return exported


async def _exporter(cases: Cases, runtime: RuntimeDep) -> Exporter:
    return partial(_export, cases, runtime.stores.views)


router = subject_access_router(
    _exporter,
    summary="Subject access export: her journey, its events and read-model rows",
    responses={
        404: {"description": "No such journey"},
        410: {"description": "Her personal data was erased: nothing readable is held"},
    },
)
