"""Merge the tables of several releases into one table per framework, each key carrying the
version that added, deprecated, renamed or removed it."""

from __future__ import annotations

from typing import Any

from scripts.option_tables.frameworks import Table


def merge(tables: dict[str, Table]) -> dict[str, Any]:
    """`tables` maps version (oldest first) -> table; the newest release's facts win."""
    versions = list(tables)
    sections: dict[str, Any] = {}
    names = sorted({name for table in tables.values() for name in table})
    for name in names:
        present = [v for v in versions if name in tables[v]]
        newest = tables[present[-1]][name]
        section = {k: v for k, v in newest.items() if k != "keys"}
        _span(section, versions, present)
        moves = _moves({v: tables[v][name].get("module") for v in present})
        if moves:
            section["modules"] = moves
        keys: dict[str, Any] = {}
        key_names = sorted({k for v in present for k in tables[v][name]["keys"]})
        for key in key_names:
            having = [v for v in present if key in tables[v][name]["keys"]]
            info = dict(tables[having[-1]][name]["keys"][key])
            info.pop("deprecated", None)
            flags = [bool(tables[v][name]["keys"][key].get("deprecated")) for v in having]
            info.update(_deprecation(having, flags))
            renamed = [
                tables[v][name]["keys"][key]["renamed_to"]
                for v in having
                if tables[v][name]["keys"][key].get("renamed_to")
            ]
            if renamed:
                info["renamed_to"] = renamed[-1]
            _span(info, present, having)
            keys[key] = info
        section["keys"] = keys
        sections[name] = section
    return {"versions": versions, "sections": sections}


def _moves(modules: dict[str, str | None]) -> list[list[str]] | None:
    """[[release, module from that release on], ...] (oldest first) when a section's class
    changed module over the pinned releases (TRL's ScriptArguments: trl.utils, then
    trl.scripts.utils from 0.16.1), else None: `module` alone says where it lives."""
    changes: list[list[str]] = []
    for version, module in modules.items():
        if module is not None and (not changes or changes[-1][1] != module):
            changes.append([version, module])
    return changes if len(changes) > 1 else None


def _deprecation(having: list[str], flags: list[bool]) -> dict[str, str]:
    """The last run of releases that deprecate a key: `deprecated` where it starts and, when a
    later release takes the key back as a live field (TRL's `vllm_gpu_memory_utilization`,
    deprecated in 0.16-0.17, a GRPOConfig field again from 0.18), `undeprecated` where it
    ended. Earlier runs are not modelled."""
    if not any(flags):
        return {}
    last = max(i for i, flag in enumerate(flags) if flag)
    first = last
    while first > 0 and flags[first - 1]:
        first -= 1
    window = {"deprecated": having[first]}
    if last < len(having) - 1:
        window["undeprecated"] = having[last + 1]
    return window


def _span(info: dict[str, Any], versions: list[str], present: list[str]) -> None:
    """`added`: first pinned release with it (unless it is in the oldest one read);
    `removed`: the first pinned release after its last appearance (`last_seen`): the change
    happened in between. A gap in the middle is not modelled."""
    first, last = versions.index(present[0]), versions.index(present[-1])
    if first > 0:
        info["added"] = versions[first]
    if last < len(versions) - 1:
        info["removed"] = versions[last + 1]
        info["last_seen"] = versions[last]
