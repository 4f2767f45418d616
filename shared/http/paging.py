"""Keyset pages: an opaque ``cursor`` that says where the next page of a list starts.

A cursor is the sort key of the last row of a page (times, counters and ids only: never
personal data), as base64url JSON tagged with the list it belongs to. The store seeks to it
through an index, so page 500 costs what page 1 costs, where ``offset`` reads and drops every
row before it. A cursor is opaque to clients: they pass back the ``next_cursor`` (or follow
``next``) they were given; one that does not decode, or belongs to another list, is a 422
naming ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, Self, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

from shared.errors import FieldError
from shared.http.deps import PageLimit, PageOffset
from shared.storage.pages import PageWindow

CursorValue = str | int | None
_INT64 = range(-(2**63), 2**63)
SortKey = tuple[CursorValue, ...]

PageCursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=400,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Where the page starts: the `next_cursor` of the previous page (opaque). "
        "Reaches any page in the same time, unlike `offset`, which still works and is applied "
        "after the cursor.",
    ),
]

NEXT_CURSOR: Any = Field(
    default=None,
    description="Pass as `cursor` for the next page (opaque); null on the last page",
)
PAGE_TOTAL: Any = Field(
    description="Rows matching, all pages together; null on a page asked for by `cursor` "
    "(counting grows with the list, and a walk by cursor does not need it)",
)
NEXT_LINK: Any = Field(
    default=None, description="The next page's path and query (this one's, with its cursor)"
)


def encode_cursor(list_name: str, key: SortKey) -> str:
    text = json.dumps([list_name, *key], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(
    list_name: str, cursor: str | None, shape: Sequence[type]
) -> tuple[Any, ...] | None:
    """The sort key in ``cursor`` for ``list_name``, each part of the type in ``shape`` (a
    ``str`` part may also be null); None without a cursor. Anything else is a 422."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_cursor() from None
    if not isinstance(values, list) or len(values) != len(shape) + 1 or values[0] != list_name:
        raise bad_cursor()
    key = tuple(values[1:])
    for value, kind in zip(key, shape, strict=True):
        fits = (
            value is None
            if kind is type(None)
            else isinstance(value, kind) and not isinstance(value, bool) and _storable(value)
        )
        if not fits and not (kind is str and value is None):
            raise bad_cursor()
    return key


def _storable(value: object) -> bool:
    """Whether a store can compare a forged cursor's part with its column: an integer within
    signed 64 bits, text that is Unicode (no lone surrogate from a ``\\ud800`` escape) and free
    of NUL. Every cursor this module writes is; SQLite or psycopg raise on the rest."""
    if isinstance(value, int):
        return value in _INT64
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    return True


def bad_cursor() -> FieldError:
    return FieldError("query.cursor", "is not a cursor of this list: pass back a next_cursor")


def next_link(request: Request, next_cursor: str | None) -> str | None:
    """The path and query of the next page: this request's, with the cursor moved on."""
    if next_cursor is None:
        return None
    query = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name not in ("cursor", "offset")
    ]
    return f"{request.url.path}?{urlencode([*query, ('cursor', next_cursor)])}"


def next_page(
    request: Request, list_name: str, last_key: SortKey | None, *, full: bool
) -> tuple[str | None, str | None]:
    """``next_cursor`` and ``next`` for a page: none when the page was not full (the end)."""
    if not full or last_key is None:
        return None, None
    cursor = encode_cursor(list_name, last_key)
    return cursor, next_link(request, cursor)


@dataclass(frozen=True)
class PageAsked:
    """The page a request asks of a list: how many rows, and where they start."""

    list_name: str
    limit: int
    offset: int
    after_key: tuple[Any, ...] | None

    @classmethod
    def of(
        cls, list_name: str, cursor: str | None, shape: Sequence[type], *, limit: int, offset: int
    ) -> PageAsked:
        """The page asked by the query's ``cursor`` (a sort key of the parts in ``shape``),
        ``limit`` and ``offset``; a cursor of another list is a 422."""
        return cls(list_name, limit, offset, decode_cursor(list_name, cursor, shape))

    @property
    def window(self) -> PageWindow:
        """The rows the store reads; a walk by cursor goes without the count."""
        return PageWindow(
            limit=self.limit,
            offset=self.offset,
            after_key=self.after_key,
            with_total=self.after_key is None,
        )


@dataclass(frozen=True)
class PageQuery:
    """What a request says of the page it wants of a keyset-paged list (``limit``, ``offset``,
    ``cursor``); ``asked`` reads its cursor for one list."""

    limit: int
    offset: int
    cursor: str | None

    def asked(self, list_name: str, shape: Sequence[type]) -> PageAsked:
        return PageAsked.of(list_name, self.cursor, shape, limit=self.limit, offset=self.offset)


async def _page_query(
    limit: PageLimit = 50, offset: PageOffset = 0, cursor: PageCursor = None
) -> PageQuery:
    return PageQuery(limit, offset, cursor)


#: The query parameters of a keyset-paged list, to be read with ``PageQuery.asked``.
KeysetQuery = Annotated[PageQuery, Depends(_page_query)]


class Listed(Protocol):
    """A row of a list that knows its place in it (its sort key), for the next page's cursor."""

    @property
    def list_key(self) -> SortKey | None: ...


Item = TypeVar("Item")
Row = TypeVar("Row", bound=Listed)


class KeysetPage(BaseModel, Generic[Item]):
    """One page of a list. Each list names its page by subclassing it with its item type
    (``class VisitListPage(KeysetPage[VisitSummaryPublic])``), so the OpenAPI document keeps
    one schema per list."""

    items: list[Item]
    total: int | None = PAGE_TOTAL
    limit: int
    offset: int
    next_cursor: str | None = NEXT_CURSOR
    next: str | None = NEXT_LINK

    @classmethod
    def answer(
        cls,
        request: Request,
        list_name: str,
        items: list[Item],
        last_key: SortKey | None,
        *,
        total: int | None,
        limit: int,
        offset: int,
    ) -> Self:
        """The page of ``items``, with the cursor and link to the next when it is full."""
        next_cursor, link = next_page(request, list_name, last_key, full=len(items) == limit)
        return cls(
            items=items,
            total=total,
            limit=limit,
            offset=offset,
            next_cursor=next_cursor,
            next=link,
        )

    @classmethod
    def listing(
        cls,
        request: Request,
        asked: PageAsked,
        rows: Sequence[Row],
        public: Callable[[Row], Item],
        total: int | None,
    ) -> Self:
        """The page of ``rows`` read for ``asked``, each shown as ``public`` shows it."""
        return cls.answer(
            request,
            asked.list_name,
            [public(row) for row in rows],
            rows[-1].list_key if rows else None,
            total=total,
            limit=asked.limit,
            offset=asked.offset,
        )
