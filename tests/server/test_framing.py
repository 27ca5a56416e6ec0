"""FrameDecoder: whole bodies out of any split of the input; broken frames skipped."""

from __future__ import annotations

import json
import random

from tunelint.server.framing import FrameDecoder, FramingError, encode_frame

BODIES = [
    json.dumps({"jsonrpc": "2.0", "id": i, "method": "m", "params": "é" * i}).encode()
    for i in range(5)
]


def feed_all(decoder: FrameDecoder, chunks: list[bytes]) -> list[bytes | FramingError]:
    out: list[bytes | FramingError] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out


def test_any_split_yields_the_same_bodies() -> None:
    stream = b"".join(encode_frame(body) for body in BODIES)
    rng = random.Random(7)
    splits = 0
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(stream)), rng.randint(1, 30)))
        chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
        assert feed_all(FrameDecoder(), chunks) == BODIES
        splits += 1
    assert splits == 200


def test_content_type_header_and_case_are_accepted() -> None:
    data = (
        b"content-type: application/vscode-jsonrpc; charset=utf-8\r\nCONTENT-LENGTH:  2 \r\n\r\n{}"
    )
    assert FrameDecoder().feed(data) == [b"{}"]


def test_bad_length_is_reported_and_the_next_frame_found() -> None:
    data = b"Content-Length: abc\r\n\r\n{}" + encode_frame(BODIES[1])
    out = FrameDecoder().feed(data)
    assert len(out) == 2 and isinstance(out[0], FramingError) and out[1] == BODIES[1]
    assert "bad Content-Length" in out[0].message


def test_length_over_the_limit_is_refused_without_buffering() -> None:
    decoder = FrameDecoder(max_body=1000)
    out = decoder.feed(b"Content-Length: 1099511627776\r\n\r\n" + b"x" * 5000)
    assert len(out) == 1 and isinstance(out[0], FramingError)
    assert "exceeds" in out[0].message
    # While looking for the next header, only a short tail is kept.
    assert len(decoder._buffer) <= 64
    assert decoder.feed(encode_frame(BODIES[0])) == [BODIES[0]]


def test_overrunning_length_gives_way_to_the_next_header() -> None:
    data = encode_frame(BODIES[0])[:-1].replace(
        str(len(BODIES[0])).encode(), b"400", 1
    ) + encode_frame(BODIES[2])
    out = FrameDecoder().feed(data)
    assert [type(item) for item in out] == [FramingError, bytes]
    assert out[1] == BODIES[2] and "overran" in out[0].message


def test_header_without_length_and_overlong_header() -> None:
    out = FrameDecoder().feed(b"Content-Type: x\r\n\r\n{}" + encode_frame(BODIES[3]))
    assert isinstance(out[0], FramingError) and out[1:] == [BODIES[3]]
    decoder = FrameDecoder(max_header=100)
    out = decoder.feed(b"Content-Length: 2" + b" " * 200 + b"\r\n\r\n{}" + encode_frame(BODIES[4]))
    assert isinstance(out[0], FramingError) and out[-1] == BODIES[4]
