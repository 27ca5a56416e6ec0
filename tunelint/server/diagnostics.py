"""Core diagnostics as LSP diagnostics, with the fix carried in `data`.

The fix travels with the diagnostic (as ruff-lsp does) so a code action needs no server
state: its edits are already in the client's encoding, stamped with the document version
they apply to.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from tunelint.checks.finding import Diagnostic, RenderedFix
from tunelint.server.positions import PositionConverter

SOURCE = "tunelint"

SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def _position(pos: types.Position) -> dict[str, int]:
    return {"line": pos.line, "character": pos.character}


def range_json(rng: types.Range) -> dict[str, dict[str, int]]:
    return {"start": _position(rng.start), "end": _position(rng.end)}


def range_from_json(raw: Any) -> types.Range:
    return types.Range(
        start=types.Position(
            line=int(raw["start"]["line"]), character=int(raw["start"]["character"])
        ),
        end=types.Position(line=int(raw["end"]["line"]), character=int(raw["end"]["character"])),
    )


def fix_json(fix: RenderedFix, converter: PositionConverter) -> dict[str, Any]:
    return {
        "title": fix.title,
        "applicability": fix.applicability,
        "edits": [
            {"range": range_json(converter.range_to_lsp(e.range)), "newText": e.new_text}
            for e in fix.edits
        ],
    }


def to_lsp(
    diagnostic: Diagnostic,
    converter: PositionConverter,
    uri: str,
    version: int | None,
    foreign: bool = False,
) -> types.Diagnostic:
    """One core diagnostic for the client; `foreign` ones belong to another file."""
    message = diagnostic.message
    related = None
    rng = converter.range_to_lsp(diagnostic.range)
    data: dict[str, Any] = {"uri": uri, "version": version}
    if foreign:
        # A finding in a file this config points to (e.g. its DeepSpeed JSON): shown at the
        # top of this document, with the other file as related information.
        message = f"{diagnostic.file}: {message}"
        rng = types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
        related = [
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=_file_uri(diagnostic.file), range=_plain(diagnostic)),
                message=diagnostic.message,
            )
        ]
    elif diagnostic.fix is not None and diagnostic.fix.edits:
        data["fix"] = fix_json(diagnostic.fix, converter)
    return types.Diagnostic(
        range=rng,
        message=message,
        severity=SEVERITY.get(diagnostic.severity, types.DiagnosticSeverity.Warning),
        code=diagnostic.code,
        code_description=types.CodeDescription(href=diagnostic.url) if diagnostic.url else None,
        source=SOURCE,
        related_information=related,
        data=data,
    )


def _plain(diagnostic: Diagnostic) -> types.Range:
    start, end = diagnostic.range.start, diagnostic.range.end
    return types.Range(
        start=types.Position(start.line, start.column), end=types.Position(end.line, end.column)
    )


def _file_uri(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(path) or path
