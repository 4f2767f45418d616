"""``waymark verify visits``: the premises history against every visit folded from its events."""

from __future__ import annotations

from services.visits.application import VisitsApplication
from services.visits.domain import Visit
from services.visits.erasure import ContactErasure
from services.visits.queries.premises_history.projection import PremisesHistory
from shared.admin.verify import Difference, compare_rows, fold, versions_at
from shared.storage.sql import to_sql_time


def verify_premises_history(app: VisitsApplication, history: PremisesHistory) -> list[Difference]:
    position = history.position()
    expected = {}
    # Visits only: an erasure record is not a visit (it removes contact rows, not visit rows).
    visit_events = [c for c in history.event_classes if c is not ContactErasure.Recorded]
    for visit_id, version in versions_at(app, position, visit_events).items():
        visit: Visit = fold(app, visit_id, version)
        expected[str(visit_id)] = {
            "premises_id": None if visit.premises_id is None else str(visit.premises_id),
            "started_at": to_sql_time(visit.started_at),
            "completed_at": None if visit.completed_at is None else to_sql_time(visit.completed_at),
            "outcome": visit.outcome,
        }
    rows = history.store.rows(
        "SELECT visit_id, premises_id, started_at, completed_at, outcome"
        f" FROM {history.store.table('premises_history_visits')}"
    )
    found = {str(row["visit_id"]): row for row in rows}
    return list(compare_rows(history, expected, found))
