"""Which rules run on a file, computed once per combination of the facts that decide it.

The engine (tunelint.lint) runs a rule where it is selected, where its `Applicability`
admits the file and, for a GPU rule, where a GPU is known. Those depend on a handful of
facts, and a folder of configs has few combinations of them: the filter runs once per
combination instead of once per rule and file."""

from __future__ import annotations

from functools import cache

from tunelint.checks.context import Context
from tunelint.checks.registry import all_rules, get_rule, selected
from tunelint.checks.rule import Rule

# Every fact `Applicability.admits` reads, by the Applicability field that tests it
# (tests/checks/test_engine.py keeps this in step with the dataclass).
ADMITS_READS = {
    "dialects": lambda ctx: ctx.dialect,
    "trainers": lambda ctx: ctx.facts.trainer,
    "loaders": lambda ctx: ctx.facts.loader,
    "formats": lambda ctx: ctx.format,
    "purposes": lambda ctx: ctx.facts.purpose,
    "fragments": lambda ctx: ctx.facts.fragment,
}
_Key = tuple[object, ...]
_RUNNABLE: dict[_Key, tuple[tuple[Rule, ...], tuple[Rule, ...]]] = {}
_MAX_KEYS = 512


def runnable(rules: tuple[Rule, ...], ctx: Context, has_gpu: bool) -> tuple[Rule, ...]:
    """The rules of `rules` to run on the file `ctx` describes, in their order."""
    select, ignore = ctx.settings.select, ctx.settings.ignore
    key = (id(rules), select, ignore, has_gpu, *(read(ctx) for read in ADMITS_READS.values()))
    found = _RUNNABLE.get(key)
    if found is not None and found[0] is rules:  # the same tuple, not one at its address
        return found[1]
    chosen = tuple(
        rule
        for rule in rules
        if rule.check is not None
        and (has_gpu or not rule.needs_gpu)
        and selected(rule.code, select, ignore)
        and rule.applies_to.admits(ctx)  # the rule describes this framework, loader, purpose
    )
    if len(_RUNNABLE) >= _MAX_KEYS:
        _RUNNABLE.clear()
    _RUNNABLE[key] = (rules, chosen)
    return chosen


@cache
def _by_code() -> dict[str, Rule]:
    return {rule.code: rule for rule in all_rules()}


def rule_for(code: str) -> Rule | None:
    """The registered rule of a finding's code (a dict look-up; `get_rule` also takes names
    and stray spacing)."""
    return _by_code().get(code) or get_rule(code)
