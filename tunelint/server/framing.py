"""The LSP base protocol's framing (`Content-Length: N\\r\\n\\r\\n` + body), decoded without I/O.

pygls 2.1 reads frames with a strict regex and `read(N)`: a malformed `Content-Length`
leaves it out of step for good (every later body is read as a header), and
`Content-Length: 2**40` asks the stream for a terabyte. This decoder bounds every
allocation, reports a broken frame, and finds the next frame's header instead.

Resynchronising is sound because a JSON text can hold neither a raw CR/LF inside a string
nor a bare `Content-Length` outside one: a header line inside a supposed body means the
declared length was wrong, and the frame starts there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEADER_BYTES = 8 * 1024  # one header block; real clients send under 100 bytes
# Largest body accepted: a didOpen of a 100 MB file still fits; 2**40 does not.
MAX_BODY_BYTES = 256 * 1024 * 1024

_MARKER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"content-length[ \t]*:[ \t]*\d{1,20}[ \t]*\r\n", re.IGNORECASE)
_LENGTH = re.compile(rb"[ \t]*(\d{1,15})[ \t]*")
_HEADER_NAMES = (b"content-length", b"content-type")
_MARKER_SPAN = 64  # bytes kept between scans so a marker split across reads is still seen


@dataclass(frozen=True, slots=True)
class FramingError:
    """A broken frame: skipped, and the decoder looks for the next header."""

    message: str


class FrameDecoder:
    """Feed bytes in, get whole message bodies (or framing errors) out."""

    def __init__(self, max_body: int = MAX_BODY_BYTES, max_header: int = MAX_HEADER_BYTES) -> None:
        self._max_body = max_body
        self._max_header = max_header
        self._buffer = bytearray()
        self._length: int | None = None  # the body being read, once its header is in
        self._scanned = 0  # body bytes already searched for a stray header

    def feed(self, data: bytes) -> list[bytes | FramingError]:
        """Bodies of the frames completed by `data`, in order, with errors in their place."""
        self._buffer += data
        out: list[bytes | FramingError] = []
        while True:
            item = self._header() if self._length is None else self._body()
            if item is None:
                return out
            if isinstance(item, int):
                self._length, self._scanned = item, 0
                continue
            out.append(item)

    def _header(self) -> int | FramingError | None:
        """The body length of the header block at the front, once it is complete."""
        if not self._skip_to_header():
            return None
        end = self._buffer.find(b"\r\n\r\n", 0, self._max_header + 4)
        if end < 0:
            if len(self._buffer) <= self._max_header:
                return None  # more header to come
            del self._buffer[:1]  # not a header after all: look for the next one
            return FramingError(f"header longer than {self._max_header} bytes")
        block = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        return self._length_of(block)

    def _skip_to_header(self) -> bool:
        """Drop anything before the next header; False until one has begun to arrive."""
        for name in _HEADER_NAMES:
            prefix = bytes(self._buffer[: len(name)]).lower()
            if prefix and name.startswith(prefix):
                return len(prefix) == len(name)  # a partial name: wait for the rest
        match = _MARKER.search(self._buffer, 1)
        if match is None:
            # Keep a tail: the marker may be cut between two reads.
            del self._buffer[: max(0, len(self._buffer) - _MARKER_SPAN)]
            return False
        del self._buffer[: match.start()]
        return True

    def _length_of(self, block: bytes) -> int | FramingError:
        length: int | None = None
        for line in block.split(b"\r\n"):
            name, colon, value = line.partition(b":")
            if not colon:
                return FramingError(f"malformed header line {_show(line)}")
            if name.strip().lower() != b"content-length":
                continue  # Content-Type: the only charset LSP allows is UTF-8
            match = _LENGTH.fullmatch(value)
            if match is None:
                return FramingError(f"bad Content-Length {_show(value.strip())}")
            length = int(match.group(1))
        if length is None:
            return FramingError("header without Content-Length")
        if length > self._max_body:
            return FramingError(f"Content-Length {length} exceeds the {self._max_body}-byte limit")
        return length

    def _body(self) -> bytes | FramingError | None:
        """The body once all its bytes are in; an error when a header shows up inside it."""
        assert self._length is not None
        available = min(len(self._buffer), self._length)
        start = max(0, self._scanned - _MARKER_SPAN)
        stray = next(
            (
                match.start()
                for match in _MARKER.finditer(self._buffer, start, available)
                if _HEADER_LINE.match(self._buffer, match.start()) is not None
            ),
            None,
        )
        if stray is not None:
            # A frame header inside the body: the declared length overran the message.
            del self._buffer[:stray]
            declared, self._length = self._length, None
            return FramingError(f"Content-Length {declared} overran the message")
        self._scanned = available
        if available < self._length:
            return None
        body = bytes(self._buffer[: self._length])
        del self._buffer[: self._length]
        self._length = None
        return body


def _show(raw: bytes) -> str:
    text = raw[:40].decode("ascii", "backslashreplace")
    return repr(text + ("..." if len(raw) > 40 else ""))


def encode_frame(body: bytes) -> bytes:
    """A body with its header, as the base protocol frames it."""
    return b"Content-Length: %d\r\n\r\n" % len(body) + body
