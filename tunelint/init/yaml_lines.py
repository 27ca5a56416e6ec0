"""A YAML writer for configs with a comment on each decided line (PyYAML drops comments)."""

from __future__ import annotations

from typing import Any

from tunelint.config.edits import render_value

Note = tuple[str, str] | str | None  # (code, reason): a suppression; str: a plain comment


def comment_text(note: Note) -> str:
    if note is None:
        return ""
    if isinstance(note, tuple):
        code, reason = note
        return f"  # tunelint: ignore[{code}] {reason}"
    return f"  # {note}"


def scalar(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return render_value(value)


class YamlLines:
    """Lines of block YAML: `key: value  # note`, sections, list items."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str, indent: int = 0) -> None:
        self.lines.append(f"{' ' * indent}# {text}")

    def blank(self) -> None:
        self.lines.append("")

    def key(self, key: str, value: Any, note: Note = None, indent: int = 0) -> None:
        self.lines.append(f"{' ' * indent}{key}: {scalar(value)}{comment_text(note)}")

    def section(self, key: str, note: Note = None, indent: int = 0) -> None:
        self.lines.append(f"{' ' * indent}{key}:{comment_text(note)}")

    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"
