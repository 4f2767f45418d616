"""A journey command that names the ``Journey`` method recording it (``records``) is applied by
passing its own fields by name, then ``occurred_at`` and the actor: each such method must take
exactly those parameters, with the same types, or the command would fail only when used."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import services.cases.commands as commands
from services.cases.commands import JourneyCommand

EVERY_COMMAND = [
    cls
    for cls in vars(commands).values()
    if isinstance(cls, type) and issubclass(cls, JourneyCommand) and cls is not JourneyCommand
]
RECORDED_BY_THEIR_METHOD = [cls for cls in EVERY_COMMAND if "records" in vars(cls)]


def test_every_command_names_its_method_or_says_how_it_is_applied() -> None:
    for cls in EVERY_COMMAND:
        if cls.__subclasses__():
            continue  # a shape several commands share (NrmDecision), never sent itself
        says_how = cls.apply_to is not JourneyCommand.apply_to  # its own, or its shape's
        assert "records" in vars(cls) or says_how, cls.__name__
    assert len(RECORDED_BY_THEIR_METHOD) > 30


@pytest.mark.parametrize("command", RECORDED_BY_THEIR_METHOD, ids=lambda cls: cls.__name__)
def test_a_command_s_fields_are_its_method_s_parameters(command: type[JourneyCommand]) -> None:
    signature = inspect.signature(command.records)
    parameters = {
        name: parameter.annotation
        for name, parameter in signature.parameters.items()
        if name != "self"
    }
    own = {
        f.name: f.type for f in dataclasses.fields(command) if f.name not in command.not_recorded
    }
    assert parameters == {**own, "occurred_at": "datetime", "actor": "str"}


@pytest.mark.parametrize(
    "command", [cls for cls in EVERY_COMMAND if cls.codes], ids=lambda cls: cls.__name__
)
def test_the_codes_a_command_checks_are_its_own_fields(command: type[JourneyCommand]) -> None:
    # Else the check would fail only when that command is sent.
    assert set(command.codes) <= {f.name for f in dataclasses.fields(command)}


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda cls: cls.__name__)
def test_every_command_is_a_frozen_keyword_only_dataclass(command: type[JourneyCommand]) -> None:
    # Said once, on JourneyCommand: a command is a value that cannot change after it is made,
    # and its many fields are never passed by position.
    assert dataclasses.is_dataclass(command)
    assert "__dataclass_params__" in vars(command), "made a dataclass itself, not only its base"
    assert command.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert all(f.kw_only for f in dataclasses.fields(command))
