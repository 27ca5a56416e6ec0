"""The rule engine: one registry, codes stamped by the engine, a failing rule contained."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tunelint.checks import registry
from tunelint.checks.context import Context
from tunelint.checks.finding import Finding
from tunelint.checks.rule import Rule, RuleDocs
from tunelint.config.plan import Plan
from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_text

DOCS = RuleDocs(what="w", why="w", example="x: 1", fix="f", fix_safety="s")
CONFIG = "model:\n  name: Qwen/Qwen2.5-0.5B\nmethod:\n  kind: sft\n"


def _rule(code: str, name: str, *found: Finding) -> Rule:
    def check(plan: Plan, ctx: Context) -> Iterator[Finding]:
        yield from found

    return Rule(code, name, "warning", "test", "s", DOCS, check)


def test_every_rule_is_registered_once_under_its_code() -> None:
    rules = registry.all_rules()
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes)) and len(codes) > 30
    assert registry.get_rule("TL510") is next(r for r in rules if r.code == "TL510")


def test_a_second_rule_under_a_known_code_is_refused() -> None:
    with pytest.raises(RuntimeError, match="TL510 registered twice"):
        registry.register(_rule("TL510", "something-else"))


def test_the_engine_stamps_codes_and_contains_a_rule_that_claims_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    honest = _rule("TL510", "removed-trainer-key", Finding("plain", ("model", "name")))
    liar = _rule("TL511", "yaml11-number-string", Finding("claims", code="TL101"))
    monkeypatch.setattr("tunelint.lint.all_rules", lambda: (honest, liar))
    result = lint_text(CONFIG, "x.tune.yaml", LintOptions(settings=Settings(), gpu="A100-80GB"))
    found = sorted((d.code, d.message) for d in result.diagnostics)
    assert found == [
        ("TL510", "plain"),
        ("TL999", "rule TL511 failed: ValueError: a finding of rule TL511 claims code TL101"),
    ]


def test_parse_findings_obey_selection_except_unreadable_input() -> None:
    duplicate = "model:\n  name: x\n  name: y\n"
    codes = [
        d.code
        for d in lint_text(duplicate, "a.tune.yaml", LintOptions(settings=Settings())).diagnostics
    ]
    assert "TL904" in codes
    only = LintOptions(settings=Settings(), select=("TL601",))
    assert [d.code for d in lint_text(duplicate, "a.tune.yaml", only).diagnostics] == []
    broken = "# tunelint\nmodel: [unclosed\n"
    assert [d.code for d in lint_text(broken, "a.tune.yaml", only).diagnostics] == ["TL900"]


def test_a_finding_written_the_old_way_fails_loudly() -> None:
    with pytest.raises(TypeError, match="message first"):
        Finding("TL101", ("precision",))  # type: ignore[arg-type]


def test_the_rule_filter_is_keyed_on_every_fact_applicability_reads() -> None:
    from dataclasses import fields

    from tunelint.checks.engine import ADMITS_READS
    from tunelint.checks.rule import Applicability

    assert set(ADMITS_READS) == {f.name for f in fields(Applicability)}


def test_cached_rule_filter_matches_a_fresh_one_per_file() -> None:
    from dataclasses import replace as with_facts

    from tunelint.checks.engine import runnable

    rules = registry.all_rules()

    def fresh(ctx: Context, has_gpu: bool) -> list[str]:
        return [
            r.code
            for r in rules
            if r.check is not None
            and (has_gpu or not r.needs_gpu)
            and registry.selected(r.code, ctx.settings.select, ctx.settings.ignore)
            and r.applies_to.admits(ctx)
        ]

    result = lint_text(CONFIG, "x.tune.yaml", LintOptions(settings=Settings(), gpu="A100-80GB"))
    ctx = result.context
    assert ctx is not None
    variants = [
        ctx,
        with_facts(ctx, facts=with_facts(ctx.facts, purpose="evaluate")),
        with_facts(ctx, dialect="axolotl", format="json"),
        with_facts(ctx, settings=Settings(ignore=("TL5",))),
        with_facts(ctx, facts=with_facts(ctx.facts, fragment=True)),
    ]
    seen = set()
    for variant in variants * 2:  # the second round reads the cache
        for has_gpu in (True, False):
            codes = [r.code for r in runnable(rules, variant, has_gpu)]
            assert codes == fresh(variant, has_gpu)
            seen.add(tuple(codes))
    assert len(seen) >= 5  # the variants do change which rules run
