"""Output folder: where a run writes, and what it may replace there."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding
from tunelint.checks.registry import rule
from tunelint.checks.rule import TRAINING, RuleDocs
from tunelint.knowledge.output_dirs import relative_reaches_up, unsafe_output_reason

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

OUTPUT_DIR = ("output", "dir")


def _home() -> PurePath | None:
    # Path.home() reads these variables (else the password database): cached per their values.
    return _home_for(os.environ.get("HOME"), os.environ.get("USERPROFILE"))


@lru_cache(maxsize=8)
def _home_for(_home: str | None, _profile: str | None) -> PurePath | None:
    try:
        return PurePath(os.path.normpath(Path.home()))
    except RuntimeError:  # no home folder known (a bare container user)
        return None


@lru_cache(maxsize=256)
def _folder(folder: str, _cwd: str) -> PurePath:
    """A config folder, absolute and normalised: once per folder (and working folder, which
    a relative one is read from: part of the cache key), not once per config in it."""
    return PurePath(os.path.normpath(os.path.abspath(folder)))


def _reason(raw: str, config_file: Path | None, native: bool) -> str | None:
    """Read `output.dir` as `tunelint run` does: relative to the config's folder."""
    folder = str(config_file.parent) if config_file is not None else None
    cwd = os.getcwd() if folder is not None and not os.path.isabs(folder) else ""
    environ = os.environ
    return _reason_in(raw, folder, native, cwd, environ.get("HOME"), environ.get("USERPROFILE"))


@lru_cache(maxsize=1024)
def _reason_in(
    raw: str, folder: str | None, native: bool, _cwd: str, _home_: str | None, _profile: str | None
) -> str | None:
    """`_reason` for one value in one folder: a pure function of its arguments (the working
    folder and the home variables are in the key), so a folder of configs that share an
    output path asks once."""
    expanded = os.path.expanduser(raw)
    home = _home()
    if not os.path.isabs(expanded):
        if relative_reaches_up(expanded):
            # Other trainers read it from the folder they are launched in.
            base = "the config's folder" if native else "the folder the trainer starts in"
            if os.path.normpath(expanded) == ".":
                return "it is the config's own folder" if native else f"it is {base}"
            return f"it is a parent of {base}"
        if folder is None:
            return None
    config_dir = None
    if folder is not None:
        config_dir = _folder(folder, _cwd)
    absolute = os.path.join(str(config_dir), expanded) if config_dir else expanded
    return unsafe_output_reason(PurePath(os.path.normpath(absolute)), config_dir, home)


@rule(
    code="TL603",
    name="unsafe-output-dir",
    severity="error",
    applies_to=TRAINING,  # an evaluation or inference config writes no checkpoints there
    source="security",
    summary="The output folder is the project, a parent of it, home, / or a system folder",
    docs=RuleDocs(
        what="`output.dir` (any format) that resolves to the config's own folder (`.`), a "
        "parent of it (`..`), the home folder (`~`), the filesystem root, a system folder "
        "(`/etc`, `/usr`, ...) or a hidden folder directly in home, `/` or the config's folder "
        "(`~/.ssh`, `.git`). Relative "
        "paths are read as `tunelint run` reads them: from the config's folder.",
        why="A run writes README.md, config.json, tokenizer files and checkpoints into its "
        "output folder, replacing files of the same name; there they overwrite the "
        "project's own files. `tunelint run` refuses such a folder even with `--overwrite` "
        "or `--force`. In other formats the trainer reads a relative path from the folder "
        "it is launched in, usually the project: there the finding is a warning.",
        example="output:\n  dir: .",
        fix="Give each run its own folder below the project, e.g. `output.dir: runs/sft-v1`.",
        fix_safety="No automatic fix: the right folder name is the user's choice.",
    ),
)
def unsafe_output_dir(plan: Plan, ctx: Context) -> Iterator[Finding]:
    native = ctx.facts.paths_from_config_folder  # `tunelint run` reads it so
    reason = _reason(plan.output.dir, ctx.file, native)
    if reason is None:
        return
    # Only `tunelint run` (the native format's trainer) is certain to refuse it.
    severity = None if native else "warning"
    yield Finding(
        f"output.dir {plan.output.dir!r} is unsafe: {reason}; a run would write over files "
        "there. Use a folder of its own, e.g. runs/<name>",
        OUTPUT_DIR,
        severity=severity,
    )
