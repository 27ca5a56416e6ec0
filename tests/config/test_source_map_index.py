"""The dialect-key index of a source map is built on the first look-up, with the same
locations and the same order of writes as an index built up front."""

from __future__ import annotations

from tunelint.config.dialects.reader import KeyReader
from tunelint.config.document import parse_document
from tunelint.config.plan_edits import DialectKey
from tunelint.config.positions import Range
from tunelint.config.source_map import SourceLocation

TEXT = "a:\n  b: 1\nlist:\n  - name: x\n  - 3\n"


def test_every_key_is_found_with_its_ranges_after_a_lazy_index() -> None:
    reader = KeyReader(parse_document(TEXT, "t.yaml"))
    found = {key.keys: loc for key, loc in reader.source_map.dialect_keys.items()}
    assert list(found) == [("a",), ("a", "b"), ("list",), ("list", "0", "name")]
    b = reader.source_map.get(DialectKey(("a", "b")))
    assert b is not None and b.dialect_key == "a.b"
    assert b.key == Range.of(1, 2, 1, 3) and b.value == Range.of(1, 5, 1, 6)
    itself = reader.source_map.get(DialectKey(("a", "b"), key_itself=True))
    assert itself is not None and itself.value == b.key


def test_a_write_after_the_reader_still_wins_and_related_files_keep_their_role() -> None:
    reader = KeyReader(parse_document(TEXT, "t.yaml"))
    related = KeyReader(parse_document("a: 2\n", "acc.yaml"), reader, file="acc.yaml", role="ds")
    moved = SourceLocation(Range.of(9, 0, 9, 1), Range.of(9, 3, 9, 4))
    reader.source_map.add(DialectKey(("a",)), moved)
    assert reader.source_map.get(DialectKey(("a",))) == moved
    shown = reader.source_map.get(DialectKey(("a",), "ds"))
    assert (
        shown is not None and shown.file == "acc.yaml" and related.source_map is reader.source_map
    )
