"""Finding and reading the files a config names (a DeepSpeed JSON, an accelerate YAML).

Trainers resolve such paths against the directory they are launched from, which a linter
cannot know; the usual launch directory is the project root, so the path is tried against
the config's own folder and then each folder above it, and the first file that exists wins.
A reference that resolves nowhere is not an error here: it may exist on the training machine.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from tunelint.config import file_state
from tunelint.config.document import Document, decode, parse_document
from tunelint.config.file_state import fixed

MAX_LEVELS_UP = 8


def resolve_reference(config_file: str, reference: str) -> Path | None:
    """The file `reference` names, seen from the config at `config_file`; None if not found."""
    if not reference or config_file.startswith("<") or "\x00" in reference:
        return None
    ref = Path(reference).expanduser()
    if ref.is_absolute():
        return ref if ref.is_file() else None
    try:
        start = str(Path(config_file).resolve().parent)
    except OSError:
        return None
    relative = str(ref)
    for folder in folders_up(start, MAX_LEVELS_UP):
        candidate = os.path.join(folder, relative)
        try:
            if is_file(candidate):
                return Path(candidate)
        except OSError:
            return None
    return None


def folders_up(folder: str, levels: int) -> list[str]:
    """`folder` and the folders above it, at most `levels` above (`Path.parents` on text:
    a folder tried per level costs no Path objects)."""
    found = [folder]
    while len(found) <= levels:
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        found.append(parent)
        folder = parent
    return found


def exists(path: str) -> bool:
    """`Path(path).exists()` without the Path."""
    return file_state.exists(path)


def is_file(path: str) -> bool:
    """`Path(path).is_file()` without the Path."""
    return file_state.is_file(path)


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


NEARBY_LEVELS = 1  # the file's folder and its parent, each searched this deep and below
NEARBY_MAX_FILES = 300
_CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


def named_nearby(path: Path) -> bool:
    """Whether a YAML/JSON config near `path` (in its folder or its parent folder, two levels
    down at most) names it by file name: a trainer config that uses the file. At most
    NEARBY_MAX_FILES other configs are read, in listing order."""
    try:
        if not file_state.is_file(path):  # text not on disk (stdin, a test): nothing near
            return False
        itself = file_state.realpath(path)
    except OSError:
        return False
    folder = os.path.dirname(itself)
    # The parent folder too, unless the file's folder is a project root already.
    roots = (folder,) if _is_project_root(folder) else (folder, os.path.dirname(folder))
    candidates = tuple(c for root in roots[: NEARBY_LEVELS + 1] for c in _configs_below(root, 2))
    nearby = _nearby_texts(candidates[: NEARBY_MAX_FILES + 1])
    try:  # the first NEARBY_MAX_FILES configs other than the file itself
        own = nearby.paths.index(itself)
    except ValueError:
        own = -1
    last = NEARBY_MAX_FILES if 0 <= own <= NEARBY_MAX_FILES else NEARBY_MAX_FILES - 1
    name = path.name
    at = nearby.text.find(name)
    while at != -1:
        which = bisect_right(nearby.starts, at) - 1
        if which != own and which <= last:
            return True
        at = nearby.text.find(name, at + 1)
    return False


@dataclass(frozen=True, slots=True)
class _Nearby:
    """The texts of a list of configs joined in one string (NUL between them: no name
    spans two), so that one search finds a name in any of them."""

    paths: tuple[str, ...]
    states: tuple[tuple[int, int], ...]  # (mtime_ns, size) of each, as read
    text: str
    starts: tuple[int, ...]  # where each file's text begins in `text`
    run: int  # the fixed run it was read in (file_state.run_number)


_NEARBY: dict[tuple[str, ...], _Nearby] = {}
_MAX_NEARBY = 32  # joined texts of up to NEARBY_MAX_FILES configs each: bounded memory


def _nearby_texts(paths: tuple[str, ...]) -> _Nearby:
    """The joined texts of `paths`, made again when one of them changed (checked once per
    fixed run: `file_state.files_fixed`; else on every call)."""
    known = _NEARBY.get(paths)
    if known is not None and _this_run(known.run):
        return known
    states = _states(paths)
    if known is not None and states == known.states:
        if fixed():  # unchanged: taken as read for the rest of this run
            known = _NEARBY[paths] = replace(known, run=file_state.run_number())
        return known
    texts = [_text(p, *state) for p, state in zip(paths, states, strict=True)]
    starts: list[int] = []
    at = 0
    for text in texts:
        starts.append(at)
        at += len(text) + 1
    if len(_NEARBY) >= _MAX_NEARBY:
        _NEARBY.clear()
    made = _Nearby(paths, states, "\0".join(texts), tuple(starts), file_state.run_number())
    _NEARBY[paths] = made
    return made


def _this_run(run: int) -> bool:
    """Read in the fixed run going on now: its files have not changed since."""
    return fixed() and run == file_state.run_number()


def _states(paths: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    out = []
    for path in paths:
        try:
            stat = os.stat(path)
            out.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((-1, -1))
    return tuple(out)


@lru_cache(maxsize=1024)
def _text(path: str, mtime_ns: int, size: int) -> str:
    """A nearby file's text, read once while it is unchanged (linting a folder asks again
    for every DeepSpeed JSON in it)."""
    if mtime_ns < 0:  # gone (or unreadable) when listed
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


# (root, depth) -> (every folder listed with its mtime, the configs found). A folder's
# mtime changes when an entry is added, removed or renamed in it, so a listing is reused
# (linting a folder asks once per DeepSpeed JSON) until one of its folders changes.
_LISTINGS: dict[tuple[str, int], tuple[tuple[tuple[str, int], ...], tuple[str, ...], int]] = {}
_MAX_LISTINGS = 256


def _configs_below(root: str, depth: int) -> tuple[str, ...]:
    cached = _LISTINGS.get((root, depth))
    if cached is not None and _this_run(cached[2]):
        return cached[1]
    if cached is not None and all(_mtime(folder) == mtime for folder, mtime in cached[0]):
        if fixed():  # unchanged: taken as listed for the rest of this run
            _LISTINGS[(root, depth)] = (cached[0], cached[1], file_state.run_number())
        return cached[1]
    folders: list[tuple[str, int]] = []
    found: list[str] = []
    _scan(root, depth, folders, found)
    if len(_LISTINGS) >= _MAX_LISTINGS:
        _LISTINGS.clear()
    _LISTINGS[(root, depth)] = (tuple(folders), tuple(found), file_state.run_number())
    return tuple(found)


def _mtime(folder: str) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1


def _scan(root: str, depth: int, folders: list[tuple[str, int]], found: list[str]) -> None:
    """The configs under `root` in name order, folders first listed (`depth` levels down)."""
    folders.append((root, _mtime(root)))
    try:  # scandir: the entry types come with the listing (no stat per entry)
        with os.scandir(root) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_file() and entry.name.endswith(_CONFIG_SUFFIXES):
                found.append(entry.path)
            elif entry.is_dir() and depth > 0:
                _scan(entry.path, depth - 1, folders, found)
        except OSError:
            continue


def _is_project_root(folder: str) -> bool:
    markers = (".git", "pyproject.toml", "tunelint.toml")
    return any(file_state.exists(os.path.join(folder, marker)) for marker in markers)
