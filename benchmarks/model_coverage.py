"""How many corpus configs have their model resolved offline (catalog + local folder only).

    python benchmarks/model_coverage.py [CORPUS_DIR]

Reads every file of ../shared/corpus (or CORPUS_DIR) through tunelint's own pipeline (parse,
detect the dialect, map to the Plan) and resolves `model.name` with the network off, an empty
Hugging Face cache and an empty tunelint cache, so the answer is what a fresh machine without
network access gets. Prints the totals and the model ids that stay unresolved, with the reason, and the resolved
models whose memory estimate is skipped (an architecture the estimator cannot model).
Run it against another checkout (PYTHONPATH=/path/to/other/checkout) for a before/after.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):  # PYTHONPATH=<other checkout> measures that one
    sys.path.insert(0, str(REPO))

from tunelint.config.detect import detect_dialect  # noqa: E402
from tunelint.config.document import Mapping, parse_document  # noqa: E402
from tunelint.config.validate import build_plan  # noqa: E402
from tunelint.knowledge import models  # noqa: E402


def model_name(path: Path) -> str | None:
    """The model the config trains, as tunelint reads it (None: no model or not a config)."""
    doc = parse_document(path.read_text(encoding="utf-8", errors="replace"), str(path))
    if doc.errors or not isinstance(doc.root, Mapping):
        return None
    detection = detect_dialect(doc)
    if detection.dialect is None:
        return None
    mapped = detection.dialect.map(doc)
    plan, _ = build_plan(mapped.data, mapped.source_map, detection.name or "")
    if plan is None or plan.model is None:
        return None
    return plan.model.name or None


def main() -> int:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "corpus"
    files = sorted(p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    if not files:
        print(f"no configs under {corpus}")
        return 1
    empty = tempfile.mkdtemp(prefix="tunelint-coverage-")
    os.environ.update(TUNELINT_OFFLINE="1", HF_HUB_OFFLINE="1", TUNELINT_CACHE_DIR=empty)
    os.environ.update(HF_HUB_CACHE=empty, HF_HOME=empty)
    models.hf_cache_dirs = lambda: []  # type: ignore[assignment]  # a fresh machine's cache
    with_model = resolved = 0
    missing: Counter[str] = Counter()
    reasons: dict[str, str] = {}
    unestimated: dict[str, str] = {}
    for path in files:
        name = model_name(path)
        if name is None:
            continue
        with_model += 1
        lookup = models.lookup_model(name, (path.parent,))
        if lookup.spec is not None:
            resolved += 1
            if lookup.spec.estimate_unsupported:
                unestimated[name] = lookup.spec.estimate_unsupported
        else:
            missing[name] += 1
            reasons[name] = lookup.reason or "?"
    print(f"corpus: {corpus} ({len(files)} files, {with_model} name a model)")
    share = resolved / with_model if with_model else 0.0
    print(f"resolved offline (catalog + local): {resolved}/{with_model} ({share:.0%})")
    print(f"unresolved: {with_model - resolved} files, {len(missing)} distinct model ids")
    for name, count in sorted(missing.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {count:3d}  {name}  -- {reasons[name]}")
    print(f"resolved, estimate skipped: {len(unestimated)} model ids")
    for name, why in sorted(unestimated.items()):
        print(f"       {name}  -- {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
