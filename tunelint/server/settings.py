"""Client settings (`tunelint.*`): read from initializationOptions, workspace/configuration
or didChangeConfiguration, tolerating whatever shape a client sends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SECTION = "tunelint"
SEVERITIES = frozenset({"error", "warning", "info", "hint", "off"})
DEFAULT_DEBOUNCE_MS = 15  # least pause between two lints of one document while typing


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the editor can set; everything else comes from project settings files."""

    enable: bool = True
    gpu: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    offline: bool = False  # no Hugging Face Hub look-ups (TUNELINT_OFFLINE/HF_HUB_OFFLINE too)

    @classmethod
    def from_client(cls, raw: Any) -> tuple[ServerSettings, list[str]]:
        """Settings from a client payload, and a warning for each value that was ignored.

        Accepts `{"tunelint": {...}}`, `{"settings": {...}}` or the section itself.
        """
        section = _section(raw)
        warnings: list[str] = []
        values: dict[str, Any] = {}
        if not isinstance(section, Mapping):
            if section is not None:
                warnings.append(f"settings must be an object, got {type(section).__name__}")
            return cls(), warnings

        for name in ("enable", "offline"):
            if name in section:
                if isinstance(section[name], bool):
                    values[name] = section[name]
                else:
                    warnings.append(f"tunelint.{name} must be true or false")
        gpu = section.get("gpu")
        if isinstance(gpu, str) and gpu.strip():
            values["gpu"] = gpu.strip()
        elif gpu not in (None, ""):
            warnings.append("tunelint.gpu must be a GPU name")
        for name in ("select", "ignore"):
            codes = _codes(section.get(name), name, warnings)
            if codes:
                values[name] = codes
        severity = section.get("severity")
        if isinstance(severity, Mapping):
            overrides: dict[str, str] = {}
            for code, level in severity.items():
                if isinstance(level, str) and level.lower() in SEVERITIES:
                    overrides[str(code).upper()] = level.lower()
                else:
                    warnings.append(f"tunelint.severity.{code}: unknown severity {level!r}")
            values["severity"] = overrides
        elif severity is not None:
            warnings.append("tunelint.severity must map rule codes to severities")
        debounce = section.get("debounceMs", section.get("debounce_ms"))
        if isinstance(debounce, int | float) and not isinstance(debounce, bool) and debounce >= 0:
            values["debounce_ms"] = int(min(debounce, 5000))
        elif debounce is not None:
            warnings.append("tunelint.debounceMs must be a number of milliseconds")
        return cls(**values), warnings


def _section(raw: Any) -> Any:
    if isinstance(raw, Mapping):
        if isinstance(raw.get(SECTION), Mapping):
            return raw[SECTION]
        if isinstance(raw.get("settings"), Mapping):
            return _section(raw["settings"])
    return raw


def _codes(value: Any, name: str, warnings: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        warnings.append(f"tunelint.{name} must be a list of rule codes")
        return ()
    return tuple(v.strip().upper() for v in value if v.strip())
