"""Lint speed: cold start of `tunelint check` on one file, the modules that start-up spends
its time in, and whole-command throughput over 1,000 real configs side by side with
yamllint on the same files in the same run. Prints numbers; asserts nothing.

    python benchmarks/lint_speed.py [--runs 20] [--files 1000] [--corpus ../shared/corpus]
                                    [--cold-only]

Cold start is measured twice: from this checkout (an editable install: `site` runs its
import finder at every start) and from a wheel installed into a temporary virtual
environment, as users run it.

The 1,000 files are the real configs of ../shared/corpus (every YAML/JSON file it lists),
copied tree by tree into a temporary folder until there are enough, so that related files
(a DeepSpeed JSON named by a trainer config) keep their relative paths.

CPU time is user+sys of the child and everything it waited for (its worker processes), from
getrusage(RUSAGE_CHILDREN) deltas; wall time is what a user waits. On a shared, loaded
machine wall time swings with the load; CPU time much less. Children run with bytecode
caching on (into a temporary PYTHONPYCACHEPREFIX, warmed first), as an installed package
runs; PYTHONDONTWRITEBYTECODE in the calling environment would otherwise make every run
compile tunelint from source.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
ML_MODULES = ("torch", "transformers", "peft", "trl", "accelerate", "datasets", "bitsandbytes")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
PIP = (sys.executable, "-m", "pip")
PROBE = (
    "import sys, runpy; sys.argv = ['tunelint', 'check', '--quiet', {path!r}];\n"
    "try:\n    runpy.run_module('tunelint.cli', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "print('ML:' + ','.join(m for m in {mods!r} if m in sys.modules), file=sys.stderr)"
)


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + sys of the child and its waited-for descendants


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(cmd: list[str], env: dict[str, str]) -> Timing:
    cpu = _cpu()
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=False, env=env)
    return Timing(time.perf_counter() - start, _cpu() - cpu)


def _child_env(pycache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _runs(cmd: list[str], env: dict[str, str], count: int) -> list[Timing]:
    _time(cmd, env)  # warm: bytecode cache and OS file cache
    return [_time(cmd, env) for _ in range(count)]


def _summary(label: str, timings: list[Timing]) -> dict[str, float]:
    walls = [t.wall for t in timings]
    cpus = [t.cpu for t in timings]
    print(
        f"  {label:<34} wall median {_ms(statistics.median(walls)):>4} ms "
        f"(min {_ms(min(walls))}, max {_ms(max(walls))}); "
        f"CPU median {_ms(statistics.median(cpus)):>4} ms (min {_ms(min(cpus))})"
    )
    return {
        "wall_median_ms": round(statistics.median(walls) * 1000),
        "wall_min_ms": round(min(walls) * 1000),
        "cpu_median_ms": round(statistics.median(cpus) * 1000),
        "cpu_min_ms": round(min(cpus) * 1000),
    }


def _importtime(path: Path, env: dict[str, str], top: int) -> list[tuple[int, int, str]]:
    """(cumulative us, self us, module) of the slowest imports of one `tunelint check`."""
    cmd = [sys.executable, "-X", "importtime", _bin("tunelint"), "check", "--quiet", str(path)]
    err = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env).stderr
    rows: list[tuple[int, int, str]] = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, total, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(total), int(own), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(
        p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in CONFIG_SUFFIXES
    )


def build_folder(corpus: Path, folder: Path, count: int) -> list[Path]:
    """`count` real configs: whole copies of the corpus tree, then part of one more."""
    seeds = corpus_files(corpus)
    if not seeds:
        raise SystemExit(f"no configs under {corpus}")
    written: list[Path] = []
    copy = 0
    while len(written) < count:
        for seed in seeds[: count - len(written)]:
            target = folder / f"copy{copy:02d}" / seed.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(seed, target)
            written.append(target)
        copy += 1
    return written


def _in_process(files: list[Path]) -> tuple[float, float]:
    """Per-file CPU once both tools are imported, in this process: best of 3 passes each."""
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    texts = [(str(p), p.read_text(encoding="utf-8")) for p in files]
    conf = YamlLintConfig("extends: default")
    ours = _lint_pass(texts)

    def theirs() -> None:
        for name, text in texts:
            if not name.endswith(".json"):
                list(linter.run(text, conf, name))

    return _best(ours), _best(theirs)


def _lint_pass(texts: list[tuple[str, str]]) -> Callable[[], None]:
    from tunelint.config.settings import Settings
    from tunelint.lint import LintOptions, lint_text

    options = LintOptions(settings=Settings())

    def ours() -> None:
        for name, text in texts:
            lint_text(text, name, options)

    return ours


def _best(fn: Callable[[], None]) -> float:
    fn()  # warm
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _distinct_in_process(corpus: Path, folder: Path) -> tuple[int, float]:
    """Per-file CPU over each corpus config once, in a fresh folder: the 1,000 files repeat
    the corpus, and what tunelint caches across files (option-table views, plain-value
    readings) must not be what makes the figure."""
    files = build_folder(corpus, folder, len(corpus_files(corpus)))
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in files]
    return len(texts), _best(_lint_pass(texts))


def throughput(
    args: argparse.Namespace, env: dict[str, str], tmp: Path, tl: str, yl: str
) -> dict[str, object]:
    """Whole `tunelint check` over `args.files` real configs beside yamllint (CPU and wall,
    best of 3 each), and per-file CPU in one process."""
    folder = tmp / "configs"
    files = build_folder(args.corpus, folder, args.files)
    yaml_count = sum(1 for p in files if p.suffix != ".json")
    print(
        f"throughput over {len(files)} real configs from {args.corpus} "
        f"(yamllint reads the {yaml_count} YAML ones; best of 3, whole command; "
        f"load average {os.getloadavg()[0]:.2f}):"
    )
    check = [tl, "check", "--quiet", "--format", "json", str(folder)]
    ours = min((_time(check, env) for _ in range(3)), key=lambda t: t.cpu)
    single = min((_time([*check, "-j", "1"], env) for _ in range(3)), key=lambda t: t.cpu)
    theirs = min(
        (_time([yl, "-f", "parsable", str(folder)], env) for _ in range(3)),
        key=lambda t: t.cpu,
    )
    print(f"                  {'CPU':>8} {'wall':>8}")
    print(f"  tunelint check  {ours.cpu:7.2f}s {ours.wall:7.2f}s  (one worker per core)")
    print(f"  ... -j 1        {single.cpu:7.2f}s {single.wall:7.2f}s  (one process)")
    print(f"  yamllint        {theirs.cpu:7.2f}s {theirs.wall:7.2f}s")
    print(
        f"  yamllint/tunelint: CPU {theirs.cpu / ours.cpu:.1f}x, wall "
        f"{theirs.wall / ours.wall:.1f}x (target: CPU >= 5x); one process: CPU "
        f"{theirs.cpu / single.cpu:.1f}x, wall {theirs.wall / single.wall:.1f}x"
    )
    steady_ours, steady_theirs = _in_process(files)
    distinct, steady_distinct = _distinct_in_process(args.corpus, tmp / "distinct")
    print(f"steady state in one process after start-up ({len(files)} files, CPU):")
    print(f"  tunelint lint_text : {steady_ours * 1000 / len(files):6.3f} ms/file")
    print(f"  ... {distinct} distinct: {steady_distinct * 1000 / distinct:6.3f} ms/file")
    print(f"  yamllint linter.run: {steady_theirs * 1000 / yaml_count:6.3f} ms/YAML file")
    return {
        "files": len(files),
        "load_average_throughput": round(os.getloadavg()[0], 2),
        "tunelint_cpu_s": round(ours.cpu, 3),
        "tunelint_wall_s": round(ours.wall, 3),
        "yamllint_cpu_s": round(theirs.cpu, 3),
        "yamllint_wall_s": round(theirs.wall, 3),
        "cpu_ratio": round(theirs.cpu / ours.cpu, 2),
        "single_cpu_s": round(single.cpu, 3),
        "single_wall_s": round(single.wall, 3),
        "single_cpu_ratio": round(theirs.cpu / single.cpu, 2),
        "wall_ratio": round(theirs.wall / ours.wall, 2),
        "steady_ms_per_file": round(steady_ours * 1000 / len(files), 3),
        "steady_distinct_ms_per_file": round(steady_distinct * 1000 / distinct, 3),
        "yamllint_steady_ms_per_file": round(steady_theirs * 1000 / yaml_count, 3),
        "load_average_end": round(os.getloadavg()[0], 2),
    }


def installed_tunelint(folder: Path) -> Path | None:
    """`tunelint` installed from a wheel into a fresh virtual environment, as users run it:
    no editable-install finder on start-up. Its dependencies come from this environment
    (a .pth line naming its site-packages). None when the wheel cannot be built."""
    source = folder / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "*.egg-info", "node_modules", "__pycache__", ".ruff_cache"
        ),
    )
    wheels = folder / "wheels"
    built = subprocess.run(
        [*PIP, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    wheel = next(wheels.glob("tunelint-*.whl"), None) if built.returncode == 0 else None
    if wheel is None:
        print(f"  (no wheel: {built.stderr.strip()[-300:]})")
        return None
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Install before the dependencies' folder joins: pip would take this environment's
    # editable install for the same package and skip it.
    bare = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [*PIP, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        env=bare,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=bare,
    ).stdout.strip()
    Path(purelib, "tunelint-benchmark-deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    return venv / "bin" / "tunelint"


def cold_start(args: argparse.Namespace, env: dict[str, str], tmp: Path) -> dict[str, object]:
    """`tunelint check one.yaml` from a cold process: this checkout (editable install) and
    a wheel install, beside yamllint and a bare interpreter; -X importtime's top entries."""
    report: dict[str, object] = {}
    native = REPO / "examples" / "quickstart.tune.yaml"
    foreign = next(p for p in corpus_files(args.corpus) if "axolotl" in p.parts)
    tl, yl = _bin("tunelint"), _bin("yamllint")
    print(f"cold start, {args.runs} runs each (target: `tunelint check one.yaml` < 150 ms):")
    for label, path in (("native", native), ("axolotl (corpus)", foreign)):
        timings = _runs([tl, "check", "--quiet", str(path)], env, args.runs)
        report[f"cold_{label.split()[0]}"] = _summary(f"tunelint check {label}", timings)
    wheel_tl = installed_tunelint(tmp / "wheel")
    if wheel_tl is not None:
        # Without PYTHONPATH: the wheel's copy runs, not this checkout.
        wheel_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        for label, path in (("native", native), ("axolotl", foreign)):
            timings = _runs([str(wheel_tl), "check", "--quiet", str(path)], wheel_env, args.runs)
            report[f"cold_wheel_{label}"] = _summary(f"  wheel install, {label}", timings)
    report["cold_yamllint"] = _summary(
        "yamllint one.yaml", _runs([yl, str(native)], env, args.runs)
    )
    report["cold_python"] = _summary(
        "python -c pass", _runs([sys.executable, "-c", "pass"], env, args.runs)
    )
    probe = subprocess.run(
        [sys.executable, "-c", PROBE.format(path=str(native), mods=ML_MODULES)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    loaded = probe.stderr.strip().rsplit("ML:", 1)[-1]
    print(f"  ML modules imported on the lint path: {loaded or 'none'}")
    report["ml_modules"] = loaded or None
    print(f"slowest imports of `tunelint check {native.name}` (-X importtime, cumulative):")
    for total, own, name in _importtime(native, env, args.top):
        print(f"  {total / 1000:7.1f} ms  (self {own / 1000:5.1f})  {name}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--top", type=int, default=12, help="importtime entries to show")
    parser.add_argument(
        "--cold-only", action="store_true", help="measure the cold start only (no throughput)"
    )
    args = parser.parse_args()
    report: dict[str, object] = {}
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as pycache, tempfile.TemporaryDirectory() as tmp:
        env = _child_env(pycache)
        report.update(cold_start(args, env, Path(tmp)))
        if not args.cold_only and args.files > 0:
            tools = (_bin("tunelint"), _bin("yamllint"))
            report.update(throughput(args, env, Path(tmp), *tools))
    report["load_average_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
