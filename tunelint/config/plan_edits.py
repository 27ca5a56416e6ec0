"""Plan edits: the model's own vocabulary for a fix (rules emit them, dialects render them).

A fix names what to change, never text: a Plan field (`("precision",)`) or, for what the
Plan has no field for, a dialect key (`DialectKey(("max_seq_length",))`). The dialect that
read the file turns the edits into minimal text edits in its own keys. Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PlanPath = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DialectKey:
    """A key as the dialect spells it, in the linted file or in a file read with it.

    `related_role` names the related file (`deepspeed`, `accelerate`); such keys are shown
    there and never edited. `key_itself`: findings underline the key rather than its value
    (a removed key); it designates the same entry for edits.
    """

    keys: tuple[str, ...]
    related_role: str | None = None
    key_itself: bool = False

    @property
    def entry(self) -> DialectKey:
        """The same key, as the source map indexes it (its value's location)."""
        return DialectKey(self.keys, self.related_role) if self.key_itself else self

    @property
    def editable(self) -> bool:
        return self.related_role is None and bool(self.keys)


# What a finding points at and a fix edits.
Target = PlanPath | DialectKey


@dataclass(frozen=True, slots=True)
class SetValue:
    """Set a Plan field or dialect key (creating it, and its section, when missing)."""

    path: Target
    value: Any


@dataclass(frozen=True, slots=True)
class RemoveKey:
    """Remove a field (its key and value, with the lines they own)."""

    path: Target


@dataclass(frozen=True, slots=True)
class RenameKey:
    """Rename a key in place, keeping its value, comments and position."""

    path: Target
    new_key: str


PlanEdit = SetValue | RemoveKey | RenameKey
