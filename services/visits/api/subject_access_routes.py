"""``GET /subject-access/{journey_id}``: what visits holds about one woman (admin only)."""

from __future__ import annotations

from functools import partial

from services.visits.api.deps import ReadModels, Visits
from services.visits.subject_access import subject_access
from shared.http.subject_access_routes import Exporter, subject_access_router


async def _exporter(visits: Visits, read_models: ReadModels) -> Exporter:
    return partial(subject_access, visits, read_models.subject_contacts)


router = subject_access_router(
    _exporter, summary="Subject access export: her contacts and the facts about her on each visit"
)
