"""A rule: one declarative unit (code, name, severity, source, docs, check) — the docs are the
single source for `tunelint explain`, hover, the README rule table and the docs links."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tunelint.checks.finding import Finding, Severity

if TYPE_CHECKING:
    from tunelint.checks.context import Context
    from tunelint.config.plan import Plan

DOCS_URL = "https://github.com/tunelint/tunelint/blob/main/docs/rules.md"

CheckFn = Callable[["Plan", "Context"], Iterable[Finding]]
Fixable = Literal["always", "sometimes", "never"]


@dataclass(frozen=True, slots=True)
class RuleDocs:
    """Fixed headings, as ruff's rule docs: what, why, example, fix, fix safety."""

    what: str
    why: str
    example: str
    fix: str
    fix_safety: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    source: str  # article section or external reference
    summary: str
    docs: RuleDocs
    check: CheckFn | None = None  # None: emitted by the pipeline (structure, suppressions)
    fixable: Fixable = "never"
    needs_gpu: bool = False

    @property
    def url(self) -> str:
        return f"{DOCS_URL}#{self.code.lower()}-{self.name}"

    def markdown(self, level: int = 2) -> str:
        """The rule's documentation as Markdown (explain, hover, README)."""
        h = "#" * level
        sub = "#" * (level + 1)
        parts = [
            f"{h} {self.code} {self.name}",
            "",
            f"*{self.summary}* — default severity **{self.severity}**; "
            f"fix: {self.fixable}; source: {self.source}.",
            "",
            f"{sub} What it checks",
            self.docs.what.strip(),
            "",
            f"{sub} Why",
            self.docs.why.strip(),
            "",
            f"{sub} Example",
            "```yaml",
            self.docs.example.strip("\n"),
            "```",
            "",
            f"{sub} Fix",
            self.docs.fix.strip(),
            "",
            f"{sub} Fix safety",
            self.docs.fix_safety.strip(),
        ]
        if self.docs.references:
            parts += ["", f"{sub} References", *[f"- {ref}" for ref in self.docs.references]]
        return "\n".join(parts) + "\n"
