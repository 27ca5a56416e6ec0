"""The reviewed findings on ../shared/corpus: lint every file in three settings and keep a
verdict per finding.

The corpus test (tests/dialects/test_corpus.py) and `benchmarks/advice_quality.py` read the same
expectations file, tests/dialects/corpus_expectations.json:

    {"files": {"<local_file>": [{"code": "TL301", "line": 1, "settings": ["none", ...],
                                 "severity": "warning", "verdict": "TRUE", "why": "...",
                                 "message": "..."}]}}

A finding is identified by (file, setting, code, line). `--update` re-lints and writes the file
again, keeping the verdict of every finding that is still reported and marking new ones
UNREVIEWED (the corpus test fails on those until a person writes a verdict and a reason).

    .venv/bin/python scripts/corpus_review.py --update      # after a rule or dialect change
    .venv/bin/python scripts/corpus_review.py --unreviewed  # list what needs a verdict
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
EXPECTATIONS = REPO / "tests" / "dialects" / "corpus_expectations.json"
# The three settings a new user tries: no GPU named, a large data-centre GPU, a 24 GB card.
SETTINGS: dict[str, str | None] = {"none": None, "A100-80GB": "A100-80GB", "RTX 4090": "RTX 4090"}
VERDICTS = ("TRUE", "DEBATABLE", "FALSE")


@dataclass(frozen=True)
class Seen:
    """One finding tunelint gives on a corpus file in one setting."""

    file: str
    setting: str
    code: str
    line: int
    severity: str
    message: str


def manifest(corpus: Path = CORPUS) -> list[dict[str, str]]:
    """MANIFEST.tsv rows (local_file, repo, path, commit, license, dialect_expected, note)."""
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def acceptable_dialects(row: dict[str, str]) -> set[str | None]:
    """What detection may answer for a row: its expected dialect, or also `none` where the
    note says "X or none acceptable". `none` means tunelint must not claim the file."""
    expected = row["dialect_expected"]
    allowed: set[str | None] = {None if expected == "none" else expected}
    if "or none acceptable" in row.get("note", ""):
        allowed.add(None)
    # The manifest names the framework; a schema version of it has its own dialect.
    from tunelint.config.dialects import entries

    allowed |= {e.name for e in entries() if e.name.startswith(f"{expected}-v")}
    return allowed


def offline_environment() -> None:
    """Model look-ups from the catalog only: no network, no machine-local HF cache."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TUNELINT_OFFLINE"] = "1"
    import tunelint.knowledge.models as models

    models.hf_cache_dirs = lambda: []  # type: ignore[assignment]


def lint_corpus(files: list[Path], root: Path) -> Iterator[Seen]:
    """Every finding on `files` (paths under `root`) in each of the three settings."""
    from tunelint.config.settings import Settings
    from tunelint.lint import LintOptions, lint_file

    for setting, gpu in SETTINGS.items():
        options = LintOptions(settings=Settings(), gpu=gpu)
        for path in files:
            result = lint_file(path, options)
            for d in result.diagnostics:
                line = d.range.start.line + 1 if Path(d.file).resolve() == path.resolve() else 0
                name = str(path.relative_to(root))
                yield Seen(name, setting, d.code, line, d.severity, d.message)


def load(path: Path = EXPECTATIONS) -> dict[str, list[dict[str, Any]]]:
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["files"]


def verdict_index(files: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, str, str, int], dict]:
    """(file, setting, code, line) -> the reviewed entry."""
    index = {}
    for name, entries in files.items():
        for entry in entries:
            for setting in entry["settings"]:
                index[(name, setting, entry["code"], entry["line"])] = entry
    return index


def merge(seen: list[Seen], names: list[str], old: dict[str, list[dict[str, Any]]]) -> dict:
    """New expectations: one entry per (file, code, line, verdict, why), settings merged."""
    index = verdict_index(old)
    grouped: dict[tuple[str, str, int, str, str], dict[str, Any]] = {}
    for s in seen:
        before = index.get((s.file, s.setting, s.code, s.line))
        verdict = before["verdict"] if before else "UNREVIEWED"
        why = before["why"] if before else ""
        key = (s.file, s.code, s.line, verdict, why)
        entry = grouped.setdefault(
            key,
            {
                "code": s.code,
                "line": s.line,
                "settings": [],
                "severity": s.severity,
                "verdict": verdict,
                "why": why,
                "message": s.message[:200],
            },
        )
        if s.setting not in entry["settings"]:
            entry["settings"].append(s.setting)
    files: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for (name, *_), entry in grouped.items():
        files[name].append(entry)
    for entries in files.values():
        entries.sort(key=lambda e: (e["line"], e["code"], e["settings"]))
    return files


def write(files: dict[str, list[dict[str, Any]]], path: Path = EXPECTATIONS) -> None:
    about = (
        "Every finding tunelint gives on ../shared/corpus, per setting (no GPU, --gpu A100-80GB, "
        "--gpu 'RTX 4090'; no project settings, no Hugging Face cache, offline), with a reviewed "
        "verdict: TRUE (right), DEBATABLE (defensible either way), FALSE (wrong), and why. "
        "Regenerate with scripts/corpus_review.py --update; verdicts of unchanged findings are "
        "kept, new ones are UNREVIEWED until a person reviews them."
    )
    text = json.dumps({"_about": about, "files": files}, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="re-lint and rewrite expectations")
    parser.add_argument("--unreviewed", action="store_true", help="list findings with no verdict")
    parser.add_argument(
        "--root",
        type=Path,
        default=CORPUS,
        help="a reviewed set with a MANIFEST.tsv (default: corpus)",
    )
    parser.add_argument("--expectations", type=Path, default=EXPECTATIONS, help="its verdicts file")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    offline_environment()
    names = [row["local_file"] for row in manifest(args.root)]
    if args.update:
        seen = list(lint_corpus([args.root / n for n in names], args.root))
        write(merge(seen, names, load(args.expectations)), args.expectations)
    files = load(args.expectations)
    todo = [(n, e) for n, entries in files.items() for e in entries if e["verdict"] not in VERDICTS]
    if args.unreviewed or args.update:
        for name, entry in todo:
            print(
                f"{name}:{entry['line']}: {entry['code']} [{entry['severity']}] "
                f"{','.join(entry['settings'])}: {entry['message']}"
            )
    print(f"{sum(map(len, files.values()))} entries, {len(todo)} unreviewed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
