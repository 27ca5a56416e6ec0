"""Minimal text edits between two versions of a text, and LSP workspace edits."""

from __future__ import annotations

import difflib

from lsprotocol import types

from tunelint.config.positions import LineIndex, Range, TextEdit


def minimal_edits(old: str, new: str) -> list[TextEdit]:
    """Edits that turn `old` into `new`, touching only the characters that differ.

    Lines are matched first (so an inserted line does not shift every later edit), then
    each changed run of lines is trimmed to the characters that actually change.
    """
    if old == new:
        return []
    index = LineIndex(old)
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    # splitlines also breaks on \r, \f, U+2028...: map its lines back to offsets directly.
    old_starts = [0]
    for line in old_lines:
        old_starts.append(old_starts[-1] + len(line))
    edits: list[TextEdit] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = "".join(old_lines[i1:i2])
        after = "".join(new_lines[j1:j2])
        prefix = _word_start(before, _common_prefix(before, after))
        suffix = _word_end(before, _common_suffix(before[prefix:], after[prefix:]))
        start = old_starts[i1] + prefix
        end = old_starts[i2] - suffix
        replacement = after[prefix : len(after) - suffix]
        edits.append(TextEdit(Range(index.position(start), index.position(end)), replacement))
    return edits


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _word_start(text: str, prefix: int) -> int:
    """Move a cut back to the start of the word it falls in: `fp16` -> `bf16` replaces the
    whole value, not `fp` -> `bf` (same result, but an edit a person recognises)."""
    while 0 < prefix < len(text) and _is_word(text[prefix - 1]) and _is_word(text[prefix]):
        prefix -= 1
    return prefix


def _word_end(text: str, suffix: int) -> int:
    end = len(text) - suffix
    while suffix > 0 and 0 < end < len(text) and _is_word(text[end - 1]) and _is_word(text[end]):
        end += 1
        suffix -= 1
    return suffix


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _common_suffix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[-1 - i] == b[-1 - i]:
        i += 1
    return i


def workspace_edit(
    uri: str,
    version: int | None,
    edits: list[types.TextEdit],
    versioned: bool,
) -> types.WorkspaceEdit:
    """A workspace edit of one document: versioned (documentChanges) when the client can."""
    if versioned:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=list(edits),
                )
            ]
        )
    return types.WorkspaceEdit(changes={uri: list(edits)})
