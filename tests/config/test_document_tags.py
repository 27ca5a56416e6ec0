"""The YAML 1.1 tags the document keeps are PyYAML's own, although plain values are
resolved only when a rule asks (`Scalar.tag`)."""

from __future__ import annotations

import yaml

from tunelint.config.document import Mapping, Node, Scalar, Sequence, parse_document

# Values whose YAML 1.1 reading differs from the YAML 1.2 one, and ordinary ones.
PLAIN = (
    "yes", "No", "on", "OFF", "y", "true", "~", "null", "", "1_000", "0x1F", "017", "0o17",
    "1:30", "1e3", "1.5e-3", ".inf", "-.Inf", ".nan", "2024-01-31", "text", "2e-5", "+12",
)  # fmt: skip
TEXT = (
    "".join(f"k{i}: {value}\n" for i, value in enumerate(PLAIN))
    + "quoted: 'yes'\ntagged: !!str 12\nlist: [on, 0x10, '1:30', =]\n"
)


def _pairs(ours: Node, theirs: yaml.Node) -> list[tuple[Scalar, yaml.ScalarNode]]:
    """Our scalars beside PyYAML's composed nodes, in document order."""
    if isinstance(ours, Mapping):
        assert isinstance(theirs, yaml.MappingNode) and len(ours.entries) == len(theirs.value)
        return [
            pair
            for entry, (key, value) in zip(ours.entries, theirs.value, strict=True)
            for pair in (*_pairs(entry.key, key), *_pairs(entry.value, value))
        ]
    if isinstance(ours, Sequence):
        assert isinstance(theirs, yaml.SequenceNode)
        return [p for a, b in zip(ours.items, theirs.value, strict=True) for p in _pairs(a, b)]
    assert isinstance(ours, Scalar) and isinstance(theirs, yaml.ScalarNode)
    return [(ours, theirs)]


def test_every_value_gets_the_tag_pyyaml_resolves() -> None:
    doc = parse_document(TEXT, "x.yaml")
    assert doc.root is not None and doc.errors == []
    pairs = _pairs(doc.root, yaml.compose(TEXT, Loader=yaml.SafeLoader))  # pure-Python reference
    assert len(pairs) == 2 * (len(PLAIN) + 2) + 5  # keys and values; the list's key and items
    assert [ours.tag for ours, _ in pairs] == [theirs.tag for _, theirs in pairs]


def test_yaml11_booleans_and_nulls_are_what_safe_load_builds() -> None:
    text = TEXT.replace(", =]", "]")  # `=` (the value tag) has no constructor in safe_load
    doc = parse_document(text, "x.yaml")
    assert isinstance(doc.root, Mapping)
    loaded = yaml.safe_load(text)
    checked = 0
    for entry in doc.root.entries:
        value = entry.value
        if isinstance(value, Scalar) and value.tag.rpartition(":")[2] in ("bool", "null", "str"):
            assert value.yaml11_value == loaded[entry.key.value], entry.key.raw
            checked += 1
    # bool: yes No on OFF y true; null: ~ null ''; str: 1e3 2e-5 0o17 (YAML 1.1 has no such
    # numbers), text, 'yes', !!str 12
    assert checked == 15


def test_merge_keys_plain_and_explicitly_tagged() -> None:
    doc = parse_document("base: &b {x: 1}\na:\n  <<: *b\nc:\n  !!merge m: *b\n  y: 2\n", "m.yaml")
    assert isinstance(doc.root, Mapping) and doc.errors == []
    a, c = doc.root.get("a"), doc.root.get("c")
    assert a is not None and isinstance(a.value, Mapping) and a.value.keys() == ["x"]
    assert c is not None and isinstance(c.value, Mapping) and c.value.keys() == ["x", "y"]
