"""The JSON of stored events: the library's bytes, written faster.

Every stored event's state goes through the library's ``JSONTranscoder``, whose encoder calls
back into Python for each id, time and date (each one a dict the encoder then walks again):
about a fifth of what applying a message from visits costs. ``StoredJSONTranscoder`` writes
the very same bytes — so what is stored already loads as before, and what it stores loads
with the library's own transcoder — by tagging those values itself, in one walk, and handing
the plain tree to orjson. Values whose JSON the two libraries spell differently (floats,
integers beyond 64 bits, subclasses of the JSON types other than strings, keys that are not
strings, anything no transcoding is registered for) are left to the library's encoder, whole,
as before. Decoding is the library's.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

#: The types the standard encoder writes itself (never through a transcoding), subclasses too.
_NATIVE = (str, int, float, list, tuple, dict)
#: Written alike by both libraries (integers beyond 64 bits make orjson raise: see ``encode``).
_SCALARS = frozenset({str, int, bool, type(None)})


class _NotPlain(Exception):
    """A value orjson would not spell as the standard encoder does."""


class StoredJSONTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._plain(obj))
        except (_NotPlain, TypeError, RecursionError):
            # TypeError: orjson's, e.g. an integer beyond 64 bits or a lone surrogate.
            return super().encode(obj)

    def _plain(self, value: Any) -> Any:
        """``value`` with every value a transcoding encodes replaced by the tagged dict the
        library's encoder would write for it, as exactly the types both libraries agree on."""
        kind = type(value)
        if kind in _SCALARS:
            return value
        if issubclass(kind, str):  # a string enum: both libraries write the string itself
            return str.__str__(value)
        if kind is dict:
            plain = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise _NotPlain
                plain[key] = item if type(item) in _SCALARS else self._plain(item)
            return plain
        if kind is list or kind is tuple:
            return [self._plain(item) for item in value]
        transcoding = self.types.get(kind)
        if transcoding is None or issubclass(kind, _NATIVE):
            raise _NotPlain
        return {"_type_": transcoding.name, "_data_": self._plain(transcoding.encode(value))}
