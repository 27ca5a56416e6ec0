"""The option-table scope of a dialect file: which framework table judges its keys, and
every key path it writes (the key rules TL510/TL920/TL921 read it from the facts). The
`KeyReader` indexes the keys (list items by position: `datasets.0.pth`) in the source map."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from tunelint.config.dialects.facts import OptionScope, WrittenKey
from tunelint.config.dialects.reader import KeyReader
from tunelint.config.document import Mapping, Node, Scalar, Sequence

# Stand-ins for nested values: the key rules need their kind (a mapping, a list), not
# their content, and copying every subtree per key would cost a quadratic walk.
_MAPPING: dict[str, object] = {}
_LIST: list[object] = []
# One WrittenKey per key of every file: built as the tuple it is (NamedTuple's own __new__
# is Python code); the field order is WrittenKey's.
_new = tuple.__new__


def option_scope(
    reader: KeyReader,
    framework: str,
    *,
    section: str | None = None,
    also: Iterable[str] = (),
    related: Iterable[str] = (),
    open_keys: str | None = None,
    launcher: tuple[str, tuple[str, ...]] | None = None,
    respell: Callable[[tuple[str, ...]], tuple[tuple[str, ...], str] | None] | None = None,
) -> OptionScope:
    """The scope of the linted file `reader` reads, with every key path it writes.

    `respell(path)` gives (the path the framework reads, why) for a spelling the framework
    rewrites itself before validating, else None."""
    found: list[WrittenKey] = []
    if reader.root is not None:
        _walk(reader.root, (), found, reader.doc.kind == "json")
    if respell is not None:
        found = [_respelled(w, respell(w.keys)) for w in found]
    return OptionScope(
        framework,
        section,
        tuple(also),
        tuple(related),
        open_keys,
        launcher[0] if launcher else None,
        launcher[1] if launcher else (),
        keys=tuple(found),
    )


def _respelled(written: WrittenKey, read: tuple[tuple[str, ...], str] | None) -> WrittenKey:
    if read is None:
        return written
    return WrittenKey(written.keys, written.value, written.plain_key, read[0], read[1])


def _walk(node: Node, path: tuple[str, ...], out: list[WrittenKey], json: bool) -> None:
    """Every key path under `node`, in document order. Scalars are handled where they are
    met (most values are): only mappings and lists recurse."""
    if isinstance(node, Sequence):
        for index, item in enumerate(node.items):
            if not isinstance(item, Scalar):
                _walk(item, (*path, str(index)), out, json)
        return
    if not isinstance(node, Mapping):
        return
    append = out.append
    for entry in node.entries:
        key = entry.key
        keys = (*path, str(key.value))
        # JSON keys are all quoted, and a rename writes them quoted again.
        plain = json or key.style is None
        value = entry.value
        if value.__class__ is Scalar:
            append(_new(WrittenKey, (keys, value.value, plain, None, "")))
        else:
            stand_in = _MAPPING if value.__class__ is Mapping else _LIST
            append(_new(WrittenKey, (keys, stand_in, plain, None, "")))
            _walk(value, keys, out, json)


@cache
def framework_key_names(*frameworks: str) -> frozenset[str]:
    """Every key name any section of these frameworks' tables has had (for detection:
    whether a file's keys are a framework's own). The tables load here, on first use."""
    from tunelint.knowledge.options import table

    names: set[str] = set()
    for framework in frameworks:
        for section in table(framework).sections.values():
            names.update(section.keys)
    return frozenset(names)
