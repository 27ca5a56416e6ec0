"""Project settings: `[tool.tunelint]` in pyproject.toml or a `tunelint.toml`, found by walking
up from the linted file. They supply facts a config format cannot hold (the GPU) and choose
which rules run."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tunelint.config import file_state

SEVERITIES = ("error", "warning", "info", "hint")


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Settings:
    gpu: str | None = None
    gpu_count: int | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dialects: dict[str, str] = field(default_factory=dict)  # glob -> dialect name
    include: tuple[str, ...] = ()
    # The Plan's `intent` for formats that cannot state it (axolotl, LLaMA-Factory, ...).
    intent: dict[str, Any] = field(default_factory=dict)
    # `[tool.tunelint.versions]`: framework -> the version its configs are written for.
    versions: dict[str, str] = field(default_factory=dict)
    offline: bool = False  # no Hugging Face Hub look-ups for unknown models
    root: Path | None = None  # folder of the settings file; globs are relative to it
    source: Path | None = None

    def relative(self, path: Path) -> str:
        try:
            base = self.root or Path.cwd()
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def ignored_for(self, path: Path | None) -> tuple[str, ...]:
        if path is None or not self.per_file_ignores:
            return ()
        rel = self.relative(path)
        codes: list[str] = []
        for pattern, ignored in self.per_file_ignores.items():
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path.name, pattern):
                codes.extend(ignored)
        return tuple(codes)

    def dialect_for(self, path: Path | None) -> str | None:
        if path is None or not self.dialects:
            return None
        rel = self.relative(path)
        for pattern, name in self.dialects.items():
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path.name, pattern):
                return name
        return None

    def merged(self, **overrides: Any) -> Settings:
        """These settings with command-line / editor values on top (None leaves a value)."""
        given = {k: v for k, v in overrides.items() if not (v is None or v == () or v == {})}
        if not given:  # most lints: the settings as they are (they are immutable)
            return self
        values = {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]
        for key, value in given.items():
            if key == "severity":
                value = {**self.severity, **value}
            values[key] = value
        return Settings(**values)


def _codes(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{where}: expected a list of rule codes")
    return tuple(v.strip().upper() for v in value)


def settings_from_table(table: dict[str, Any], source: Path) -> Settings:
    where = str(source)
    known = {
        "gpu",
        "gpu-count",
        "gpu_count",
        "select",
        "ignore",
        "severity",
        "per-file-ignores",
        "per_file_ignores",
        "dialects",
        "include",
        "intent",
        "versions",
        "offline",
    }
    unknown = sorted(set(table) - known)
    if unknown:
        raise SettingsError(
            f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )
    severity = table.get("severity", {})
    if not isinstance(severity, dict) or any(v not in SEVERITIES for v in severity.values()):
        raise SettingsError(f"{where}: severity maps codes to one of {', '.join(SEVERITIES)}")
    pfi = table.get("per-file-ignores", table.get("per_file_ignores", {}))
    if not isinstance(pfi, dict):
        raise SettingsError(f"{where}: per-file-ignores maps globs to lists of codes")
    gpu_count = table.get("gpu-count", table.get("gpu_count"))
    if gpu_count is not None and (not isinstance(gpu_count, int) or gpu_count < 1):
        raise SettingsError(f"{where}: gpu-count must be a positive integer")
    gpu = table.get("gpu")
    if gpu is not None and not isinstance(gpu, str):
        raise SettingsError(f'{where}: gpu must be a string such as "A100-80GB"')
    intent = table.get("intent", {})
    if not isinstance(intent, dict):
        raise SettingsError(f"{where}: intent is a table (goal, tasks, priority, schedule_days)")
    dialects = table.get("dialects", {})
    if not isinstance(dialects, dict):
        raise SettingsError(f"{where}: dialects maps globs to dialect names")
    versions = table.get("versions", {})
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise SettingsError(f'{where}: versions maps frameworks to version strings (trl = "0.18")')
    offline = table.get("offline", False)
    if not isinstance(offline, bool):
        raise SettingsError(f"{where}: offline is true or false")
    return Settings(
        offline=offline,
        gpu=gpu,
        gpu_count=gpu_count,
        select=_codes(table.get("select", []), f"{where}: select"),
        ignore=_codes(table.get("ignore", []), f"{where}: ignore"),
        severity={k.upper(): v for k, v in severity.items()},
        per_file_ignores={k: _codes(v, f"{where}: per-file-ignores") for k, v in pfi.items()},
        dialects={str(k): str(v) for k, v in dialects.items()},
        include=tuple(table.get("include", ())),
        intent=dict(intent),
        versions={str(k).lower(): v for k, v in versions.items()},
        root=source.parent,
        source=source,
    )


def _read_toml(path: Path, needs: str | None = None) -> dict[str, Any]:
    """The file's tables; {} without parsing when the text lacks `needs` (a pyproject.toml
    that never mentions tunelint holds no settings of ours: most projects, most folders)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read settings: {exc}") from exc
    if needs is not None and needs not in text:
        return {}
    try:  # imported only for a file that is parsed
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: cannot read settings: {exc}") from exc


@lru_cache(maxsize=256)
def _settings_in(directory: Path) -> Settings | None:
    own = directory / "tunelint.toml"
    if own.is_file():
        data = _read_toml(own)
        return settings_from_table(data.get("tool", {}).get("tunelint", data), own)
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        data = _read_toml(pyproject, needs="tunelint")
        table = data.get("tool", {}).get("tunelint")
        if table is not None:
            return settings_from_table(table, pyproject)
    return None


def find_settings(start: Path | None) -> Settings:
    """The nearest settings walking up from `start` (a file or folder); defaults if none."""
    start = start or Path.cwd()
    # A linted file's folder: the walk up is cached per folder (a repo has few of them).
    folder = start if file_state.is_dir(start) else start.parent
    return _settings_from(str(folder))


@lru_cache(maxsize=1024)
def _settings_from(folder: str) -> Settings:
    directory = Path(folder).resolve()
    for candidate in (directory, *directory.parents):
        found = _settings_in(candidate)
        if found is not None:
            return found
    return Settings()


def clear_settings_cache() -> None:
    """Forget cached settings files (the server calls this when one changes)."""
    _settings_in.cache_clear()
    _settings_from.cache_clear()
