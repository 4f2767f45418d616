"""A lean HTTP/1.1 client for the open-loop phase: it sends each request when it is due.

httpx queues requests for a free connection in its pool and, past the server's saturation,
spends a whole core scanning that queue, so the bench measured its own client as much as the
services. Here a request that finds no idle connection opens a new one (up to ``max_open``),
each request is bytes written once, and a response is read by its ``Content-Length``: a few
tens of microseconds of the client's CPU a request.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


class SenderError(Exception):
    """The connection failed or the answer was not HTTP/1.1 with a Content-Length."""


class Sender:
    def __init__(self, base_url: str, headers: dict[str, str], max_open: int = 2048) -> None:
        url = urlsplit(base_url)
        self._host, self._port = url.hostname or "127.0.0.1", url.port or 80
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._open = 0
        self._max_open = max_open
        self.most_open = 0

    async def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> int:
        """POST ``body`` as JSON; the status code. Raises ``SenderError``."""
        content = json.dumps(body).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\n{self._headers}{extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\n\r\n"
        )
        reader, writer = await self._connection()
        try:
            writer.write(head.encode() + content)
            status, keep = await _response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            writer.close()
            self._open -= 1
            raise SenderError(type(error).__name__) from error
        if keep:
            self._idle.append((reader, writer))
        else:
            writer.close()
            self._open -= 1
        return status

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self._idle:
            reader, writer = self._idle.pop()
            if not reader.at_eof():
                return reader, writer
            # The server closed it while idle (uvicorn does after 5 s): never send on it.
            writer.close()
            self._open -= 1
        if self._open >= self._max_open:
            raise SenderError(f"more than {self._max_open} requests open at once")
        self._open += 1
        self.most_open = max(self.most_open, self._open)
        try:
            return await asyncio.open_connection(self._host, self._port)
        except OSError as error:
            self._open -= 1
            raise SenderError(type(error).__name__) from error


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status code, and whether the connection may be used again; the body is read and
    dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    fields = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:] if line)
    }
    if "content-length" not in fields:
        raise ValueError("no Content-Length")
    await reader.readexactly(int(fields["content-length"]))
    keep = version == "HTTP/1.1" and fields.get("connection", "").lower() != "close"
    return int(status), keep
