"""Every rule, registered once: `@rule` (or `register`) in its module puts it here; the
modules that hold rules are listed below and loaded on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

from tunelint.checks.finding import Severity
from tunelint.checks.rule import ANYWHERE, Applicability, CheckFn, Fixable, Rule, RuleDocs

RULE_MODULES = (
    "tunelint.checks.rules.precision",
    "tunelint.checks.rules.method",
    "tunelint.checks.rules.peft",
    "tunelint.checks.rules.memory",
    "tunelint.checks.rules.ecosystem",
    "tunelint.checks.rules.ecosystem_training",
    "tunelint.checks.rules.security",
    "tunelint.checks.rules.outputs",
    "tunelint.checks.rules.structure",
    "tunelint.checks.rules.references",
    "tunelint.checks.rules.failures",
    "tunelint.checks.rules.practice",
    "tunelint.checks.rules.keys",
    "tunelint.checks.rules.dataset_types",
)


_REGISTERED: dict[str, Rule] = {}


def register(new: Rule) -> Rule:
    """Add a rule to the registry; a second rule under the same code is a bug."""
    known = _REGISTERED.get(new.code)
    if known is not None and known.name != new.name:
        raise RuntimeError(f"rule code {new.code} registered twice ({known.name}, {new.name})")
    _REGISTERED[new.code] = new  # the same rule again: its module was reloaded
    return new


def rule(
    *,
    code: str,
    name: str,
    severity: Severity,
    source: str,
    summary: str,
    docs: RuleDocs,
    fixable: Fixable = "never",
    needs_gpu: bool = False,
    applies_to: Applicability = ANYWHERE,
    may_assume: tuple[str, ...] = (),
) -> Callable[[CheckFn], Rule]:
    """Declare and register a rule around its check function."""

    def wrap(check: CheckFn) -> Rule:
        return register(
            Rule(
                code=code,
                name=name,
                severity=severity,
                source=source,
                summary=summary,
                docs=docs,
                check=check,
                fixable=fixable,
                needs_gpu=needs_gpu,
                applies_to=applies_to,
                may_assume=may_assume,
            )
        )

    return wrap


@cache
def all_rules() -> tuple[Rule, ...]:
    for name in RULE_MODULES:
        try:
            importlib.import_module(name)  # registers the module's rules
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module: surface it
                raise
    return tuple(sorted(_REGISTERED.values(), key=lambda r: r.code))


def get_rule(code: str) -> Rule | None:
    code = code.strip().upper()
    return next((r for r in all_rules() if r.code == code or r.name == code.lower()), None)


def selected(code: str, select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    """ruff-style selection by code or prefix ("TL1", "TL30", "TL301"); ALL selects all."""

    def matches(patterns: tuple[str, ...]) -> int:
        best = -1
        for p in patterns:
            if p == "ALL" or code.startswith(p):
                best = max(best, 0 if p == "ALL" else len(p))
        return best

    chosen = matches(select) if select else 0
    dropped = matches(ignore)
    # The more specific pattern wins, as in ruff: select TL301 beats ignore TL3.
    return chosen >= 0 and chosen > dropped if dropped >= 0 else chosen >= 0
