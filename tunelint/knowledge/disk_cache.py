"""Files tunelint keeps in its cache folder to start faster: where they go, how they are
written. Every such file is derived data, keyed on what it was derived from, so deleting
the folder (or any file in it) is always safe."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def cache_dir() -> Path:
    """tunelint's cache folder (TUNELINT_CACHE_DIR, else the XDG user cache)."""
    if os.environ.get("TUNELINT_CACHE_DIR"):
        return Path(os.environ["TUNELINT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tunelint"


def cache_file(kind: str, name: str) -> Path:
    """`<cache folder>/<kind>/<name>` (the folder: TUNELINT_CACHE_DIR or the XDG cache)."""
    return cache_dir() / kind / name


def write_atomic(path: Path, blob: bytes) -> None:
    """Write `blob` so that a parallel reader sees the old file or the new one, never half.
    A cache that cannot be written (read-only home, full disk) is skipped silently."""
    import tempfile  # only when a cache file is (re)written, not on every run

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
