"""Record versions as ETags, and the ``If-Match`` that names the versions a client last read.

The application compares them with the record as it reads it (``shared.errors.is_stale``), so
the check and the write see the same version; a stale one is ``VersionMismatch`` (412). Cases
and notifications take the single ETag of the record as last read (a list is a client that
does not know which version it decided on); visits takes a list, as RFC 9110 allows.
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


def parse_if_match(if_match: str | None, *, several: bool) -> frozenset[int] | None:
    """The versions named by ``If-Match`` (weak or strong), or None to skip the check (no
    header, or ``*``). A value that is not our ETag (or, if ``several``, a list of them) can
    never match: 412 at once."""
    if if_match is None or if_match.strip() == "*":
        return None
    tags = if_match.split(",") if several else [if_match]
    found = [_ETAG.match(tag.strip()) for tag in tags]
    if not all(found):
        raise Problem(
            412,
            "precondition-failed",
            "The record has changed since you read it",
            "If-Match must name the ETag of the record as last read.",
        )
    return frozenset(int(match.group(1)) for match in found if match)


async def expected_version(if_match: IfMatch = None) -> frozenset[int] | None:
    return parse_if_match(if_match, several=False)


async def expected_versions(if_match: IfMatch = None) -> frozenset[int] | None:
    return parse_if_match(if_match, several=True)


#: A route parameter: the one version the client expects the record to be at.
Expected = Annotated[frozenset[int] | None, Depends(expected_version)]
#: A route parameter: the versions the client expects (any of them will do).
ExpectedAnyOf = Annotated[frozenset[int] | None, Depends(expected_versions)]
