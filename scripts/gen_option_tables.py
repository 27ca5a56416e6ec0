"""Regenerate tunelint/knowledge/data/options/<framework>.json from the frameworks' own source.

    python scripts/gen_option_tables.py                 # download pinned releases, write tables
    python scripts/gen_option_tables.py --offline       # use only archives already downloaded
    python scripts/gen_option_tables.py --check         # exit 1 when a table is out of step

Each pinned release (scripts/option_tables/pins.py) is fetched with
`pip download --no-deps` into the wheel folder and read with `ast`; nothing is imported or
installed. The tables of a framework's releases are merged into one file whose keys carry
the version that added, deprecated, renamed or removed them, and a hash of the content and
the generator version (tests/knowledge/test_options_tables.py checks it)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.option_tables.frameworks import EXTRACTORS, PLACEHOLDERS  # noqa: E402
from scripts.option_tables.history import merge  # noqa: E402
from scripts.option_tables.pins import GENERATOR_VERSION, PINS  # noqa: E402
from scripts.option_tables.sources import Archive, fetch  # noqa: E402
from tunelint.knowledge.options import DATA_DIR, table_digest  # noqa: E402
from tunelint.knowledge.version_specs import version_tuple  # noqa: E402

WHEELS = Path(
    os.environ.get("TUNELINT_OPTION_WHEELS", Path(tempfile.gettempdir()) / "tunelint-option-wheels")
)


def build(framework: str, wheels: Path, offline: bool) -> dict[str, Any]:
    """The merged, hashed table of one framework."""
    per_version = {}
    requires: dict[str, dict[str, str]] = {}
    for version in PINS[framework]:
        archive = Archive(fetch(wheels, framework, version, offline))
        per_version[version] = EXTRACTORS[framework](archive)
        # The other frameworks it requires (TRL -> transformers), for their default version.
        pinned = {k: v for k, v in archive.requires().items() if k in PINS and k != framework}
        if pinned:
            requires[version] = pinned
    table: dict[str, Any] = {"framework": framework, "generator": GENERATOR_VERSION}
    table.update(merge(per_version))
    if requires:
        table["requires"] = requires
    if framework in PLACEHOLDERS:
        table["placeholders"] = PLACEHOLDERS[framework]
    table["sha256"] = table_digest(table)
    return table


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def _valid_at(info: dict[str, Any], version: str) -> bool:
    v = version_tuple(version)
    if "added" in info and v < version_tuple(info["added"]):
        return False
    return "removed" not in info or v < version_tuple(info["removed"])


def summary(table: dict[str, Any]) -> str:
    per_version = ", ".join(
        f"{v}: {sum(_valid_at(i, v) for s in table['sections'].values() for i in s['keys'].values())}"
        for v in table["versions"]
    )
    lines = [f"{table['framework']}: keys per release (all sections) {per_version}"]
    for name, section in table["sections"].items():
        keys = section["keys"]
        added = sum(1 for k in keys.values() if "added" in k)
        removed = sum(1 for k in keys.values() if "removed" in k)
        renamed = sum(1 for k in keys.values() if "renamed_to" in k)
        lines.append(
            f"  {name}: {len(keys)} keys ({added} added, {removed} removed, {renamed} renamed"
            f" over the pinned releases); unknown keys: {section['unknown']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("frameworks", nargs="*", default=sorted(PINS), help="default: all")
    parser.add_argument("--wheels", type=Path, default=WHEELS, help=f"default: {WHEELS}")
    parser.add_argument("--offline", action="store_true", help="do not download")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    stale = []
    for framework in args.frameworks:
        table = build(framework, args.wheels, args.offline)
        path = args.out / f"{framework}.json"
        text = render(table)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(summary(table))
    for path in stale:
        print(f"{path}: out of step with scripts/gen_option_tables.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
