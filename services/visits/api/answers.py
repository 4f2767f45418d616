"""How a visits route marks its answer: the record's version as the ETag (for a later
``If-Match``), and ``Idempotent-Replayed: true`` when the request was already recorded."""

from __future__ import annotations

from fastapi import Response

from shared.http.etag import etag_for


def mark(response: Response, version: int, *, replayed: bool = False) -> None:
    response.headers["ETag"] = etag_for(version)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
