"""Finding and reading the files a config names (a DeepSpeed JSON, an accelerate YAML).

Trainers resolve such paths against the directory they are launched from, which a linter
cannot know; the usual launch directory is the project root, so the path is tried against
the config's own folder and then each folder above it, and the first file that exists wins.
A reference that resolves nowhere is not an error here: it may exist on the training machine.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tunelint.config.document import Document, decode, parse_document

MAX_LEVELS_UP = 8


def resolve_reference(config_file: str, reference: str) -> Path | None:
    """The file `reference` names, seen from the config at `config_file`; None if not found."""
    if not reference or config_file.startswith("<") or "\x00" in reference:
        return None
    ref = Path(reference).expanduser()
    if ref.is_absolute():
        return ref if ref.is_file() else None
    try:
        folder = Path(config_file).resolve().parent
    except OSError:
        return None
    for level, candidate_dir in enumerate((folder, *folder.parents)):
        if level > MAX_LEVELS_UP:
            break
        candidate = candidate_dir / ref
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            return None
    return None


@lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int, size: int) -> Document | None:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    text, _error = decode(data)
    if text is None:
        return None
    return parse_document(text, path)


def read_related(path: Path) -> Document | None:
    """Parse a related file (cached while it is unchanged); None when it cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


def display_path(path: Path) -> str:
    """The related file as diagnostics name it: relative to the working directory if under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (OSError, ValueError):
        return str(path)
