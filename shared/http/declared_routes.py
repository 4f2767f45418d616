"""Routes declared once for many commands, with the signature a hand-written route would have.

FastAPI reads a route's parameters from its signature to build its dependencies and its OpenAPI
description. A service whose command routes differ only in path, body and command declares them
through one function (cases' ``journey_command``, visits' ``visit_step``); that function writes the
signature here, so what FastAPI reads and documents is what each route would have spelt out."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter

from shared.threads import in_thread

_PATH_ID = re.compile(r"{(\w+)}")
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def path_ids(path: str, *, but: str | None = None) -> list[inspect.Parameter]:
    """The ids a path names, in the path's order (``/journeys/{journey_id}/goals/{goal_id}``),
    as route parameters, leaving out ``but`` (an id another dependency reads)."""
    return [param(name, UUID) for name in _PATH_ID.findall(path) if name != but]


def declare_post(
    router: APIRouter,
    path: str,
    route: Callable[..., Any],
    *,
    named_after: type,
    parameters: list[inspect.Parameter],
    returns: type,
    **decorator: Any,
) -> None:
    """``POST path`` answered by ``route``, named after the command it records (``SetGoal``:
    ``set_goal``, its operation id), with ``parameters`` as the signature FastAPI reads.

    ``route`` is synchronous (it calls the store) and runs in one hop to a worker thread from an
    ``async`` endpoint: FastAPI validates a plain ``def`` route's answer in a second hop."""

    async def endpoint(**values: Any) -> Any:
        return await in_thread(functools.partial(route, **values))

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=returns
    )
    endpoint.__name__ = endpoint.__qualname__ = _WORD_START.sub("_", named_after.__name__).lower()
    router.post(path, **decorator)(endpoint)


def param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    """One parameter of a declared route, passed by name as FastAPI passes them."""
    return inspect.Parameter(
        name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation, default=default
    )
