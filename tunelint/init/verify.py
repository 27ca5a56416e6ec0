"""Lint what `tunelint init` is about to write, exactly as `tunelint check` will read it (the
config and its companion files in a scratch folder, linted from disk), then write it: never
over a different existing file without `force`, never a config with findings."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tunelint.checks.finding import Diagnostic
from tunelint.init.decide import Decision
from tunelint.init.writers import companion_files, write_config
from tunelint.lint import LintResult, lint_file


def rendered_files(decision: Decision, name: str, fmt: str | None = None) -> dict[str, str]:
    """Every file `tunelint init` writes for `decision`: config name -> text, then companions."""
    return {name: write_config(decision, fmt), **companion_files(decision, fmt)}


def lint_rendered(files: dict[str, str], name: str) -> LintResult:
    """Lint `name` among `files` as they would be on disk."""
    with tempfile.TemporaryDirectory(prefix="tunelint-init-") as folder:
        for file, text in files.items():
            path = Path(folder) / file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return lint_file(Path(folder) / name)


def findings_of(decision: Decision, name: str, fmt: str | None = None) -> list[Diagnostic]:
    """The diagnostics `tunelint check` would report on the written config (none expected)."""
    return lint_rendered(rendered_files(decision, name, fmt), name).diagnostics


class NotWritten(Exception):
    """Nothing was written; the message says why (a file in the way, findings)."""


def write_decision(decision: Decision, output: Path, *, force: bool = False) -> list[Path]:
    """Write the config to `output` and its companions beside it; the paths written."""
    files = rendered_files(decision, output.name)
    targets = {output.parent / name: text for name, text in files.items()}
    # A file already holding exactly this text (a shared tunelint.toml) is not in the way.
    existing = [
        str(path)
        for path, text in targets.items()
        if path.exists() and (not path.is_file() or path.read_bytes() != text.encode())
    ]
    if existing and not force:
        raise NotWritten(f"{', '.join(existing)} exists; nothing written (--force overwrites)")
    findings = lint_rendered(files, output.name).diagnostics
    if findings:  # a decision the rules disagree with is a bug here, not the user's problem
        listed = "; ".join(f"{d.code} {d.message}" for d in findings)
        raise NotWritten(f"the config would not pass `tunelint check`: {listed}")
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(targets)
