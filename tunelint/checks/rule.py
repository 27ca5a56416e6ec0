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

# What each severity promises (docs/rules.md "Severity"; tests/checks/test_applicability.py).
SEVERITY_DOC = """\
## Severity

- **error**: the run will fail (a trainer refuses the config, a value it cannot take) or
  cannot fit, on any reading of the config. An error never rests on a fact tunelint had to
  assume.
- **warning**: very likely wrong or wasteful: fp16 on a GPU that has bf16, RLHF under 80 GB,
  keys the trainer no longer reads. The pre-commit hooks fail on warnings
  (`--fail-on warning`), so what the article forbids stops a commit unless it is fixed or
  suppressed with a reason (`# tunelint: ignore[CODE] why`).
- **info**: advice and opinions (the article's table preferences, usual hyper-parameter
  ranges).
- **hint**: context about the check itself (TL907: no GPU was named, so the GPU rules were
  skipped); editors show it faintly and `--fail-on` never counts it by default.

A finding that depends on a fact tunelint had to assume — the GPU count (1 unless the config,
`--gpu-count` or `[tool.tunelint]` states it), a file it could not find, what trains when a
method trains only part of the model — is reported as a warning at most, and its message
ends with what was assumed, e.g. `(assuming 1 GPU)`. Each rule declares the facts it may
assume (`may_assume`), and the engine refuses a finding that names an undeclared one.

Each rule also declares where it applies (its dialects, the trainer library that runs the
method, the loader that reads the file, the file format, and the file's purpose: training,
evaluation, inference or merging); the engine runs it only there. Evaluation, inference and
merge configs get no training findings.
"""

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
            *(
                [
                    "",
                    f"May rest on an assumption ({', '.join(self.may_assume)}): such a "
                    "finding names what it assumed and is never reported as an error.",
                ]
                if self.may_assume
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
