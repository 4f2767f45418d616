"""``waymark verify cases``: the caseload against every journey folded from its events."""

from __future__ import annotations

from services.cases.application import CasesApplication
from services.cases.domain import Journey
from services.cases.queries.caseload.projection import Caseload
from shared.admin.verify import Difference, compare_rows, fold, versions_at


def verify_caseload(app: CasesApplication, caseload: Caseload) -> list[Difference]:
    position = caseload.position()
    expected = {}
    for journey_id, version in versions_at(app, position, caseload.event_classes).items():
        journey: Journey = fold(app, journey_id, version)
        if journey.erased:  # the caseload forgets an erased woman: no row is expected
            continue
        expected[str(journey_id)] = {
            "status": journey.status.value,
            "version": journey.version,
            "contact_count": len(journey.contacts),
            "caseworker_id": journey.caseworker_id,
        }
    with caseload.store.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT journey_id, status, version, contact_count, caseworker_id"
            f" FROM {caseload.store.table(caseload.name)}"
        )
        found = {
            str(row["journey_id"]): {
                **row,
                "version": int(row["version"]),
                "contact_count": int(row["contact_count"]),
            }
            for row in cursor.fetchall()
        }
    return list(compare_rows(caseload, expected, found))
