"""Structure: rules the pipeline itself emits while reading a file (no check function)."""

from __future__ import annotations

from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import register
from tunelint.checks.rule import Rule, RuleDocs
from tunelint.config.plan_edits import RenameKey
from tunelint.config.validate import Problem, ProblemKind

SOURCE = "tunelint (file structure)"

register(
    Rule(
        code="TL900",
        name="syntax-error",
        severity="error",
        source=SOURCE,
        summary="The file is not valid YAML/JSON (or not text)",
        docs=RuleDocs(
            what="YAML or JSON syntax errors, undecodable bytes, binary content, unsupported tags.",
            why="A trainer would stop at load time; tunelint points at the spot first.",
            example="model:\n  name: [unclosed",
            fix="Correct the syntax at the reported position.",
            fix_safety="No automatic fix.",
        ),
    )
)
UNKNOWN_KEY = register(
    Rule(
        code="TL901",
        name="unknown-key",
        severity="error",
        source=SOURCE,
        summary="A key the format does not have",
        fixable="sometimes",
        docs=RuleDocs(
            what="A key that is not part of the tunelint format at that place, with a "
            "did-you-mean when a known key is close.",
            why="A misspelt key is silently ignored by most trainers: `lerning_rate: 1e-5` trains "
            "with the default learning rate.",
            example="training:\n  lerning_rate: 1.0e-5",
            fix="Rename the key to the suggestion.",
            fix_safety="Unsafe: the value starts to take effect.",
        ),
    )
)
INVALID_VALUE = register(
    Rule(
        code="TL902",
        name="invalid-value",
        severity="error",
        source=SOURCE,
        summary="A value of the wrong type or outside the allowed set",
        docs=RuleDocs(
            what="Values that do not fit the field: wrong type, not one of the allowed choices, "
            "out of range.",
            why="The run would fail at start-up, or worse, coerce the value into something else.",
            example="precision: float16",
            fix="Use one of the allowed values (the message lists them).",
            fix_safety="No automatic fix.",
        ),
    )
)
MISSING_FIELD = register(
    Rule(
        code="TL903",
        name="missing-field",
        severity="error",
        source=SOURCE,
        summary="A required field is missing",
        docs=RuleDocs(
            what="A required key such as `model.name` or `data.train` is absent.",
            why="There is nothing to train without it.",
            example="model:\n  max_seq_len: 2048",
            fix="Add the field.",
            fix_safety="No automatic fix.",
        ),
    )
)
register(
    Rule(
        code="TL904",
        name="duplicate-key",
        severity="warning",
        source=SOURCE,
        summary="The same key twice in one mapping",
        docs=RuleDocs(
            what="A key repeated in the same mapping.",
            why="YAML loaders keep only the last value without a word: the first line looks "
            "effective but is not.",
            example="precision: fp16\nprecision: bf16",
            fix="Delete the line you do not mean.",
            fix_safety="No automatic fix.",
        ),
    )
)
register(
    Rule(
        code="TL905",
        name="input-limit",
        severity="error",
        source=SOURCE,
        summary="The file exceeds what a config can be",
        docs=RuleDocs(
            what="Files over 1 MiB, aliases expanding past 50,000 nodes (alias bombs), recursive "
            "aliases, nesting deeper than 200 levels.",
            why="No training config is that large; such input is either a mistake or an attack "
            "on tools that read it, and tunelint answers in milliseconds instead of hanging.",
            example="a: &a [x, x, x]\nb: &b [*a, *a, *a]\n# ... nine levels deep",
            fix="Not a config: exclude the file.",
            fix_safety="No automatic fix.",
        ),
    )
)
register(
    Rule(
        code="TL906",
        name="unknown-gpu",
        severity="warning",
        source=SOURCE,
        summary="A GPU name tunelint does not know",
        docs=RuleDocs(
            what="`hardware.gpu`, `--gpu` or the `gpu` setting names no GPU in the catalog.",
            why="GPU-dependent rules (precision, memory, RLHF size) stay silent without a known GPU.",
            example="hardware:\n  gpu: A1000",
            fix="Use a catalog name (`tunelint rules` lists rules; completion lists GPUs), e.g. "
            "`A100-80GB`, `RTX 4090`, `T4`.",
            fix_safety="No automatic fix.",
        ),
    )
)
register(
    Rule(
        code="TL907",
        name="no-gpu",
        # A hint, not info: it is about the check, not the config (editors show it faintly,
        # as ruff/yamllint show nothing for rules they skip).
        severity="hint",
        source=SOURCE,
        summary="No GPU known: GPU-dependent rules skipped",
        docs=RuleDocs(
            what="Neither the config, `--gpu`, the project settings nor detection name a GPU.",
            why="Precision, memory and RLHF-size rules depend on the GPU; they stay silent "
            "rather than guess.",
            example="model:\n  name: Qwen/Qwen2.5-7B\n# no hardware.gpu",
            fix='Set `hardware.gpu` (native format), `gpu = "A100-80GB"` under '
            "`[tool.tunelint]` in pyproject.toml or tunelint.toml, or pass `--gpu`.",
            fix_safety="No automatic fix.",
        ),
    )
)
register(
    Rule(
        code="TL910",
        name="suppression-without-reason",
        severity="warning",
        source=SOURCE,
        summary="An ignore comment without a reason",
        docs=RuleDocs(
            what="`# tunelint: ignore[...]` with no reason after it, or with no codes.",
            why="The reason is the point: it records why this config departs from the advice "
            "(and is how formats without a `reason` field state one).",
            example="precision: fp16  # tunelint: ignore[TL103]",
            fix="Add the reason: `# tunelint: ignore[TL103] T4 has no bf16`.",
            fix_safety="No automatic fix.",
        ),
    )
)
register(
    Rule(
        code="TL911",
        name="unused-suppression",
        severity="warning",
        source=SOURCE,
        summary="An ignore comment that suppresses nothing",
        docs=RuleDocs(
            what="An ignore comment whose code does not fire on its line or the next.",
            why="Stale suppressions hide future findings and mislead readers.",
            example="precision: bf16  # tunelint: ignore[TL101] legacy",
            fix="Delete the comment.",
            fix_safety="No automatic fix.",
        ),
    )
)
register(
    Rule(
        code="TL999",
        name="internal-error",
        severity="warning",
        source=SOURCE,
        summary="A rule, a format reader or a fix failed on this file",
        docs=RuleDocs(
            what="A rule, the format's reader or the rendering of a fix raised an exception; "
            "the other rules still ran (a failed fix leaves its finding without the fix).",
            why="A bug in tunelint, reported instead of crashing.",
            example="# any input",
            fix="Report it with the file.",
            fix_safety="No automatic fix.",
        ),
    )
)

# Structural problems found while building the Plan (tunelint.config.validate) -> their rule.
PROBLEM_RULES: dict[ProblemKind, Rule] = {
    "unknown-key": UNKNOWN_KEY,
    "invalid-value": INVALID_VALUE,
    "missing-field": MISSING_FIELD,
}


def problem_finding(problem: Problem) -> Finding:
    """The finding for a structural problem (a misspelt key gets a rename fix)."""
    fix = None
    if problem.rename_to is not None:
        title = f"Rename to `{problem.rename_to}`"
        fix = Fix(title, "unsafe", (RenameKey(problem.path, problem.rename_to),))
    code = PROBLEM_RULES[problem.kind].code
    return Finding(problem.message, problem.path, fix, range=problem.range, code=code)
