"""A public shape reads what it shows by name: the fields it declares, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pytest
from pydantic import Field, ValidationError

from shared.http.public import Public


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Row:
    row_id: int
    colour: Colour
    tags: tuple[str, ...]
    kept_back: str


class RowPublic(Public):
    row_id: int
    colour: str
    tags: list[str]


class RenamedPublic(Public):
    number: int = Field(validation_alias="row_id")


def test_a_row_is_shown_field_for_field_with_codes_as_strings_and_tuples_as_lists() -> None:
    shown = RowPublic.of(Row(7, Colour.RED, ("a", "b"), kept_back="not shown"))
    assert shown.model_dump() == {"row_id": 7, "colour": "red", "tags": ["a", "b"]}


def test_an_alias_names_the_attribute_a_public_field_is_read_from() -> None:
    assert RenamedPublic.of(Row(7, Colour.RED, (), kept_back="")).model_dump() == {"number": 7}


def test_a_row_without_a_field_the_shape_shows_is_refused() -> None:
    @dataclass(frozen=True)
    class Short:
        row_id: int

    with pytest.raises(ValidationError, match="colour"):
        RowPublic.of(Short(7))
