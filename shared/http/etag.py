"""Record versions as ETags, and the ``If-Match`` that names the versions a client last read.

The application compares them with the record as it reads it (``shared.errors.is_stale``), so
the check and the write see the same version; a stale one is ``VersionMismatch`` (412).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends

from shared.http.deps import IfMatch
from shared.http.problems import Problem

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_versions(if_match: IfMatch = None) -> frozenset[int] | None:
    """The versions named by ``If-Match`` (weak or strong), or None to skip the check (no
    header, or ``*``). A value that is not a list of our ETags can never match: 412 at once."""
    if if_match is None or if_match.strip() == "*":
        return None
    found = [_ETAG.match(tag.strip()) for tag in if_match.split(",")]
    if not all(found):
        raise Problem(
            412,
            "precondition-failed",
            "The record has changed since you read it",
            "If-Match must name the ETag of the record as last read.",
        )
    return frozenset(int(match.group(1)) for match in found if match)


#: A route parameter: the versions the client expects the record to be at.
Expected = Annotated[frozenset[int] | None, Depends(expected_versions)]
