"""Draws the outreach app's icons once (committed): a waymark on Waymark's ink, pure Python.

Run: python3 scripts/outreach-icons.py  (writes services/web/static/outreach/icon-*.png)
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

INK = (0x1D, 0x3B, 0x4A)
ACCENT = (0x2F, 0x6F, 0x73)
WHITE = (0xFF, 0xFF, 0xFF)
OUT = Path(__file__).resolve().parents[1] / "services" / "web" / "static" / "outreach"


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """A white signpost pin (circle over a point) on a teal band, on the ink background."""
    if 0.78 < y < 0.86:
        return ACCENT
    dx, dy = x - 0.5, y - 0.38
    if dx * dx + dy * dy < 0.2 * 0.2:
        return INK if dx * dx + dy * dy < 0.08 * 0.08 else WHITE
    if 0.38 <= y <= 0.74 and abs(dx) < 0.2 * (0.74 - y) / 0.36:
        return WHITE
    return INK


def png(size: int) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel((i + 0.5) / size, (j + 0.5) / size)) for i in range(size))
        for j in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(png(size))
