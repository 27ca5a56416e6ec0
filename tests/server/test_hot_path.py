"""The lint's hot path (issue 9.6) kept behaviour-identical: the shortcuts taken for the
server's per-keystroke lint give the same answers as the long way round."""

from __future__ import annotations

import random

import yaml

from tunelint.config import document
from tunelint.config.document import MAX_NODES, parse_document
from tunelint.config.positions import LineIndex
from tunelint.config.secrets import TOKEN_PATTERNS, secret_kind

PIECES = [
    "a", "b: c", "- x", "-", "? k", ": v", "[", "]", "{", "}", ",", "*r", "&r z", "!t y",
    "'q: ,'", '"d"', "|", ">", "# c: -", "---", "...", "~", "\n", "\n  ", "\n    ", " ",
    "1", "0x1f", ".inf", "k:", "[a, b]", "{a, b: c}", "- - n", "? - s",
]  # fmt: skip


def _events(text: str) -> int:
    """Node events the parser yields before it ends or fails (what `_count_nodes` counts)."""
    count = 0
    try:
        for event in yaml.parse(text, Loader=document._Loader):
            if isinstance(event, document._NODE_EVENTS):
                count += 1
    except yaml.YAMLError:
        pass
    return count


def test_the_value_bound_never_undercounts() -> None:
    rng = random.Random(96)
    parsed = 0
    for _ in range(4000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
        events = _events(text)
        parsed += events > 0
        assert events <= document._most_values(text), text
    assert parsed > 1000  # most samples produced values: the bound was really tested


def test_a_text_over_the_value_cap_is_still_refused() -> None:
    for text in (
        "x: [" + ",".join("1" for _ in range(60_000)) + "]\n",
        "{" + ", ".join(f"k{i}" for i in range(30_000)) + "}\n",
        "".join("-\n" for _ in range(60_000)),
    ):
        assert _events(text) > MAX_NODES
        codes = [e.code for e in parse_document(text, "big.yaml").errors]
        assert codes == ["TL905"], codes[:3]


def test_secret_prefilter_finds_what_each_pattern_finds() -> None:
    values = [
        "hf_" + "a" * 34,
        "sk-ant-" + "b" * 30,
        "sk-proj-" + "c" * 30,
        "ghp_" + "d" * 36,
        "github_pat_" + "e" * 40,
        "AKIA" + "A" * 16,
        "ASIA" + "B" * 16,
        "model.layers.0.self_attn.q_proj",
        "xhf_" + "a" * 34,
        "hf_short",
    ]
    for value in values:
        expected = next((label for label, p in TOKEN_PATTERNS if p.search(value)), None)
        got = secret_kind(("name",), value)
        assert got == expected, value
    assert secret_kind(("hub_token",), "abcdefghijklmnopqrstuvwxyz") == "credential in `hub_token`"
    assert secret_kind(("max_tokens",), "4096") is None


def _slow_suppressions(text: str) -> list[tuple[int, tuple[str, ...], str]]:
    index = LineIndex(text)
    out = []
    for number in range(index.line_count):
        line = index.line_text(number)
        m = document._SUPPRESSION.search(line)
        if m is not None:
            codes = tuple(c.strip().upper() for c in (m.group(1) or "").split(",") if c.strip())
            out.append((number, codes, m.group(2).strip()))
    return out


def test_suppressions_found_on_every_line_that_has_them() -> None:
    text = (
        "# tunelint benchmark, tunelint twice on a line\n"
        "a: 1  # tunelint: ignore[TL101] reason one\r"
        "b: 2 # tunelint: ignore[tl102, TL103]  # tunelint: ignore second\r\n"
        "c: tunelint\n"
        "# tunelint: ignore\n"
        "d: 3  # tunelint: ignore[TL104] last line, no break"
    )
    found = [(s.line, s.codes, s.reason) for s in parse_document(text, "x.yaml").suppressions]
    assert found == _slow_suppressions(text)
    assert [line for line, _, _ in found] == [1, 2, 4, 5]
