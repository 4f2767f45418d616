"""A visit input or step that names the ``Visit`` method recording it (``records``) is applied
by passing its own fields by name, then what its ``apply_to`` is given besides the visit (the
contact, the actor): each such method must take exactly those parameters, with the same types,
or the input would fail only when used."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import services.visits.commands as commands
from services.visits.commands import RecordedByVisit, VisitStep

EVERY_STEP = [
    cls
    for cls in vars(commands).values()
    if isinstance(cls, type) and issubclass(cls, VisitStep) and cls is not VisitStep
]
RECORDED_BY_THEIR_METHOD = [
    cls
    for cls in vars(commands).values()
    if isinstance(cls, type) and issubclass(cls, RecordedByVisit) and "records" in vars(cls)
]


def test_every_step_names_its_method_or_says_how_it_is_applied() -> None:
    for cls in EVERY_STEP:
        assert "records" in vars(cls) or cls.apply_to is not VisitStep.apply_to, cls.__name__
    assert len(RECORDED_BY_THEIR_METHOD) >= 8


@pytest.mark.parametrize("recorded", RECORDED_BY_THEIR_METHOD, ids=lambda cls: cls.__name__)
def test_its_fields_and_what_it_is_given_are_its_method_s_parameters(
    recorded: type[RecordedByVisit],
) -> None:
    def parameters(method: object) -> dict[str, object]:
        signature = inspect.signature(method)  # type: ignore[arg-type]
        return {
            name: parameter.annotation
            for name, parameter in signature.parameters.items()
            if name not in ("self", "visit")
        }

    own = {f.name: f.type for f in dataclasses.fields(recorded)}  # type: ignore[arg-type]
    given = parameters(recorded.apply_to)  # type: ignore[attr-defined]
    assert parameters(recorded.records) == {**own, **given}
