"""Tell a full disk apart from a crash: the user needs the path and free space, not torch's
traceback.

Writers fail differently when the disk fills: Python's file objects raise `OSError`
(errno ENOSPC, or EDQUOT for a quota), safetensors raises its own error carrying the OS
message, and torch's zip writer raises `RuntimeError("... file write failed")` without an
errno. The whole exception chain is read, and a message that names no errno counts only
when the output folder's disk really has (almost) nothing left.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from tunelint.runner.errors import DiskFullError

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
OS_MESSAGES = ("No space left on device", "Disk quota exceeded", "StorageFull", "os error 28")
WRITE_FAILURES = ("file write failed", "unexpected pos")
# Below this, a failed write without an errno is taken for a full disk.
NEARLY_FULL_BYTES = 64 * 2**20


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _free_bytes(path: Path) -> int | None:
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def as_disk_full(exc: BaseException, output_dir: Path) -> DiskFullError | None:
    """A `DiskFullError` naming the file and the free space when `exc` means a full disk."""
    free = _free_bytes(output_dir)
    where: str | None = None
    full = False
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno in FULL_ERRNOS:
            full, where = True, link.filename or where
        text = str(link)
        if any(message in text for message in OS_MESSAGES):
            full = True
        elif any(message in text for message in WRITE_FAILURES):
            full = full or (free is not None and free < NEARLY_FULL_BYTES)
    if not full:
        return None
    left = f"{free / 2**20:.0f} MiB" if free is not None else "unknown space"
    return DiskFullError(
        f"the disk is full: writing {where or output_dir} failed (no space left on device; "
        f"{left} free there now). Free some space (old checkpoints, caches) or set output.dir "
        "on a larger disk, then continue with --resume: it takes the newest complete checkpoint"
    )
