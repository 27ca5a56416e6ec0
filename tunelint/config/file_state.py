"""Whether the files on disk stay as they are while tunelint runs, and the file-system
answers that may then be kept.

One `tunelint check` run that writes nothing reads the tree as it was when it started, as
ruff and yamllint do: a config's folder, a requirement file or a DeepSpeed neighbour is
then stat'ed once, not once per config that asks. The language server never enters
`files_fixed`: files change under it, so it asks the disk each time. Stdlib only.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from stat import S_ISDIR, S_ISREG

_FIXED = [False]
_RUN = [0]  # counts the fixed runs: what one remembered is not kept for the next
_MODES: dict[str, int | None] = {}  # path -> st_mode (None: not there), while fixed
_REAL: dict[str, str] = {}  # path -> os.path.realpath, while fixed
# What pathlib's `exists` / `is_file` take for "not there"; any other OSError is raised.
_MISSING = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


@contextmanager
def files_fixed() -> Iterator[None]:
    """Within it, files on disk are taken not to change (see the module docstring)."""
    before = _FIXED[0]
    if not before:
        _RUN[0] += 1
    _FIXED[0] = True
    try:
        yield
    finally:
        _FIXED[0] = before
        if not before:
            _MODES.clear()
            _REAL.clear()


def fixed() -> bool:
    return _FIXED[0]


def run_number() -> int:
    """The current (or last) fixed run's number: a cache of answers that hold for one run
    only keys or clears itself by it."""
    return _RUN[0]


def mode(path: str | Path) -> int | None:
    """The st_mode of `path` (links followed); None when it is not there."""
    key = os.fspath(path)
    if _FIXED[0]:
        try:
            return _MODES[key]
        except KeyError:
            pass
    try:
        found: int | None = os.stat(key).st_mode
    except OSError as exc:
        if exc.errno not in _MISSING:
            raise
        found = None
    except ValueError:  # a name the file system cannot encode
        found = None
    if _FIXED[0]:
        _MODES[key] = found
    return found


def exists(path: str | Path) -> bool:
    """`Path(path).exists()`."""
    return mode(path) is not None


def is_file(path: str | Path) -> bool:
    """`Path(path).is_file()`."""
    found = mode(path)
    return found is not None and S_ISREG(found)


def is_dir(path: str | Path) -> bool:
    """`Path(path).is_dir()`."""
    found = mode(path)
    return found is not None and S_ISDIR(found)


def realpath(path: str | Path) -> str:
    """`os.path.realpath(path)`."""
    key = os.fspath(path)
    if not _FIXED[0]:
        return os.path.realpath(key)
    known = _REAL.get(key)
    if known is None:
        known = _REAL[key] = os.path.realpath(key)
    return known
