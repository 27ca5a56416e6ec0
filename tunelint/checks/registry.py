"""Every rule, registered in one place. Rule modules expose `RULES`; list new modules here."""

from __future__ import annotations

import importlib
from functools import cache

from tunelint.checks.rule import Rule

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
)


@cache
def all_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for name in RULE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module: surface it
                raise
            continue
        rules.extend(module.RULES)
    codes = [r.code for r in rules]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        raise RuntimeError(f"rule codes registered twice: {sorted(duplicates)}")
    return tuple(sorted(rules, key=lambda r: r.code))


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
