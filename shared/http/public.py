"""What an answer shows of a read model's row or an aggregate's value: the same fields, by name.

A response part that subclasses ``Public`` reads those fields from the object's attributes
(codes as their strings, tuples as lists; a field's ``validation_alias`` names the attribute
where the public name differs, which the OpenAPI document of an answer does not show) and
leaves the rest out, so a row and its public shape cannot drift apart field by field: a field
the row lacks is a validation error at once.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, shown: object) -> Self:
        return cls.model_validate(shown)
