"""Parsing with positions, safety limits and clear messages for bad input."""

from __future__ import annotations

import time

from tunelint.config.document import Mapping, Scalar, Sequence, decode, parse_document


def _codes(text: str, name: str = "x.yaml") -> list[tuple[str, int, int]]:
    doc = parse_document(text, name)
    return [(e.code, e.range.start.line + 1, e.range.start.column + 1) for e in doc.errors]


def test_keys_and_values_have_exact_ranges() -> None:
    doc = parse_document("model:\n  name: 'Qwen/Qwen2.5-7B'  # hub id\n  max_seq_len: 2048\n")
    entry, node = doc.node_at(("model", "name"))
    assert entry is not None and isinstance(node, Scalar)
    assert (entry.key.range.start.line, entry.key.range.start.column) == (1, 2)
    assert (node.range.start.column, node.range.end.column) == (8, 25)
    assert node.value == "Qwen/Qwen2.5-7B" and node.style == "'"
    _, seq_len = doc.node_at(("model", "max_seq_len"))
    assert isinstance(seq_len, Scalar) and seq_len.value == 2048


def test_json_positions() -> None:
    doc = parse_document('{\n  "precision": "fp16",\n  "n": 3\n}\n', "c.json")
    _, node = doc.node_at(("precision",))
    assert isinstance(node, Scalar)
    assert (node.range.start.line, node.range.start.column) == (1, 15)
    assert doc.kind == "json"


def test_yaml12_values_with_the_yaml11_reading_kept() -> None:
    doc = parse_document("lr: 2e-5\nflag: yes\nok: true\nn: ~\n")
    assert isinstance(doc.root, Mapping)
    lr = doc.root.get("lr").value  # type: ignore[union-attr]
    flag = doc.root.get("flag").value  # type: ignore[union-attr]
    assert isinstance(lr, Scalar) and lr.value == 2e-5 and lr.yaml11_value == "2e-5"
    assert isinstance(flag, Scalar) and flag.value == "yes" and flag.yaml11_value is True
    assert doc.plain() == {"lr": 2e-5, "flag": "yes", "ok": True, "n": None}


def test_syntax_errors_have_positions() -> None:
    assert _codes("a: [1, 2\nb: 3\n") == [("TL900", 2, 2)]
    assert _codes('{"a": 1,, }', "x.json") == [("TL900", 1, 9)]


def test_duplicate_keys_reported_at_the_second() -> None:
    assert _codes("a: 1\nb: 2\na: 3\n") == [("TL904", 3, 1)]


def test_alias_bomb_answers_fast() -> None:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    start = time.perf_counter()
    codes = _codes(text)
    assert time.perf_counter() - start < 1.0  # generous: ~1 ms in practice
    assert codes[0][0] == "TL905"
    assert "alias" in parse_document(text).errors[0].message


def test_ten_megabyte_file_refused_with_size() -> None:
    doc = parse_document("a: 1\n" * 2_100_000)
    assert [e.code for e in doc.errors] == ["TL905"]
    assert "10.0 MiB" in doc.errors[0].message and doc.root is None


def test_recursive_alias_and_deep_nesting() -> None:
    assert _codes("a: &a [*a]\n")[0][0] == "TL905"
    deep = "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 400))
    assert _codes(deep)[0][0] == "TL905"
    assert _codes("[" * 5000 + "]" * 5000)[0][0] == "TL905"


def test_tags_never_construct_objects() -> None:
    """Tags are valid YAML (mkdocs' `!!python/name:`, `!ENV`): kept as written, never run."""
    doc = parse_document("x: !!python/object/apply:os.system ['echo hi']\ny: !ENV [HOME]\n")
    assert doc.errors == []
    assert doc.plain() == {"x": ["echo hi"], "y": ["HOME"]}
    _, node = doc.node_at(("x",))
    assert isinstance(node, Sequence)


def test_binary_and_encodings() -> None:
    assert parse_document("a: \x00\x01").errors[0].code == "TL900"
    text, error = decode(b"a: 1\n\xff\xfe\x00")
    assert text is None and error is not None and "not UTF-8" in error.message
    assert decode("a: é\n".encode("utf-16"))[0] == "a: é\n"
    assert decode(b"\xef\xbb\xbfa: 1\n")[0] == "a: 1\n"


