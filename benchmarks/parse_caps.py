"""Cost of hostile inputs under the 1 MiB cap: wall time and peak memory of `tunelint check`
on each, in a fresh process. Prints numbers; asserts nothing.

    python benchmarks/parse_caps.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = (
    "import json, resource, sys, time, runpy\n"
    "sys.argv = ['tunelint', 'check', '--quiet', '--format', 'concise', {path!r}]\n"
    "start = time.perf_counter()\n"
    "try:\n    runpy.run_module('tunelint.cli', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "except Exception as exc:\n    print(f'CRASH {{type(exc).__name__}}: {{exc}}'[:80])\n"
    "took = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print('PROBE ' + json.dumps([took, peak]), file=sys.stderr)"
)


def _inputs() -> dict[str, str]:
    bomb = "a: &a [" + ",".join(["x"] * 10) + "]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]\n"
    return {
        "flow list, 500k items": "a: [" + ",".join(["1"] * 500_000) + "]\n",
        "block mapping, 1 MiB": "".join(f"k{i}: {i}\n" for i in range(75_000)),
        "one 1 MiB line": "a: " + "x" * 1_000_000 + "\n",
        "alias bomb, 10^9": bomb,
        "5,000-digit integer": "training:\n  epochs: " + "9" * 5000 + "\n",
        "deep flow nesting": "[" * 5000 + "]" * 5000 + "\n",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, text in _inputs().items():
            path = Path(tmp) / "input.yaml"
            path.write_text(text)
            times, peaks = [], []
            for _ in range(args.runs):
                out = subprocess.run(
                    [sys.executable, "-c", PROBE.format(path=str(path))],
                    capture_output=True,
                    text=True,
                    cwd=tmp,
                    check=False,
                )
                line = next(x for x in out.stderr.splitlines() if x.startswith("PROBE "))
                took, peak = json.loads(line[6:])
                times.append(took)
                peaks.append(peak / 1024)
            finding = out.stdout.splitlines()[0][:90] if out.stdout else "(nothing)"
            rows.append(
                {
                    "input": label,
                    "bytes": len(text.encode()),
                    "median_s": round(statistics.median(times), 3),
                    "peak_mb": round(max(peaks), 1),
                    "first_line": finding,
                }
            )
    for row in rows:
        print(
            f"{row['input']:<24} {row['bytes'] / 1024:8.0f} KiB  {row['median_s']:7.3f} s  "
            f"{row['peak_mb']:7.1f} MB  {row['first_line']}"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
