"""The audit log, for auditors: who did what to which record, and whether the chain holds.

These reads are themselves audited (the middleware records them like any other call).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.http.deps import RuntimeDep
from shared.http.times import SearchTime
from shared.security.audit import AuditRecord, OutcomeClass
from shared.threads import in_thread

router = APIRouter(prefix="/audit", tags=["audit"])

#: Beyond what any database driver takes as an OFFSET, and beyond any audit log.
MAX_OFFSET = 2**31 - 1

#: What a text filter may hold: ids (a staff id may hold "|"), codes and route templates.
FILTER = r"[A-Za-z0-9._:@|/{} -]{1,200}"
Filter = Annotated[str | None, Query(pattern=f"^{FILTER}$")]


def _as_json(record: AuditRecord) -> dict[str, Any]:
    entry = record.entry
    return {
        "seq": record.seq,
        "at": record.at.isoformat(),
        "service": entry.service,
        "actor": entry.actor,
        "roles": list(entry.roles),
        "action": entry.action,
        "record_type": entry.record_type,
        "record_id": entry.record_id,
        "outcome": entry.outcome,
        "purpose": entry.purpose,
        "details": dict(entry.details),
        "hash": record.hash,
    }


@router.get(
    "",
    summary="Audit entries, oldest first (or newest first), filtered by who, what, which "
    "record, outcome, when",
)
async def audit_entries(
    runtime: RuntimeDep,
    actor: Filter = None,
    record_id: Filter = None,
    record_type: Filter = None,
    action: Filter = None,
    since: Annotated[SearchTime | None, Query(description="ISO 8601 with a time zone")] = None,
    until: Annotated[SearchTime | None, Query(description="ISO 8601 with a time zone")] = None,
    outcome: Annotated[
        OutcomeClass | None,
        Query(description="served (status < 400), refused (4xx) or failed (5xx)"),
    ] = None,
    newest_first: Annotated[bool, Query(description="Newest entries first")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    records, total = await in_thread(
        lambda: runtime.stores.audit.query(
            actor=actor,
            record_id=record_id,
            record_type=record_type,
            action=action,
            since=since,
            until=until,
            outcome=outcome,
            limit=limit,
            offset=offset,
            newest_first=newest_first,
        )
    )
    return {"total": total, "items": [_as_json(record) for record in records]}


@router.get("/verify", summary="Re-compute the hash chain: is every entry as it was written?")
async def verify_audit_chain(runtime: RuntimeDep) -> dict[str, Any]:
    check = await in_thread(runtime.stores.audit.verify)
    return {
        "intact": check.intact,
        "checked": check.checked,
        "first_broken_seq": check.first_broken_seq,
        "reason": check.reason,
    }
