"""Where the cursor is in a JSON document being typed: the object path around it, whether a
key or a value is typed there, and what an inserted member must bring to stay valid JSON.

A document being typed is rarely valid JSON (`"gradient_acc` has no closing quote, a new
member no comma yet), so this reads tokens with a tolerant state machine instead of a
parser: strings end at their line's end when unterminated, a missing comma or colon is
assumed, comments (JSONC) are skipped.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from tunelint.config.positions import Position

# One token per match: a string (possibly unterminated: it ends at its line's end), a
# comment, punctuation, or a bare word (numbers, true/false/null, or a key typed unquoted).
_TOKEN = re.compile(
    r"""
    (?P<str>"(?:[^"\\\r\n]|\\.)*(?:"|(?=[\r\n])|$))
    |(?P<comment>//[^\r\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/|$))
    |(?P<punct>[{}\[\]:,])
    |(?P<word>[^\s{}\[\]:,"/]+|/)
    """,
    re.VERBOSE | re.DOTALL,
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# Object states: a key may come next, a colon, a value, or a comma / the closing brace.
_KEY, _COLON, _VALUE, _AFTER = range(4)


class Token(NamedTuple):  # a tuple: a long file has tens of thousands of them
    kind: str  # str | punct | word
    start: int
    end: int
    text: str

    @property
    def closed(self) -> bool:
        """A string with its closing quote (an unterminated one ends at its line's end)."""
        if self.kind != "str":
            return True
        body = self.text[1:]
        # A closing quote is one no backslash escapes (`"a\\"` is closed, `"a\"` is not).
        return body.endswith('"') and (len(body) - len(body[:-1].rstrip("\\")) - 1) % 2 == 0

    @property
    def value(self) -> str:
        """The key or value text: a string without its quotes (escapes kept as written)."""
        if self.kind != "str":
            return self.text
        return self.text[1:-1] if self.closed else self.text[1:]


@dataclass(slots=True)
class _Frame:
    """One open object or array while reading: its path and, for an object, its keys."""

    array: bool
    path: tuple[str, ...]
    state: int = _KEY
    key: str | None = None  # an object's key whose value comes next
    index: int = 0  # an array's item count so far
    keys: list[tuple[str, int]] = field(default_factory=list)  # (key, token number)


@dataclass(frozen=True, slots=True)
class JsonContext:
    """What the cursor is on in a JSON text.

    `path` is the object the typed member belongs to (array items by index); `key` is the
    key whose value is typed (with `in_value`). `start`..`end` is what a completion replaces
    (a half-typed key or value with its quotes). `has_colon`: the key being edited already
    has its `:` (a completion renames it only). `comma_before`: where a comma must go before
    a new member (the previous member has none); `comma_after`: a member follows without
    one. `siblings` are the keys of the object other than the one being edited."""

    path: tuple[str, ...]
    in_value: bool
    key: str | None
    start: Position
    end: Position
    quoted: bool
    prefix: str
    siblings: frozenset[str]
    has_colon: bool = False
    comma_before: Position | None = None
    comma_after: bool = False


def tokens(text: str) -> list[Token]:
    """The JSON tokens of `text`, comments left out."""
    make = Token._make
    return [
        make((m.lastgroup, m.start(), m.end(), m.group()))
        for m in _TOKEN.finditer(text)
        if m.lastgroup != "comment"
    ]


class _Offsets:
    """Offsets <-> core positions of one text (lines end at \\r\\n, \\r or \\n, as in LSP)."""

    def __init__(self, text: str) -> None:
        breaks = list(_LINE_BREAK.finditer(text))
        self.starts = [0, *(m.end() for m in breaks)]
        self.ends = [*(m.start() for m in breaks), len(text)]  # before each line's break
        self.length = len(text)

    def offset(self, pos: Position) -> int:
        """The offset of a position, clamped to its line (clients send past-the-end ones)."""
        if pos.line >= len(self.starts):
            return self.length
        return min(self.starts[pos.line] + pos.column, self.ends[pos.line])

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.starts, offset) - 1
        return Position(line, offset - self.starts[line])


def _at_cursor(token: Token, cursor: int) -> bool:
    """Whether the cursor types `token`: inside a string's quotes, or at a word's end."""
    if token.kind == "str":
        return token.start < cursor < token.end or (not token.closed and cursor == token.end)
    return token.kind == "word" and token.start < cursor <= token.end


class _Reader:
    """The tolerant state machine: one token at a time, remembering the cursor's frame."""

    def __init__(self) -> None:
        self.stack: list[_Frame] = []

    def step(self, number: int, token: Token, keyed: bool) -> None:
        """Read `token`; `keyed`: a colon follows it (a key, even where a value was due)."""
        if not self.stack:
            if token.text in "{[" and token.kind == "punct":
                self.stack.append(_Frame(token.text == "[", ()))
            return
        frame = self.stack[-1]
        if frame.array:
            self._array(frame, token)
        else:
            self._object(frame, number, token, keyed)

    def _open(self, frame: _Frame, token: Token, key: str) -> None:
        self.stack.append(_Frame(token.text == "[", (*frame.path, key)))

    def _close(self) -> None:
        self.stack.pop()
        if self.stack:
            self.stack[-1].state = _AFTER

    def _object(self, frame: _Frame, number: int, token: Token, keyed: bool) -> None:
        text = token.text if token.kind == "punct" else ""
        if text == "}" or (text == "]" and len(self.stack) > 1):
            self._close()
        elif text == ",":
            frame.state, frame.key = _KEY, None
        elif text == ":":
            frame.state = _VALUE
        elif text in ("{", "["):
            self._open(frame, token, frame.key or "")
            frame.state = _AFTER
        elif frame.state == _VALUE and not keyed:
            frame.state = _AFTER
        else:  # a key (after a value or a key with no comma or colon: one was left out)
            frame.key = token.value
            frame.keys.append((token.value, number))
            frame.state = _COLON

    def _array(self, frame: _Frame, token: Token) -> None:
        text = token.text if token.kind == "punct" else ""
        if text == "]" or (text == "}" and len(self.stack) > 1):
            self._close()
        elif text == ",":
            frame.index += 1
            frame.state = _VALUE
        elif text == ":":
            return
        else:
            if frame.state == _AFTER:  # an item with no comma before it
                frame.index += 1
            if text in ("{", "["):
                self._open(frame, token, str(frame.index))
            frame.state = _AFTER


def _is_key(found: list[Token], number: int) -> bool:
    token = found[number]
    return (
        token.kind in ("str", "word")
        and number + 1 < len(found)
        and found[number + 1].text == ":"
        and found[number + 1].kind == "punct"
    )


def json_context(text: str, pos: Position) -> JsonContext | None:
    """The completion context at `pos` in JSON text; None where nothing is completed (in
    no object, after a key awaiting its colon, in an array of arrays)."""
    offsets = _Offsets(text)
    cursor = offsets.offset(pos)
    found = tokens(text)
    reader = _Reader()
    frame: _Frame | None = None
    state, key_at = _KEY, None  # the frame's state and pending key at the cursor
    typed: int | None = None  # the number of the token the cursor types
    depth = 0  # the stack's depth at the cursor
    previous: Token | None = None  # the last token before the cursor (or its token)
    stack = reader.stack
    for number, token in enumerate(found):
        if frame is None and (token.start >= cursor or _at_cursor(token, cursor)):
            if not stack:
                return None
            frame = stack[-1]
            state, key_at = frame.state, frame.key
            typed = number if _at_cursor(token, cursor) else None
            depth = len(stack)
        if frame is None:
            previous = token
        elif len(stack) < depth:
            break  # the cursor's object closed: the rest of the file is no sibling
        reader.step(number, token, _is_key(found, number))
    if frame is None:  # the cursor is after every token
        if not reader.stack:
            return None
        frame = reader.stack[-1]
        state, key_at = frame.state, frame.key
    token = found[typed] if typed is not None else None
    start, end = cursor, cursor
    quoted = False
    if token is not None:
        start = token.start
        end = token.end if token.closed else cursor
        quoted = token.kind == "str"
    begin = typed if typed is not None else 0
    following = next((n for n in range(begin, len(found)) if found[n].start >= end), None)
    after = found[following] if following is not None else None
    in_value = frame.array or state == _VALUE
    key: str | None = None
    path = frame.path
    if frame.array:
        parents = [p for p in frame.path if not p.isdigit()]
        if not frame.path or frame.path[-1].isdigit() or not parents:
            return None  # an array at the top or in an array: no key names its items
        path, key = frame.path[:-1], frame.path[-1]
    elif in_value:
        key = key_at
        if key is None:
            return None
    elif state == _COLON and token is None:
        return None  # right after a key: its colon comes next, not another key
    prefix_start = start + 1 if quoted else start
    has_colon = not in_value and after is not None and after.text == ":" and after.kind == "punct"
    # After a member (or an array item) with no comma yet: one goes after it.
    comma_before = None
    if state == _AFTER and previous is not None:
        comma_before = offsets.position(previous.end)
    # A member follows without a comma: a key next (a new key), or a key and its colon next
    # (a new value; a bare word or string alone there is this value's old text).
    if in_value:
        comma_after = following is not None and _is_key(found, following)
    else:
        comma_after = not has_colon and after is not None and after.kind in ("str", "word")
    siblings = frozenset(k for k, n in frame.keys if n != typed) if not frame.array else frozenset()
    return JsonContext(
        path=path,
        in_value=in_value,
        key=key,
        start=offsets.position(start),
        end=offsets.position(end),
        quoted=quoted,
        prefix=text[prefix_start:cursor],
        siblings=siblings,
        has_colon=has_colon,
        comma_before=comma_before,
        comma_after=comma_after,
    )
