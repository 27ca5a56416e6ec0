"""Dialect readers never fail on odd values: every value of every example (top level and one
level down) replaced by values of the wrong type, one at a time, still lints without an
internal error (TL999)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "dialects"
FILES = sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yml", ".yaml", ".json"))
ODD_VALUES = [None, [], {}, "", "auto", 0, -1, 1.5, True, False, ["a", 1], {"a": {"b": None}}]
OPTIONS = LintOptions(settings=Settings(), gpu="A100-80GB")


def _variants(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    is_json = path.suffix == ".json"
    data = json.loads(text) if is_json else yaml.safe_load(text)
    out: list[str] = []
    dump = json.dumps if is_json else lambda d: yaml.safe_dump(d, sort_keys=False)
    for key, value in data.items():
        for odd in ODD_VALUES:
            out.append(dump({**data, key: odd}))
            if isinstance(value, dict):  # one level down: `zero_optimization.stage`, ...
                for inner in value:
                    out.append(dump({**data, key: {**value, inner: odd}}))
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_odd_values_never_break_a_reader(path: Path) -> None:
    variants = _variants(path)
    assert len(variants) > 1, path  # the loop below has something to check
    for text in variants:
        result = lint_text(text, str(path), OPTIONS)
        codes = {d.code for d in result.diagnostics}
        assert "TL999" not in codes, (text, [d.message for d in result.diagnostics])


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_truncated_files_never_break_a_reader(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    assert len(lines) > 1, path  # the loop below has something to check
    for end in range(1, len(lines)):
        result = lint_text("".join(lines[:end]), str(path), OPTIONS)
        assert "TL999" not in {d.code for d in result.diagnostics}
