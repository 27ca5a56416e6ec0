"""The framework version a config is written for.

In order: project settings (`[tool.tunelint.versions] trl = "0.18"`), then the nearest
requirements*.txt, pyproject.toml (`[project]` dependencies and optional dependencies,
`[tool.poetry]` dependencies) or setup.py (`install_requires`) that names the framework,
walking up from the config; else the newest release the option tables know.

A requirement pins exactly with `==1.2.3` (or `==1.2.*`). A range (`>=`, `~=`, `<`, `!=`)
resolves to the newest release of the option table that the range allows: the version pip
would install today, as far as tunelint knows releases; when no known release fits (a range
above the tables' newest), the range's own lower bound. A bare name resolves to the newest
known release. Pre-release and local tags are dropped (`1.0.0rc1` reads as 1.0.0)."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tunelint.config import file_state
from tunelint.knowledge.version_specs import CLAUSE, version_from_spec, version_tuple

__all__ = ["ResolvedVersion", "resolve_version", "version_from_spec", "version_tuple"]

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


@dataclass(frozen=True, slots=True)
class ResolvedVersion:
    framework: str
    version: str
    source: str  # where it came from, for messages: a file, "settings", or "newest known"
    # True for a settings entry or an `==` pin. A version chosen from a range or the newest
    # known one is an assumption: a finding resting on it is never an error (house policy).
    exact: bool = False


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _requirement(line: str, package: str) -> str | None:
    """The specifier of `line` when it requires `package` ("" for a bare name), else None."""
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    match = _REQUIREMENT.match(line)
    if match is None or _normal(match.group(1)) != _normal(package):
        return None
    return match.group(3).strip()


def _pyproject_requirements(path: Path) -> list[str]:
    try:  # imported here: only a folder with a pyproject.toml needs it
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    project = data.get("project", {})
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    for group in data.get("dependency-groups", {}).values():
        lines.extend(x for x in group if isinstance(x, str))
    poetry = data.get("tool", {}).get("poetry", {})
    for name, value in poetry.get("dependencies", {}).items():
        version = value.get("version", "") if isinstance(value, dict) else str(value)
        # Poetry's ^1.2 and 1.2.* read as >=1.2 and ==1.2.*; a bare "1.2" is ==1.2.
        if version.startswith("^"):
            version = ">=" + version[1:]
        elif version and version[0].isdigit():
            version = "==" + version
        lines.append(f"{name} {version}")
    return [x for x in lines if isinstance(x, str)]


def _setup_requirements(path: Path) -> list[str]:
    """`install_requires=[...]` string literals of a setup.py (read, never run)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("install_requires", "extras_require"):
            for item in ast.walk(node.value):
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    out.append(item.value)
    return out


@lru_cache(maxsize=4096)
def _folder_requirements(folder: str) -> tuple[tuple[Path, list[str]], ...]:
    """One folder's requirement files, read once: every config below it (and every package
    asked about) walks up through the same folders."""
    return tuple(_requirement_lines(Path(folder)))


def _requirement_lines(directory: Path) -> list[tuple[Path, list[str]]]:
    found: list[tuple[Path, list[str]]] = []
    for path in sorted(directory.glob("requirements*.txt")):
        try:
            found.append((path, path.read_text(encoding="utf-8").splitlines()))
        except (OSError, UnicodeDecodeError):
            continue
    if (directory / "pyproject.toml").is_file():
        found.append(
            (directory / "pyproject.toml", _pyproject_requirements(directory / "pyproject.toml"))
        )
    if (directory / "setup.py").is_file():
        found.append((directory / "setup.py", _setup_requirements(directory / "setup.py")))
    return found


@lru_cache(maxsize=1024)
def _declared(package: str, folder: str) -> tuple[str, str] | None:
    """(specifier, file) of the nearest requirement of `package` walking up from `folder`."""
    directory = Path(folder)
    for candidate in (directory, *directory.parents):
        for path, lines in _folder_requirements(str(candidate)):
            for line in lines:
                spec = _requirement(line, package)
                if spec is not None:
                    return spec, str(path)
    return None


@lru_cache(maxsize=1024)
def _real_folder(folder: str) -> str:
    """The folder with links resolved (as `Path.resolve`), once per folder: every config
    in it asks, once per framework its keys are judged against."""
    return os.path.realpath(folder)


def _known_versions(framework: str) -> tuple[str, ...]:
    # Imported here: knowledge/ reads config/ elsewhere, so config/ must not import it at
    # module level (no import circle); the option table is read only when a range needs it.
    from tunelint.knowledge.option_files import known_versions

    try:
        return known_versions(framework)
    except KeyError:
        return ()


def resolve_version(
    framework: str, config_path: Path | None, settings: Any = None
) -> ResolvedVersion | None:
    """The version of `framework` the config at `config_path` is written for (module
    docstring); None when nothing states one and no option table knows the framework.

    `settings` is the config's `Settings` (its `versions` mapping wins)."""
    stated = getattr(settings, "versions", None) or {}
    # `llama-factory`, `LLaMA_Factory` and `llamafactory` name the same framework.
    pinned = next((v for k, v in stated.items() if _squash(k) == _squash(framework)), None)
    if pinned:
        source = getattr(settings, "source", None)
        return ResolvedVersion(framework, str(pinned), f"{source or 'settings'}", exact=True)
    known = _known_versions(framework)
    if config_path is not None:
        start = config_path if file_state.is_dir(config_path) else config_path.parent
        declared = _declared(framework, _real_folder(str(start)))
        if declared is not None:
            spec, path = declared
            version = version_from_spec(spec, known)
            if version is not None:
                exact = any(
                    op in ("==", "===") and not raw.endswith(".*")
                    for op, raw in CLAUSE.findall(spec)
                )
                return ResolvedVersion(framework, version, path, exact)
    if known:
        return ResolvedVersion(framework, known[-1], "newest known")
    return None


def clear_versions_cache() -> None:
    """Forget cached requirement files (the server calls this when one changes)."""
    _declared.cache_clear()
    _folder_requirements.cache_clear()
    _real_folder.cache_clear()
