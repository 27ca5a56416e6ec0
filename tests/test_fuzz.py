"""Fuzzing: thousands of broken inputs; every one ends in findings or a clean result."""

from __future__ import annotations

import random
import re
from pathlib import Path

from tunelint.config.document import decode
from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, LintResult, fix_text, lint_text

REPO = Path(__file__).resolve().parents[1]
SEEDS = [p.read_text(encoding="utf-8") for p in sorted((REPO / "examples").rglob("*.tune.yaml"))]
OPTIONS = LintOptions(settings=Settings(gpu="A100"))
ALPHABET = "\n\t :-#[]{}&*!|>'\"%@`,?~0123456789abcdefxyz\u00e9\u4e2d\U0001f600\ufeff\x00\r"


def _line_breaks(rng: random.Random, text: str) -> str:
    """LSP line ends (CR-only, CRLF) and the characters only YAML 1.1 breaks lines at, inside
    quoted values (where both readers accept them)."""
    odd = rng.choice(["\u2028", "\x85", "\u2029"])
    text = re.sub(r'"([^"\n]*)"', lambda m: f'"{m.group(1)}{odd}"', text)
    text = re.sub(r"'([^'\n]*)'", lambda m: f"'{odd}{m.group(1)}'", text)
    return text.replace("\n", rng.choice(["\r", "\r\n", "\n"]))


def _huge(rng: random.Random, text: str) -> str:
    """Scalars past every limit: 5,000-digit integers, 100,000-character strings."""
    value = rng.choice(["9" * 5000, "-" + "1" * 4400, "0x" + "f" * 6000, "x" * 100_000])
    lines = text.split("\n")
    at = rng.randrange(len(lines))
    if ":" in lines[at]:
        lines[at] = lines[at].split(":")[0] + ": " + value
    return "\n".join(lines)


def _mutate(rng: random.Random, text: str) -> str:
    choice = rng.randrange(9)
    if choice == 7:
        return _line_breaks(rng, text)
    if choice == 8:
        return _huge(rng, text)
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
    fixes_checked = 0
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
            fixes_checked += _check_fix(text, name, result)
    assert outcomes["findings"] > 1000, outcomes
    assert fixes_checked > 20, fixes_checked  # the fix properties ran on real fixes


_UNREADABLE = {"TL900", "TL905"}


def _check_fix(text: str, name: str, before: LintResult) -> int:
    """What fix_text returns: text that still parses (a fix never breaks a readable file),
    with every LSP line break kept, and a fixed point (a second pass changes nothing)."""
    fixed = fix_text(text, name, OPTIONS, unsafe=True)
    if fixed.text == text:
        return 0
    readable = not any(d.code in _UNREADABLE for d in before.diagnostics)
    after = lint_text(fixed.text, name, OPTIONS)
    if readable:
        assert not any(d.code in _UNREADABLE for d in after.diagnostics), (text, fixed.text)
    for line_break in ("\r\n", "\u2028", "\x85", "\u2029"):
        assert text.count(line_break) <= fixed.text.count(line_break), (text, fixed.text)
    again = fix_text(fixed.text, name, OPTIONS, unsafe=True)
    assert again.text == fixed.text, (text, fixed.text, again.text)
    return 1


def test_symlink_trees_end_and_list_each_real_file_once(tmp_path: Path) -> None:
    """Random trees of folders, files and links (to parents, siblings, themselves)."""
    from tunelint.commands.check import collect

    rng = random.Random(20261129)
    for case in range(30):
        root = tmp_path / f"t{case}"
        folders = [root]
        root.mkdir()
        for i in range(rng.randint(1, 6)):
            folder = rng.choice(folders) / f"d{i}"
            folder.mkdir()
            folders.append(folder)
        real_files = set()
        for i in range(rng.randint(1, 6)):
            path = rng.choice(folders) / f"f{i}.yaml"
            path.write_text("a: 1\n")
            real_files.add(path.resolve())
        for i in range(rng.randint(1, 10)):
            link = rng.choice(folders) / f"l{i}"
            target = rng.choice([*folders, *real_files, link])
            link.symlink_to(target)
        files, missing = collect([str(root)], [])
        resolved = [Path(f).resolve() for f in files]
        assert missing == [] and len(resolved) == len(set(resolved))
        assert set(resolved) == real_files
