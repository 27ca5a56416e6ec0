"""Fetch the extra review set (benchmarks/extra_review.tsv: real configs that are not in
../shared/corpus) into a folder, each file at the commit the list names, with the list beside
them as MANIFEST.tsv. The files are other projects' and are never committed here.

The `kind` column says where a file comes from: `upstream` (a framework's own example folder) or
`user` (a person's own project that uses the framework); benchmarks/advice_quality.py reports the
two separately. Each file lands at `local_file` (`<dialect>/<flattened path>`, user files with
their `owner__name__` in front so that two projects' `qlora.yml` do not collide).

    .venv/bin/python scripts/fetch_extra_review.py DIR
    .venv/bin/python benchmarks/advice_quality.py --root DIR --verdicts benchmarks/extra_review.json
"""

from __future__ import annotations

import csv
import shutil
import sys
import urllib.request
from pathlib import Path

LIST = Path(__file__).resolve().parent.parent / "benchmarks" / "extra_review.tsv"
RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    target = Path(sys.argv[1])
    with LIST.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        dest = target / row["local_file"]
        if dest.is_file():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        url = RAW.format(**row)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                dest.write_bytes(response.read())
        except OSError as exc:  # URLError and timeouts: say which file, not a traceback
            print(f"{row['local_file']}: cannot fetch {url}: {exc}", file=sys.stderr)
            return 1
    shutil.copyfile(LIST, target / "MANIFEST.tsv")
    print(f"{len(rows)} files in {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
