"""Code actions: each finding's quick-fix, "ignore here with a reason", and fix-all."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from tunelint.lint import ALWAYS_SHOWN
from tunelint.server.diagnostics import SOURCE, range_from_json
from tunelint.server.edits import workspace_edit

FIX_ALL_KIND = "source.fixAll.tunelint"
QUICK_FIX = types.CodeActionKind.QuickFix
# Suppression comments are findings about suppressions; ignoring them makes no sense.
NOT_IGNORABLE = ALWAYS_SHOWN | {"TL910", "TL911"}
IGNORE_REASON = "TODO: say why this is intended"
_OWN_LINE_IGNORE = re.compile(r"^(\s*)#\s*tunelint:\s*ignore\[([^\]]*)\]")


def wants(only: Sequence[str] | None, kind: str) -> bool:
    """Whether a request restricted to `only` kinds accepts an action of `kind`."""
    if only is None:
        return True
    return any(kind == k or kind.startswith(f"{k}.") for k in only)


def explicitly_wants(only: Sequence[str] | None, kind: str) -> bool:
    """`only` names `kind` or a parent of it (`source`, `source.fixAll`)."""
    return only is not None and wants(only, kind)


def fix_payload(diagnostic: types.Diagnostic) -> dict[str, Any] | None:
    data = diagnostic.data
    if isinstance(data, dict) and isinstance(data.get("fix"), dict):
        return data["fix"]
    return None


def data_origin(diagnostic: types.Diagnostic) -> tuple[Any, Any]:
    """The (uri, version) a diagnostic of ours was computed for, from its data."""
    data = diagnostic.data
    if not isinstance(data, dict):
        return None, None
    return data.get("uri"), data.get("version")


def is_ours(diagnostic: types.Diagnostic) -> bool:
    return diagnostic.source == SOURCE


def quick_fix(
    diagnostic: types.Diagnostic,
    fix: dict[str, Any],
    uri: str,
    version: int | None,
    versioned: bool,
) -> types.CodeAction | None:
    """The finding's own fix; preferred when safe, marked "(unsafe)" when not."""
    try:
        edits = [
            types.TextEdit(range=range_from_json(e["range"]), new_text=str(e["newText"]))
            for e in fix["edits"]
        ]
        title = str(fix["title"])
        safe = fix.get("applicability") == "safe"
    except (KeyError, TypeError, ValueError):
        return None  # data from an older server or a confused client: no action
    return types.CodeAction(
        title=f"{title} ({diagnostic.code})" if safe else f"{title} ({diagnostic.code}, unsafe)",
        kind=QUICK_FIX,
        diagnostics=[diagnostic],
        is_preferred=safe,
        edit=workspace_edit(uri, version, edits, versioned),
    )


def ignore_action(
    diagnostic: types.Diagnostic,
    lines: list[str],
    uri: str,
    version: int | None,
    versioned: bool,
) -> types.CodeAction | None:
    """Insert `# tunelint: ignore[CODE] <reason>` above the finding, at its indentation.

    When the line above already holds an ignore comment, the code joins its list instead.
    """
    code = str(diagnostic.code or "")
    if not code or code in NOT_IGNORABLE:
        return None
    line_number = diagnostic.range.start.line
    if line_number >= len(lines):
        return None
    line = lines[line_number].rstrip("\r")
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    edit: types.TextEdit
    above = lines[line_number - 1].rstrip("\r") if line_number > 0 else ""
    existing = _OWN_LINE_IGNORE.match(above)
    if existing is not None:
        codes = [c.strip() for c in existing.group(2).split(",") if c.strip()]
        if code in codes:
            return None
        # Column of the closing bracket: ASCII before it, so code points = UTF-16 units.
        end = existing.end(2)
        if not above[:end].isascii():
            return None
        separator = ", " if codes else ""
        position = types.Position(line=line_number - 1, character=end)
        edit = types.TextEdit(
            range=types.Range(start=position, end=position), new_text=f"{separator}{code}"
        )
    else:
        start = types.Position(line=line_number, character=0)
        edit = types.TextEdit(
            range=types.Range(start=start, end=start),
            new_text=f"{indent}# tunelint: ignore[{code}] {IGNORE_REASON}\n",
        )
    return types.CodeAction(
        title=f"Ignore {code} here (with a reason)",
        kind=QUICK_FIX,
        diagnostics=[diagnostic],
        edit=workspace_edit(uri, version, [edit], versioned),
    )


def fix_all_action(
    uri: str,
    version: int | None,
    edits: list[types.TextEdit] | None,
    versioned: bool,
) -> types.CodeAction:
    """`source.fixAll.tunelint`; without `edits`, resolved later (codeAction/resolve)."""
    action = types.CodeAction(
        title="Fix all safe tunelint findings",
        kind=FIX_ALL_KIND,
        data={"uri": uri, "version": version, "fixAll": True},
    )
    if edits is not None:
        action.edit = workspace_edit(uri, version, edits, versioned)
    return action