def test_suppression_comments() -> None:
    doc = parse_document(
        "a: 1  # tunelint: ignore[TL101, tl103] T4 has no bf16\n# tunelint: ignore\n"
    )
    first, second = doc.suppressions
    assert first.codes == ("TL101", "TL103") and first.reason == "T4 has no bf16"
    assert first.line == 0 and first.range.start.column == 6
    assert second.codes == () and second.reason == ""


def test_lines_agree_with_the_parser_for_every_line_break() -> None:
    from tunelint.config.positions import LineIndex

    # LSP's line breaks only: U+2028 and U+0085 break a YAML 1.1 line, not an editor's.
    for newline, line in (("\n", 2), ("\r\n", 2), ("\r", 2), ("\u2028", 0), ("\x85", 0)):
        text = newline.join(["model:", "  name: x", "precision: fp16", ""])
        doc = parse_document(text, "a.tune.yaml")
        _, node = doc.node_at(("precision",))
        assert isinstance(node, Scalar) and node.range.start.line == line
        index = LineIndex(text)
        assert "precision: fp16" in index.line_text(line)
        assert text[index.offset(node.range.start) : index.offset(node.range.end)] == "fp16"


def test_positions_come_from_character_offsets_in_lsp_lines() -> None:
    """libyaml counts U+2028/U+0085 as line breaks; positions here follow LSP's lines."""
    text = 'a: "x\u2028y\x85z\U0001f600"\rb: 1\r\nc: [1,\u2029 2]\n'
    doc = parse_document(text)
    _, b = doc.node_at(("b",))
    _, c = doc.node_at(("c",))
    assert isinstance(b, Scalar) and (b.range.start.line, b.range.start.column) == (1, 3)
    assert isinstance(c, Sequence) and c.range.start.line == 2
    assert (c.items[1].range.start.line, c.items[1].range.start.column) == (2, 8)


def test_merge_keys_merge_with_positions_of_the_merged_values() -> None:
    text = (
        "base: &base\n  gpu: A100-80GB\n  count: 1\nother: &other\n  count: 4\n  nodes: 2\n"
        "hardware:\n  <<: [*base, *other]\n  count: 2\n"
    )
    doc = parse_document(text)
    assert doc.errors == []
    assert doc.plain()["hardware"] == {"gpu": "A100-80GB", "nodes": 2, "count": 2}
    _, gpu = doc.node_at(("hardware", "gpu"))
    _, nodes = doc.node_at(("hardware", "nodes"))
    assert isinstance(gpu, Scalar) and (gpu.range.start.line, gpu.range.start.column) == (1, 7)
    assert isinstance(nodes, Scalar) and nodes.range.start.line == 5
    bad = parse_document("a: &a 1\nb:\n  <<: *a\n")
    assert [e.code for e in bad.errors] == ["TL900"] and "merge" in bad.errors[0].message


def test_huge_integers_and_node_counts_are_bounded() -> None:
    doc = parse_document("n: " + "7" * 5000 + "\nm: 0x" + "f" * 5000 + "\n")
    assert doc.errors == [] and doc.plain()["n"] == float("inf")
    flow = "a: [" + ",".join(["1"] * 200_000) + "]\n"
    start = time.perf_counter()
    errors = parse_document(flow).errors
    assert [e.code for e in errors] == ["TL905"] and "50,000 values" in errors[0].message
    assert errors[0].range.start.line == 0 and errors[0].range.start.column > 90_000
    assert time.perf_counter() - start < 5.0  # generous: bounded by the cap, not the input
    assert parse_document("a: [" + ",".join(["1"] * 40_000) + "]\n").errors == []


def test_encodings_round_trip() -> None:
    from tunelint.config.document import sniff_encoding

    for bom, codec in (
        (b"", "utf-8"),
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        data = bom + "a: é\n".encode(codec)
        assert sniff_encoding(data).encode(decode(data)[0] or "") == data
