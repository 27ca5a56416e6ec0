"""Which folders a training run must never use as its output folder, and why.

A run writes README.md, config.json, tokenizer files and checkpoints into `output.dir`, and
`--overwrite` replaces what an earlier run left there. Pointed at the project itself, the
home folder or a system folder, that clobbers files nobody meant to give up. One pure
function decides it, for the lint rule (TL603, lexical paths from the Plan) and for
`tunelint run` (real paths, symlinks resolved), so both say the same thing.
"""

from __future__ import annotations

from pathlib import PurePath, PurePosixPath

# Folders of the operating system (POSIX, macOS): a run writes nothing at or below them.
SYSTEM_FOLDERS: tuple[str, ...] = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/sbin",
    "/sys",
    "/usr",
    "/System",
    "/Library",
    "/private/etc",
)
# Shared top-level folders: other people's and programs' files live directly in them.
SHARED_FOLDERS: tuple[str, ...] = (
    "/home",
    "/Users",
    "/root",
    "/var",
    "/opt",
    "/srv",
    "/run",
    "/mnt",
    "/media",
    "/tmp",
)


_SYSTEM_PATHS = tuple((folder, PurePath(folder)) for folder in SYSTEM_FOLDERS)
# POSIX: the system folders by their first part below `/` (`usr`, `private`): a path is
# compared with the few under its own first part, not with all of them.
_SYSTEM_BY_TOP: dict[str, tuple[tuple[str, PurePath], ...]] = {}
for _entry in _SYSTEM_PATHS:
    _top = PurePosixPath(_entry[0]).parts[1]
    _SYSTEM_BY_TOP[_top] = (*_SYSTEM_BY_TOP.get(_top, ()), _entry)


def _is_within(path: PurePath, folder: PurePath) -> bool:
    """`path` is `folder` or below it. One comparison of a prefix: `folder in path.parents`
    builds every parent (it was the linter's hottest line over a folder of configs)."""
    parts, prefix = path.parts, folder.parts
    if len(parts) < len(prefix):
        return False
    if isinstance(path, PurePosixPath) and isinstance(folder, PurePosixPath):
        return parts[: len(prefix)] == prefix  # POSIX paths are equal when their parts are
    return type(path)(*parts[: len(prefix)]) == folder  # Windows: equal up to case


def _is_parent(folder: PurePath, path: PurePath) -> bool:
    """`folder` is a parent of `path` (not `path` itself): `folder in path.parents`."""
    return len(folder.parts) < len(path.parts) and _is_within(path, folder)


def unsafe_output_reason(
    output_dir: PurePath, config_dir: PurePath | None, home: PurePath | None
) -> str | None:
    """Why `output_dir` must not be a run's output folder, or None when it may be.

    All paths are absolute and normalised the same way (lexically for the linter,
    `resolve()`d for the runner). `config_dir` is None when the config has no file.
    """
    if output_dir == PurePath(output_dir.anchor):
        return "it is the filesystem root"
    if config_dir is not None and output_dir == config_dir:
        return "it is the config's own folder (the run would write among the project's files)"
    if config_dir is not None and _is_parent(output_dir, config_dir):
        return f"it is a parent of the config's folder {config_dir}"
    if home is not None and output_dir == home:
        return "it is your home folder"
    if home is not None and _is_parent(output_dir, home):
        return "it is a parent of your home folder"
    system = _SYSTEM_PATHS  # Windows paths: equal up to case, compared with every folder
    if isinstance(output_dir, PurePosixPath):
        parts = output_dir.parts
        system = _SYSTEM_BY_TOP.get(parts[1], ()) if len(parts) > 1 else ()
    for folder, folder_path in system:
        if _is_within(output_dir, folder_path):
            return f"it is inside the system folder {folder}"
    if str(output_dir) in SHARED_FOLDERS:
        return "it is a shared system folder"
    # `~/.ssh`, `/.snapshots`, the project's `.git` or `.venv`: tools own what lives there.
    if output_dir.name.startswith(".") and output_dir.parent in (
        PurePath(output_dir.anchor),
        home,
        config_dir,
    ):
        return "it is a hidden system folder (settings, keys or caches live there)"
    return None


def relative_reaches_up(raw: str) -> bool:
    """Whether a relative path names its own base folder or a parent of it (`.`, `..`, `../..`).

    Read lexically: `a/..` is the base folder itself; `../b` is a sibling, not a parent.
    """
    parts: list[str] = []
    for part in PurePath(raw).parts:
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append(part)
        elif part != ".":
            parts.append(part)
    return all(part == ".." for part in parts)
