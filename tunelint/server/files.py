"""Which open documents the server looks at, and which project files change its settings."""

from __future__ import annotations

import re
from pathlib import PurePath

NATIVE_NAMES = frozenset({"tunelint.yaml", "tunelint.yml", "tunelint.json"})
NATIVE_SUFFIXES = (".tune.yaml", ".tune.yml", ".tune.json")
SETTINGS_NAMES = frozenset({"pyproject.toml", "tunelint.toml"})
# Glob patterns for workspace/didChangeWatchedFiles registration.
SETTINGS_GLOBS = ("**/pyproject.toml", "**/tunelint.toml")

# Languages and suffixes worth handing to the core: it decides (by dialect detection) whether
# a YAML or JSON file is a fine-tuning config at all.
_LANGUAGES = frozenset(
    {"yaml", "json", "jsonc", "tunelint", "dockercompose", "github-actions-workflow"}
)
_SUFFIXES = (".yaml", ".yml", ".json", ".jsonc")

# A `# tunelint` comment (not `# tunelint: ignore[...]`, which also appears in dialect
# files) or a `$schema` naming tunelint's schema, near the top of the file.
_MARKER_LINES = 20
_COMMENT_MARKER = re.compile(r"^\s*#\s*tunelint\b(?!\s*:\s*ignore)", re.IGNORECASE)
_SCHEMA_MARKER = re.compile(r"""["']?\$schema["']?\s*[:=]\s*["']?[^\s"']*tunelint""", re.IGNORECASE)


def basename(name: str) -> str:
    return PurePath(name.replace("\\", "/")).name.lower()


def is_native_name(name: str) -> bool:
    """`tunelint.yaml` or `*.tune.yaml`: tunelint's own format, by name."""
    base = basename(name)
    return base in NATIVE_NAMES or base.endswith(NATIVE_SUFFIXES)


def has_marker(text: str) -> bool:
    """A `# tunelint` comment or a tunelint `$schema` in the first lines."""
    head = text[:4096].split("\n", _MARKER_LINES)[:_MARKER_LINES]
    return any(_COMMENT_MARKER.match(line) or _SCHEMA_MARKER.search(line) for line in head)


def is_declared_config(name: str, text: str) -> bool:
    """The user said this is a tunelint config (by its name or a marker): always linted."""
    return is_native_name(name) or has_marker(text)


def may_be_config(name: str, language_id: str) -> bool:
    """Worth linting at all: YAML or JSON by language id or suffix."""
    return language_id.lower() in _LANGUAGES or basename(name).endswith(_SUFFIXES)


def is_settings_file(name: str) -> bool:
    """A project settings file whose change re-lints every open document."""
    return basename(name) in SETTINGS_NAMES
