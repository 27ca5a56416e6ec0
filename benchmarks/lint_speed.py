"""Lint speed: cold start of `tunelint check` on one file, and throughput over 1,000 configs
side by side with yamllint on the same files. Prints numbers; asserts nothing.

    python benchmarks/lint_speed.py [--runs 20] [--files 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ML_MODULES = ("torch", "transformers", "peft", "trl", "accelerate", "datasets", "bitsandbytes")
PROBE = (
    "import sys, runpy; sys.argv = ['tunelint', 'check', '--quiet', {path!r}];\n"
    "try:\n    runpy.run_module('tunelint.cli', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "print('ML:' + ','.join(m for m in {mods!r} if m in sys.modules), file=sys.stderr)"
)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=False)
    return time.perf_counter() - start


def _corpus(folder: Path, count: int) -> None:
    seeds = sorted((REPO / "examples").rglob("*.tune.yaml"))
    rng = random.Random(7)
    gpus = ["A100-80GB", "T4", "RTX 4090", "H100", "L4", "V100"]
    for i in range(count):
        text = seeds[i % len(seeds)].read_text(encoding="utf-8")
        # vary it so that no two files are the same
        text = text.replace("gpu: ", f"gpu: {rng.choice(gpus)} #", 1) if "gpu:" in text else text
        text += f"\n# variant {i}\n" + "".join(f"# note {j}\n" for j in range(rng.randint(0, 20)))
        (folder / f"cfg{i:04d}.tune.yaml").write_text(text, encoding="utf-8")


def _in_process(files: list[str]) -> tuple[float, float]:
    """Per-file cost once both tools are imported: best of 3 passes each."""
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    from tunelint.config.settings import Settings
    from tunelint.lint import LintOptions, lint_text

    texts = [(name, Path(name).read_text(encoding="utf-8")) for name in files]
    options = LintOptions(settings=Settings())
    conf = YamlLintConfig("extends: default")

    from tunelint.knowledge.memory import estimate_memory

    def ours() -> None:
        estimate_memory.cache_clear()  # no credit for estimates cached by an earlier pass
        for name, text in texts:
            lint_text(text, name, options)

    def theirs() -> None:
        for name, text in texts:
            list(linter.run(text, conf, name))

    results = []
    for fn in (ours, theirs):
        fn()  # warm
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        results.append(best)
    return results[0], results[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    one = REPO / "examples" / "rules" / "tl101-fp16-on-ampere.tune.yaml"
    tl = _bin("tunelint")

    _time([tl, "check", str(one)])  # warm the OS file cache
    starts = sorted(_time([tl, "check", "--quiet", str(one)]) for _ in range(args.runs))
    probe = subprocess.run(
        [sys.executable, "-c", PROBE.format(path=str(one), mods=ML_MODULES)],
        capture_output=True,
        text=True,
        check=False,
    )
    loaded = probe.stderr.strip().rsplit("ML:", 1)[-1]
    bare = sorted(_time([sys.executable, "-c", "pass"]) for _ in range(args.runs))
    import_only = sorted(
        _time(
            [
                sys.executable,
                "-c",
                "import pydantic; from pydantic import BaseModel\n"
                "class A(BaseModel):\n    x: int = 1",
            ]
        )
        for _ in range(args.runs)
    )
    yl_start = sorted(_time([_bin("yamllint"), str(one)]) for _ in range(args.runs))
    print(
        f"cold start `tunelint check one.yaml`: median {statistics.median(starts) * 1000:.0f} ms, "
        f"p95 {starts[int(0.95 * (len(starts) - 1))] * 1000:.0f} ms over {args.runs} runs "
        f"(target < 150 ms)"
    )
    print(
        f"  for scale on this machine: bare `python -c pass` {statistics.median(bare) * 1000:.0f} ms, "
        f"python + pydantic + one model {statistics.median(import_only) * 1000:.0f} ms, "
        f"`yamllint one.yaml` {statistics.median(yl_start) * 1000:.0f} ms"
    )
    print(f"ML modules imported on the lint path: {loaded or 'none'}")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _corpus(folder, args.files)
        files = [str(p) for p in sorted(folder.iterdir())]
        ours = min(
            _time([tl, "check", "--quiet", "--format", "json", str(folder)]) for _ in range(3)
        )
        yamllint = _bin("yamllint")
        theirs = min(_time([yamllint, "-f", "parsable", *files]) for _ in range(3))
        print(f"throughput over {args.files} configs (best of 3, whole command):")
        print(f"  tunelint check : {ours:6.2f} s  ({args.files / ours:7.0f} files/s)")
        print(f"  yamllint       : {theirs:6.2f} s  ({args.files / theirs:7.0f} files/s)")
        print(
            f"  ratio          : tunelint is {theirs / ours:.1f}x faster than yamllint (target >= 5x)"
        )
        steady_ours, steady_theirs = _in_process(files)
        print(f"steady state, in one process, one core, after start-up ({args.files} files):")
        print(f"  tunelint lint_text : {steady_ours * 1000 / len(files):6.3f} ms/file")
        print(f"  yamllint linter.run: {steady_theirs * 1000 / len(files):6.3f} ms/file")
        print(f"  ratio              : {steady_theirs / steady_ours:.1f}x")
        print(
            json.dumps(
                {
                    "cold_start_median_ms": round(statistics.median(starts) * 1000),
                    "ml_modules": loaded or None,
                    "tunelint_s": round(ours, 3),
                    "yamllint_s": round(theirs, 3),
                    "ratio": round(theirs / ours, 2),
                    "steady_ratio": round(steady_theirs / steady_ours, 2),
                    "python_bare_ms": round(statistics.median(bare) * 1000),
                    "yamllint_cold_ms": round(statistics.median(yl_start) * 1000),
                }
            )
        )


if __name__ == "__main__":
    main()
