"""How a visits route answers about a record (a visit, a premises): with its public shape, its
version as the ETag (for a later ``If-Match``), and ``Idempotent-Replayed: true`` when the
request was already recorded."""

from __future__ import annotations

from typing import TypeVar

from eventsourcing.domain import Aggregate
from fastapi import Response

from shared.http.etag import etag_for
from shared.http.public import Public

Shape = TypeVar("Shape", bound=Public)


def answer(
    response: Response, record: Aggregate, shape: type[Shape], *, replayed: bool = False
) -> Shape:
    response.headers["ETag"] = etag_for(record.version)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return shape.of(record)
