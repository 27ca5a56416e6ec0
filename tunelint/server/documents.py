"""The open documents: their text, version and path, kept in step with the client.

The server keeps its own copy instead of pygls' workspace because pygls splits lines with
`str.splitlines`, which also breaks on form feeds, U+2028 and other characters that LSP
clients treat as ordinary text; an incremental edit after one of them would land on the
wrong line. Here lines end only at "\\r\\n", "\\r" or "\\n", as the LSP specification says.
pygls' copy is not kept at all (`protocol.py`): one copy, updated once per change.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass
from itertools import accumulate, repeat

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace.position_codec import PositionCodec

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(slots=True)
class OpenDocument:
    uri: str
    text: str
    version: int | None
    language_id: str
    path: str | None  # a local file path, None for untitled or remote documents

    @property
    def filename(self) -> str:
        """What the core sees as the file name: the path, else the URI (for the suffix)."""
        return self.path or self.uri


def uri_to_path(uri: str) -> str | None:
    """The local file path of a `file:` URI, else None."""
    if not uri.startswith("file:"):
        return None
    try:
        return to_fs_path(uri)
    except Exception:  # a malformed URI is not a local file
        return None


def _line_starts(text: str) -> list[int]:
    if "\r" not in text:  # the common case, 4x faster: C-level split and running sum
        lengths = map(operator.add, map(len, text.split("\n")), repeat(1))
        return list(accumulate(lengths, initial=0))[:-1]
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


@functools.cache
def codec_for(encoding: str) -> PositionCodec:
    """pygls' position codec for an encoding, built once."""
    return PositionCodec(encoding)


def _offset(text: str, starts: list[int], pos: types.Position, codec: PositionCodec) -> int:
    """Offset of an LSP position in `text` (clamped: clients send past-the-end positions)."""
    if pos.line >= len(starts):
        return len(text)
    start = starts[pos.line]
    end = starts[pos.line + 1] if pos.line + 1 < len(starts) else len(text)
    line = text[start:end].rstrip("\r\n")
    if line.isascii():
        return start + min(pos.character, len(line))
    units = 0
    for index, char in enumerate(line):
        if units >= pos.character:
            return start + index
        units += codec.client_num_units(char)
    return start + len(line)


def apply_change(
    text: str, change: types.TextDocumentContentChangeEvent, codec: PositionCodec
) -> str:
    """The text after one content change (incremental with a range, else the full text)."""
    if isinstance(change, types.TextDocumentContentChangePartial):
        starts = _line_starts(text)
        begin = _offset(text, starts, change.range.start, codec)
        end = _offset(text, starts, change.range.end, codec)
        if end < begin:
            begin, end = end, begin
        return text[:begin] + change.text + text[end:]
    return change.text


class DocumentStore:
    """Open documents by URI."""

    def __init__(self) -> None:
        self._documents: dict[str, OpenDocument] = {}

    def open(self, item: types.TextDocumentItem) -> OpenDocument:
        document = OpenDocument(
            uri=item.uri,
            text=item.text,
            version=item.version,
            language_id=item.language_id,
            path=uri_to_path(item.uri),
        )
        self._documents[item.uri] = document
        return document

    def change(
        self, params: types.DidChangeTextDocumentParams, encoding: str
    ) -> OpenDocument | None:
        """Apply a didChange (positions in the client's `encoding`) to the document."""
        document = self._documents.get(params.text_document.uri)
        if document is None:
            return None
        codec = codec_for(encoding)
        text = document.text
        for change in params.content_changes:
            text = apply_change(text, change, codec)
        document.text = text
        document.version = params.text_document.version
        return document

    def close(self, uri: str) -> OpenDocument | None:
        return self._documents.pop(uri, None)

    def get(self, uri: str) -> OpenDocument | None:
        return self._documents.get(uri)

    def all(self) -> list[OpenDocument]:
        return list(self._documents.values())
