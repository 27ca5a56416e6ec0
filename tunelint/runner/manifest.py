"""What a run wrote into its output folder: `<output.dir>/.tunelint-run.json`.

`--overwrite` deletes only what a previous run's manifest lists, so a folder that also
holds the user's files (a project, a README) loses none of them. Entries are top-level
names in the output folder; a folder entry (`checkpoint-4`, `adapters`, `runs`) is owned
whole. A run starts in an empty folder (the runner refuses any other), so everything that
appears there while it runs is its own: the manifest is refreshed when a checkpoint is
about to be saved (its name is recorded *before* the write, so a save cut short by a kill
or a full disk is still listed) and at the end, failed or not.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MANIFEST = ".tunelint-run.json"
FORMAT = 1


@dataclass
class RunManifest:
    """The manifest of one output folder."""

    output_dir: Path
    entries: set[str] = field(default_factory=set)
    status: str = "running"
    # Names that were in the folder before this run and that no run listed: never claimed.
    baseline: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, output_dir: Path) -> RunManifest | None:
        """The folder's manifest, or None when no run of tunelint wrote one (or it is unreadable)."""
        try:
            data = json.loads((output_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            return None
        entries = {e for e in data["entries"] if isinstance(e, str) and _is_plain_name(e)}
        return cls(output_dir, entries, str(data.get("status", "unknown")))

    def record(self, *names: str) -> None:
        """Add names (and whatever else now sits in the folder) and save."""
        self.entries.update(names)
        self.entries.update(listing(self.output_dir) - self.baseline)
        self.write()

    def finish(self, status: str) -> None:
        """Record the final listing with the run's outcome."""
        self.status = status
        # On a full disk the names recorded before each save are already on disk.
        with contextlib.suppress(OSError):
            self.record()

    def write(self) -> None:
        data: dict[str, Any] = {
            "written_by": "tunelint run",
            "format": FORMAT,
            "status": self.status,
            "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "entries": sorted(self.entries),
        }
        path = self.output_dir / MANIFEST
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)  # never a half-written manifest


def _is_plain_name(name: str) -> bool:
    # A manifest is read back to decide deletions: only direct children, never a path.
    return name not in ("", ".", "..", MANIFEST) and "/" not in name and "\\" not in name


def listing(output_dir: Path) -> set[str]:
    """The folder's top-level names, the manifest itself left out."""
    try:
        return {child.name for child in output_dir.iterdir() if _is_plain_name(child.name)}
    except OSError:
        return set()


def foreign_entries(output_dir: Path, manifest: RunManifest | None) -> list[str]:
    """Names in the folder that no run listed: the user's files, never touched."""
    listed = manifest.entries if manifest else set()
    return sorted(name for name in listing(output_dir) if name not in listed)
