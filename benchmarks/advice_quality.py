"""Advice quality: how often tunelint is wrong on real configs, per setting.

Lints every file of ../shared/corpus (or of another reviewed set) with no GPU, with
`--gpu A100-80GB` and with `--gpu "RTX 4090"`, looks each finding up in the reviewed verdicts
(TRUE / DEBATABLE / FALSE, written by a person: tests/dialects/corpus_expectations.json for the
corpus) and prints, per setting:

- false positives per 10 files (target <= 0.5),
- the share of error-severity findings judged TRUE (target >= 90%),
- findings per rule, split by verdict; findings without a verdict are counted as unreviewed.

    .venv/bin/python benchmarks/advice_quality.py
    .venv/bin/python benchmarks/advice_quality.py --root DIR --verdicts FILE   # another set

Another set is a folder with a MANIFEST.tsv (`local_file`, `repo`, `path`, `commit`, optionally
`kind`) and a verdicts file of the corpus expectations' shape; benchmarks/extra_review.json reviews
configs that are not in the corpus, 42 from upstream example folders and 76 from user repositories
(fetch them with `scripts/fetch_extra_review.py DIR`); with a `kind` column the figures are printed
for the whole set and again for each kind.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_spec = importlib.util.spec_from_file_location("corpus_review", REPO / "scripts/corpus_review.py")
assert _spec is not None and _spec.loader is not None
review = importlib.util.module_from_spec(_spec)
sys.modules["corpus_review"] = review
_spec.loader.exec_module(review)


def report(title: str, names: list[str], seen: list, index: dict) -> None:
    """Per setting: findings, FALSE, FP per 10 files, error findings judged TRUE; then per rule."""
    names_set = set(names)
    seen = [s for s in seen if s.file in names_set]
    print(f"{title}: {len(names)} files\n")
    print(
        f"{'setting':<11} {'findings':>8} {'FALSE':>6} {'FP/10 files':>11} "
        f"{'errors':>6} {'errors TRUE':>11} {'unreviewed':>10}"
    )
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for setting in review.SETTINGS:
        rows = [s for s in seen if s.setting == setting]
        verdict = {
            s: index.get((s.file, s.setting, s.code, s.line), {}).get("verdict", "UNREVIEWED")
            for s in rows
        }
        false = sum(v == "FALSE" for v in verdict.values())
        errors = [s for s in rows if s.severity == "error"]
        true_errors = sum(verdict[s] == "TRUE" for s in errors)
        share = (
            f"{true_errors}/{len(errors)} {100 * true_errors / len(errors):.0f}%"
            if errors
            else "n/a"
        )
        unreviewed = sum(v == "UNREVIEWED" for v in verdict.values())
        fp10 = 10 * false / len(names) if names else 0.0
        print(
            f"{setting:<11} {len(rows):>8} {false:>6} {fp10:>11.2f} "
            f"{len(errors):>6} {share:>11} {unreviewed:>10}"
        )
        for s in rows:
            per_rule[s.code][verdict[s]] += 1
    print("\nfindings per rule (all settings): TRUE / DEBATABLE / FALSE / unreviewed")
    for code in sorted(per_rule):
        total = per_rule[code]
        print(
            f"  {code}: {total['TRUE']:>4} / {total['DEBATABLE']:>4} / {total['FALSE']:>4} / "
            f"{total['UNREVIEWED']:>4}"
        )
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=review.CORPUS)
    parser.add_argument("--verdicts", type=Path, default=review.EXPECTATIONS)
    args = parser.parse_args()
    review.offline_environment()
    verdicts = review.load(args.verdicts)
    rows = review.manifest(args.root)
    names = [row["local_file"] for row in rows]
    index = review.verdict_index(verdicts)
    seen = list(review.lint_corpus([args.root / n for n in names], args.root))
    report(f"all files under {args.root}", names, seen, index)
    # A reviewed set may say where each file comes from (extra_review.tsv: upstream / user).
    kinds = sorted({row["kind"] for row in rows if row.get("kind")})
    if len(kinds) > 1:
        for kind in kinds:
            report(
                f"kind = {kind}",
                [r["local_file"] for r in rows if r.get("kind") == kind],
                seen,
                index,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
