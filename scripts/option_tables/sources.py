"""Fetch a pinned release with pip and read its Python files without installing it."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from scripts.option_tables.pins import SDIST_ONLY


class MissingArchive(RuntimeError):
    """A pinned release is neither in the wheel folder nor downloadable (offline)."""


def archive_path(folder: Path, package: str, version: str) -> Path | None:
    stem = f"{package.replace('-', '_')}-{version}"
    for pattern in (f"{stem}-*.whl", f"{stem}.tar.gz"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def fetch(folder: Path, package: str, version: str, offline: bool) -> Path:
    """The archive of `package==version` in `folder`, downloading it unless offline."""
    found = archive_path(folder, package, version)
    if found is not None or offline:
        if found is None:
            raise MissingArchive(f"{package}=={version} is not in {folder}")
        return found
    folder.mkdir(parents=True, exist_ok=True)
    binary = ["--no-binary=:all:"] if package in SDIST_ONLY else ["--only-binary=:all:"]
    # --python-version 3.12: axolotl >= 0.21 declares Python >= 3.12; the source is all we read.
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", *binary]
    if package not in SDIST_ONLY:
        command += ["--python-version", "3.12"]
    command += [f"{package}=={version}", "-d", str(folder)]
    subprocess.run(command, check=True)
    found = archive_path(folder, package, version)
    if found is None:
        raise MissingArchive(f"pip did not leave {package}=={version} in {folder}")
    return found


class Archive:
    """The Python files of a wheel or sdist, by their import path (`trl/trainer/x.py`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: dict[str, str] = {}
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    if name.endswith(".py"):
                        self.files[name] = zf.read(name).decode("utf-8", "replace")
        else:
            with tarfile.open(path) as tf:
                for member in tf.getmembers():
                    if member.isfile() and member.name.endswith(".py"):
                        # Strip the `package-1.2.3/` folder of an sdist.
                        name = member.name.split("/", 1)[1]
                        handle = tf.extractfile(member)
                        if handle is not None:
                            self.files[name] = handle.read().decode("utf-8", "replace")

    def glob(self, prefix: str, suffix: str = ".py") -> list[str]:
        return sorted(n for n in self.files if n.startswith(prefix) and n.endswith(suffix))
