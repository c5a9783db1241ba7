"""Reading a response body with a cap on the bytes it decodes to.

The crawler asks for `gzip, deflate` only (`ACCEPT_ENCODING`) and decodes them itself from the raw stream,
asking zlib for no more output than the room left under the cap: a small compressed body that inflates to
gigabytes (a decompression bomb) costs at most `limit` bytes of memory before it is refused. An encoding it
did not ask for (br, zstd, ...) is refused rather than trusted.
"""
from __future__ import annotations

import zlib

import httpx

ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(Exception):
    """The decoded body passed the cap."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding the crawler did not ask for."""


class _Inflater:
    """gzip or deflate (zlib-wrapped, or raw as some servers send it), decoded with bounded output."""

    def __init__(self, encoding: str):
        self._wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(self._wbits)
        self._started = False

    def decompress(self, data: bytes, max_length: int) -> tuple[bytes, bytes]:
        """(up to max_length decoded bytes, the input not consumed yet)."""
        try:
            out = self._zlib.decompress(data, max_length)
        except zlib.error:
            if self._started or self._wbits != zlib.MAX_WBITS:
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent without its zlib header
            out = self._zlib.decompress(data, max_length)
        self._started = True
        return out, self._zlib.unconsumed_tail


def _inflater(header: str | None) -> _Inflater | None:
    codings = [c.strip().lower() for c in (header or "").split(",") if c.strip() and c.strip().lower() != "identity"]
    if not codings:
        return None
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise UnsupportedEncoding(", ".join(codings))
    return _Inflater("deflate" if codings[0] == "deflate" else "gzip")


async def read_body(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytes:
    """The decoded body; raises BodyTooLarge past `limit` decoded bytes (or, with `truncate`, stops there)."""
    inflater = _inflater(response.headers.get("Content-Encoding"))
    body = bytearray()
    try:
        async for raw in response.aiter_raw():
            data = raw
            while data:
                room = limit + 1 - len(body)  # >= 1: zlib reads max_length=0 as "no limit"
                if inflater is None:
                    piece, data = data[:room], b""
                else:
                    piece, data = inflater.decompress(data, room)
                body += piece
                if len(body) > limit:
                    if truncate:
                        return bytes(body[:limit])
                    raise BodyTooLarge(limit)
                if inflater is not None and not piece:
                    break  # the stream has ended (trailing bytes after it are ignored)
    except zlib.error as exc:
        raise httpx.DecodingError(f"corrupt {response.headers.get('Content-Encoding')} body ({exc})") from exc
    return bytes(body)
