"""Output formats for diagnostics: text (like ruff's), json, sarif, github annotations."""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from tunelint import __version__
from tunelint.checks.finding import Diagnostic
from tunelint.checks.registry import all_rules
from tunelint.config.positions import LineIndex
from tunelint.config.secrets import hide, secret_spans

FORMATS = ("text", "concise", "json", "sarif", "github")
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}
_COLOR = {"error": "31", "warning": "33", "info": "36", "hint": "2"}


def _use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _paint(text: str, code: str, on: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if on else text


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
EXCERPT_WIDTH = 120  # characters of a source line shown around the finding


def escape_controls(text: str) -> str:
    """Control characters (terminal escapes, line breaks inside a key) as visible escapes, so
    that printed text cannot move the cursor, recolour the terminal or fake a line."""
    return _CONTROLS.sub(lambda m: ascii(m.group())[1:-1], text).replace("\n", "\\n")


def _excerpt(source: str, start: int, end: int) -> tuple[str, int, int]:
    """The part of a (possibly megabyte-long) line around [start, end), and the span in it."""
    if len(source) <= EXCERPT_WIDTH:
        return source, start, end
    left = max(0, min(start - EXCERPT_WIDTH // 3, len(source) - EXCERPT_WIDTH))
    right = left + EXCERPT_WIDTH
    prefix = "…" if left else ""
    suffix = "…" if right < len(source) else ""
    shown = prefix + source[left:right] + suffix
    return shown, start - left + len(prefix), min(end, right) - left + len(prefix)


def _source_lines(text: str | None, diag: Diagnostic) -> list[str]:
    if not text:
        return []
    index = LineIndex(text)  # the editor's lines (U+2028 and U+0085 do not break one)
    line = diag.range.start.line
    if line >= index.line_count:
        return []
    source = index.line_text(line)
    start = diag.range.start.column
    end = diag.range.end.column if diag.range.end.line == line else len(source)
    source, start, end = _excerpt(source.replace("\t", " "), start, end)
    shown, start, end = _masked(source, start, max(end, start))
    number = str(line + 1)
    pad = " " * len(number)
    return [
        f"{pad} |",
        f"{number} | {shown}",
        f"{pad} | {' ' * start}{'^' * max(1, min(end, len(shown)) - start)}",
        f"{pad} |",
    ]


def _masked(source: str, start: int, end: int) -> tuple[str, int, int]:
    """The line with secrets masked and control characters escaped, and where the span
    [start, end) lands in it (masking and escaping change lengths)."""
    pieces: list[tuple[int, int, str | None]] = []  # (from, to, mask or None for plain text)
    last = 0
    for a, b in secret_spans(source):
        if last < a:
            pieces.append((last, a, None))
        pieces.append((a, b, hide(source[a:b])))
        last = b
    if last < len(source) or not pieces:
        pieces.append((last, len(source), None))

    def column(at: int) -> int:
        out = 0
        for a, b, mask in pieces:
            if at >= b:
                out += len(mask if mask is not None else escape_controls(source[a:b]))
            elif at > a and mask is None:
                out += len(escape_controls(source[a:at]))
            if at < b:
                break
        return out

    shown = "".join(
        mask if mask is not None else escape_controls(source[a:b]) for a, b, mask in pieces
    )
    return shown, column(start), column(end)


def render_text(
    diagnostics: Sequence[Diagnostic],
    texts: dict[str, str],
    stream: TextIO = sys.stdout,
    show_source: bool = True,
) -> None:
    color = _use_color(stream)
    for diag in diagnostics:
        marker = " [*]" if diag.fix and diag.fix.applicability == "safe" else ""
        marker = " [-]" if diag.fix and diag.fix.applicability == "unsafe" else marker
        where = f"{escape_controls(diag.file)}:{diag.range.start.line + 1}:"
        where += f"{diag.range.start.column + 1}:"
        code = _paint(diag.code, "1;" + _COLOR[diag.severity], color)
        message = escape_controls(diag.message)
        stream.write(f"{_paint(where, '1', color)} {code}{marker} {message}\n")
        if show_source:
            for line in _source_lines(texts.get(diag.file), diag):
                stream.write(_paint(line, "34", color) if line.endswith("|") else line)
                stream.write("\n")
            if diag.fix:
                stream.write(f"  = help: {diag.fix.title}\n\n")
            else:
                stream.write("\n")


def summary(
    diagnostics: Sequence[Diagnostic],
    files: int,
    skipped: int,
    fixed: int = 0,
    failed: int = 0,
    unwritten: int = 0,
) -> str:
    """The last line. `failed`: files that could not be read; `unwritten`: files whose fixes
    could not be written (either is an I/O error: never "All checks passed!" beside it)."""
    counts = Counter(d.severity for d in diagnostics)
    skipped_note = f", {skipped} skipped: not fine-tuning configs" if skipped else ""
    failed_note = f", {failed} could not be read" if failed else ""
    failed_note += f", fixes of {unwritten} not written" if unwritten else ""
    failed += unwritten
    checked = f"{files} file{'s' if files != 1 else ''} checked{skipped_note}{failed_note}"
    fixed_note = f"Fixed {fixed} problem{'s' if fixed != 1 else ''}. " if fixed else ""
    if not diagnostics:
        if failed:  # never "All checks passed!" beside an unreadable file
            return f"{fixed_note}No problems found ({checked})."
        return f"{fixed_note}All checks passed! ({checked})"
    parts = [
        f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}"
        for s in ("error", "warning", "info", "hint")
        if counts[s]
    ]
    safe = sum(1 for d in diagnostics if d.fix and d.fix.applicability == "safe")
    unsafe = sum(1 for d in diagnostics if d.fix and d.fix.applicability == "unsafe")
    text = f"{fixed_note}Found {len(diagnostics)} problem{'s' if len(diagnostics) != 1 else ''}"
    text += f" ({', '.join(parts)}) in {checked}."
    if safe:
        text += f"\n[*] {safe} fixable with `--fix`."
    if unsafe:
        text += f"\n[-] {unsafe} {'more ' if safe else ''}fixable with `--fix --unsafe-fixes`."
    return text


def render_json(diagnostics: Sequence[Diagnostic], stream: TextIO = sys.stdout) -> None:
    # One write of the whole text: json.dump writes each token separately.
    out: list[str] = []
    _indented([d.to_json() for d in diagnostics], "\n", out)
    out.append("\n")
    stream.write("".join(out))


# What json.dumps(ensure_ascii=False) writes for a string (the C encoder where there is one).
_json_string = json.encoder.encode_basestring


def _indented(value: Any, newline: str, out: list[str]) -> None:
    """`value` as json.dumps(value, indent=2, ensure_ascii=False) writes it, byte for byte:
    with an indent json.dumps takes its pure-Python encoder (about 3x slower on a folder's
    findings). `newline` is the line break plus the current indent."""
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            # Strings and integers inline: most values of a finding are.
            if item.__class__ is str:
                out.append(f"{separator}{_json_string(key)}: {_json_string(item)}")
            elif item.__class__ is int:
                out.append(f"{separator}{_json_string(key)}: {item}")
            else:
                out.append(f"{separator}{_json_string(key)}: ")
                _indented(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _indented(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    elif isinstance(value, str):
        out.append(_json_string(value))
    elif value is None or value is True or value is False:
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    else:  # floats (and anything else) as json writes them
        out.append(json.dumps(value, ensure_ascii=False))


def sarif(diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tunelint",
                        "version": __version__,
                        "informationUri": "https://github.com/tunelint/tunelint",
                        "rules": [
                            {
                                "id": r.code,
                                "name": r.name,
                                "shortDescription": {"text": r.summary},
                                "fullDescription": {"text": r.docs.what},
                                "helpUri": r.url,
                                "help": {"text": r.docs.fix, "markdown": r.markdown(3)},
                                "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
                            }
                            for r in rules
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": d.code,
                        **({"ruleIndex": index[d.code]} if d.code in index else {}),
                        "level": _SARIF_LEVEL[d.severity],
                        "message": {"text": d.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": d.file.replace(os.sep, "/")},
                                    "region": {
                                        "startLine": d.range.start.line + 1,
                                        "startColumn": d.range.start.column + 1,
                                        "endLine": d.range.end.line + 1,
                                        "endColumn": d.range.end.column + 1,
                                    },
                                }
                            }
                        ],
                    }
                    for d in diagnostics
                ],
            }
        ],
    }


def _gh_escape(text: str, prop: bool = False) -> str:
    text = (
        _CONTROLS.sub(lambda m: ascii(m.group())[1:-1], text)
        .replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
    )
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diagnostics: Sequence[Diagnostic], stream: TextIO = sys.stdout) -> None:
    for d in diagnostics:
        props = ",".join(
            [
                f"file={_gh_escape(d.file, True)}",
                f"line={d.range.start.line + 1}",
                f"col={d.range.start.column + 1}",
                f"endLine={d.range.end.line + 1}",
                f"endColumn={d.range.end.column + 1}",
                f"title={_gh_escape(f'tunelint {d.code}', True)}",
            ]
        )
        stream.write(
            f"::{_GITHUB_LEVEL[d.severity]} {props}::{_gh_escape(f'{d.code} {d.message}')}\n"
        )
