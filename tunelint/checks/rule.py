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
class Applicability:
    """Where a rule's claim holds, as facts of the file: the dialects, the trainer library
    that runs the method, the loader that reads the file, its format, its purpose. An empty
    tuple admits anything; the engine (tunelint.lint) filters, rules never branch on these."""

    dialects: tuple[str, ...] = ()
    trainers: tuple[str, ...] = ()
    loaders: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()  # "yaml" | "json"
    purposes: tuple[str, ...] = ()  # "train" | "evaluate" | "infer" | "merge"
    fragments: bool = True  # False: not on a file that configures only part of a run

    def admits(self, ctx: Context) -> bool:
        facts = ctx.facts
        checks = (
            (self.dialects, ctx.dialect),
            (self.trainers, facts.trainer),
            (self.loaders, facts.loader),
            (self.formats, ctx.format),
            (self.purposes, facts.purpose),
        )
        if any(allowed and value not in allowed for allowed, value in checks):
            return False
        return self.fragments or not facts.fragment

    def describe(self) -> str:
        """One line for the docs ("" when the rule applies everywhere)."""
        parts = [
            f"{label}: {', '.join(values)}"
            for label, values in (
                ("dialects", self.dialects),
                ("trainers", self.trainers),
                ("loaders", self.loaders),
                ("formats", self.formats),
                ("purposes", self.purposes),
            )
            if values
        ]
        if not self.fragments:
            parts.append("not on DeepSpeed/accelerate files alone")
        return "; ".join(parts)


ANYWHERE = Applicability()
# A rule about how a model trains: not on evaluation/inference/merge configs.
TRAINING = Applicability(purposes=("train",))
# ... and only where the file describes a whole run (model and method), not a fragment.
TRAINING_RUN = Applicability(purposes=("train",), fragments=False)


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
    applies_to: Applicability = ANYWHERE
    # What a finding may rest on that tunelint had to assume (a GPU count, a file it could
    # not read, a model it does not know). An error-severity rule declares () — checked over
    # the registry; a finding that names an assumption is downgraded to a warning.
    may_assume: tuple[str, ...] = ()

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
            *(
                ["", f"Applies to: {self.applies_to.describe()}."]
                if self.applies_to.describe()
                else []
            ),
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
