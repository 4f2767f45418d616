"""``GET /subject-access/{journey_id}``: every service's route for its part of her export.

The path, the tag, the audit purpose (``SubjectAccessRead``) and who reads her personal fields
(the admin asking) are the same in every service; what a service holds about her, and how it
gathers it, is its own: it gives the route an ``Exporter`` through a dependency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from uuid import UUID

from fastapi import APIRouter, Depends

from shared.admin.subject_access import SubjectAccessRead
from shared.http.deps import CurrentPrincipal


class Exporter(Protocol):
    """Gathers one service's part of her export, her personal fields read as ``reader``."""

    def __call__(self, journey_id: UUID, *, reader: str) -> dict[str, Any]: ...


def subject_access_router(
    exporter: Callable[..., Awaitable[Exporter]],
    *,
    summary: str,
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> APIRouter:
    """The export route, its ``Exporter`` given by the dependency ``exporter``."""
    router = APIRouter(tags=["subject access"], dependencies=[SubjectAccessRead])

    @router.get("/subject-access/{journey_id}", summary=summary, responses=responses)
    def export(
        journey_id: UUID,
        principal: CurrentPrincipal,
        # A default, not ``Annotated``: FastAPI reads the (string) annotations among the
        # module's names, and ``exporter`` is a name of this call only.
        gather: Exporter = Depends(exporter),  # noqa: B008 - see above
    ) -> dict[str, Any]:
        return gather(journey_id, reader=principal.subject)

    return router
