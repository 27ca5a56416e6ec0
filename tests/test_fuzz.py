"""Fuzzing: thousands of broken inputs; every one ends in findings or a clean result."""

from __future__ import annotations

import random
from pathlib import Path

from tunelint.config.document import decode
from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, LintResult, fix_text, lint_text

REPO = Path(__file__).resolve().parents[1]
SEEDS = [p.read_text(encoding="utf-8") for p in sorted((REPO / "examples").rglob("*.tune.yaml"))]
OPTIONS = LintOptions(settings=Settings(gpu="A100"))
ALPHABET = "\n\t :-#[]{}&*!|>'\"%@`,?~0123456789abcdefxyz\u00e9\u4e2d\U0001f600\ufeff\x00\r"


def _mutate(rng: random.Random, text: str) -> str:
    choice = rng.randrange(7)
    if choice == 0:  # truncated file
        return text[: rng.randrange(len(text) + 1)]
    if choice == 1:  # random characters spliced in
        out = list(text)
        for _ in range(rng.randint(1, 12)):
            out.insert(rng.randrange(len(out) + 1), rng.choice(ALPHABET))
        return "".join(out)
    if choice == 2:  # lines shuffled / duplicated / dedented
        lines = text.splitlines(keepends=True)
        rng.shuffle(lines) if rng.random() < 0.5 else lines.extend(
            rng.sample(lines, min(3, len(lines)))
        )
        return "".join(line.lstrip() if rng.random() < 0.2 else line for line in lines)
    if choice == 3:  # deep nesting
        depth = rng.randint(50, 3000)
        return rng.choice(
            ["[" * depth, "{a: " * depth, "".join("  " * i + "k:\n" for i in range(depth))]
        )
    if choice == 4:  # alias bomb of random width and depth
        width, depth = rng.randint(2, 12), rng.randint(2, 12)
        out = "a0: &a0 [" + ",".join(["x"] * width) + "]\n"
        for i in range(1, depth):
            out += f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]\n"
        return out
    if choice == 5:  # random bytes through the decoder (wrong encodings)
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
        if rng.random() < 0.3:
            data = text.encode(rng.choice(["utf-16", "latin-1", "utf-32"]), errors="replace")
        decoded, _error = decode(data)
        return decoded if decoded is not None else ""
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 300)))


def test_no_exception_escapes() -> None:
    rng = random.Random(20261128)
    outcomes = {"findings": 0, "clean": 0, "not a config": 0}
    for i in range(4000):
        text = _mutate(rng, rng.choice(SEEDS))
        name = rng.choice(["f.tune.yaml", "f.tune.json", "f.yaml", "f.json"])
        result = lint_text(text, name, OPTIONS)
        assert isinstance(result, LintResult)
        if result.diagnostics:
            outcomes["findings"] += 1
        elif result.is_config:
            outcomes["clean"] += 1
        else:
            outcomes["not a config"] += 1
        assert all(d.code != "TL999" for d in result.diagnostics), (text, result.diagnostics)
        if i % 10 == 0:
            fix_text(text, name, OPTIONS, unsafe=True)
    assert outcomes["findings"] > 1000, outcomes
