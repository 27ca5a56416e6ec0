"""Fetch a pinned release with pip and read its Python files without installing it."""

from __future__ import annotations

import re
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
    """The Python files of a wheel or sdist by import path (`trl/trainer/x.py`), read on
    first access (a transformers wheel holds thousands of files the tables never need)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._members: dict[str, str] = {}  # import path -> member name in the archive
        self.files = _LazyFiles(self)
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
            self._members = {n: n for n in names if n.endswith(".py")}
            return
        # A gzipped tar has no random access: read its Python files in one pass.
        with tarfile.open(path) as tf:
            for member in tf.getmembers():
                if member.isfile() and member.name.endswith(".py"):
                    # Strip the `package-1.2.3/` folder of an sdist.
                    name = member.name.split("/", 1)[1]
                    handle = tf.extractfile(member)
                    self._members[name] = member.name
                    if handle is not None:
                        self.files[name] = handle.read().decode("utf-8", "replace")

    def read(self, name: str) -> str:
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(self._members[name]).decode("utf-8", "replace")

    def requires(self) -> dict[str, str]:
        """Unconditional `Requires-Dist` of a wheel: normalised name -> specifier."""
        if self.path.suffix != ".whl":
            return {}
        with zipfile.ZipFile(self.path) as zf:
            names = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
            text = zf.read(names[0]).decode("utf-8", "replace") if names else ""
        out: dict[str, str] = {}
        for line in text.splitlines():
            if not line.startswith("Requires-Dist:") or "extra ==" in line:
                continue
            match = re.match(
                r"([A-Za-z0-9._-]+)\s*(?:\[[^\]]*\])?\s*\(?([^;)]*)", line[14:].strip()
            )
            if match:
                name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
                out[name] = ",".join(p.strip() for p in match.group(2).split(",") if p.strip())
        return out

    def glob(self, prefix: str, suffix: str = ".py") -> list[str]:
        return sorted(n for n in self._members if n.startswith(prefix) and n.endswith(suffix))


class _LazyFiles:
    """`archive.files[path]` reads the member once; `in` and `.get` answer from the index."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive
        self._read: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._read:
            self._read[name] = self._archive.read(name)
        return self._read[name]

    def __setitem__(self, name: str, text: str) -> None:
        self._read[name] = text

    def __contains__(self, name: object) -> bool:
        return name in self._archive._members

    def get(self, name: str, default: str | None = None) -> str | None:
        if name not in self._archive._members:
            return default
        return self[name]
