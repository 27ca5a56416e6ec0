"""What rules produce (findings with Plan edits) and what reporters consume (diagnostics)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from tunelint.config.plan_edits import PlanEdit, Target
from tunelint.config.positions import Range, TextEdit

Severity = Literal["error", "warning", "info", "hint"]
Applicability = Literal["safe", "unsafe"]
_CODE = re.compile(r"TL\d{3}")
SEVERITY_RANK: dict[str, int] = {"hint": 0, "info": 1, "warning": 2, "error": 3}


@dataclass(frozen=True, slots=True)
class Fix:
    """A rule's fix: Plan edits the dialect renders all at once (one text path for all)."""

    title: str
    applicability: Applicability
    edits: tuple[PlanEdit, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's verdict about a Plan path. `range` overrides the path's location."""

    message: str
    path: Target = ()
    fix: Fix | None = None
    severity: Severity | None = None  # None: the rule's default (after settings overrides)
    range: Range | None = None
    # A file other than the one linted (cross-file findings, e.g. a DeepSpeed JSON).
    file: str | None = None
    # The engine stamps a rule's findings with its code; the pipeline's own findings
    # (structure, GPU, internal errors) name theirs.
    code: str = ""
    # Facts tunelint assumed that the verdict rests on ("1 GPU"): the engine says so in the
    # message and never reports such a finding as an error.
    assumed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # The old `Finding("TL101", message, path)` would silently shift every field.
        if _CODE.fullmatch(self.message):
            raise TypeError("Finding takes the message first; the engine stamps the code")


@dataclass(frozen=True, slots=True)
class RenderedFix:
    title: str
    applicability: Applicability
    edits: tuple[TextEdit, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by the worker pool: the fields in order, not the slots dataclass's
        # __getstate__/__setstate__, which call dataclasses.fields() per object; each
        # edit's range as four numbers (a NamedTuple pickles through Python code).
        edits = tuple((*_flat(e.range), e.new_text) for e in self.edits)
        return (_rendered_fix, (self.title, self.applicability, edits))

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "applicability": self.applicability,
            "edits": [
                {
                    "line": e.range.start.line + 1,
                    "column": e.range.start.column + 1,
                    "end_line": e.range.end.line + 1,
                    "end_column": e.range.end.column + 1,
                    "content": e.new_text,
                }
                for e in self.edits
            ],
        }


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A finding placed in a file: what the CLI prints and the server publishes."""

    file: str
    range: Range
    code: str
    severity: Severity
    message: str
    fix: RenderedFix | None = None
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        # As RenderedFix: workers send every diagnostic back to the parent.
        fields = (self.file, *_flat(self.range), self.code, self.severity, self.message)
        return (_diagnostic, (*fields, self.fix, self.url, self.extra))

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.range.start.line, self.range.start.column, self.code)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.file,
            "line": self.range.start.line + 1,
            "column": self.range.start.column + 1,
            "end_line": self.range.end.line + 1,
            "end_column": self.range.end.column + 1,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix.to_json() if self.fix else None,
            "url": self.url,
        }


def _flat(span: Range) -> tuple[int, int, int, int]:
    (line, column), (end_line, end_column) = span
    return line, column, end_line, end_column


def _rendered_fix(
    title: str, applicability: Applicability, edits: tuple[tuple[Any, ...], ...]
) -> RenderedFix:
    made = tuple(TextEdit(Range.of(a, b, c, d), text) for a, b, c, d, text in edits)
    return RenderedFix(title, applicability, made)


def _diagnostic(
    file: str,
    line: int,
    column: int,
    end_line: int,
    end_column: int,
    *rest: Any,
) -> Diagnostic:
    return Diagnostic(file, Range.of(line, column, end_line, end_column), *rest)
