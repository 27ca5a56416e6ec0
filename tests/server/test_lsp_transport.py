"""The LSP transport under attack: raw bytes into a real server's stdin (issue 10, item 11).

Each test writes what a broken or hostile client would send and reads the server's
stdout frame by frame: the server keeps answering, never allocates what a header claims,
answers bad params with InvalidParams, and exits 1 on `exit` without `shutdown`.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from typing import Any

import pytest
from lsp_helpers import SERVER_ENV

INVALID_PARAMS = -32602
PARSE_ERROR = -32700


def frame(payload: dict[str, Any] | bytes, length: bytes | None = None) -> bytes:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    header = length if length is not None else str(len(body)).encode()
    return b"Content-Length: " + header + b"\r\n\r\n" + body


def request(msg_id: int, method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params}


class RawServer:
    """`python -m tunelint.server` on pipes, read frame by frame with a timeout."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tunelint.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=SERVER_ENV,
        )
        self._buffer = b""

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def _fill(self, deadline: float) -> None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, remaining))
        if not ready:
            raise AssertionError("the server did not answer in time")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise AssertionError(f"the server closed stdout (exit {self.process.poll()})")
        self._buffer += chunk

    def message(self, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self._buffer:
            self._fill(deadline)
        header, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in header.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        while len(rest) < length:
            self._fill(deadline)
            header, _, rest = self._buffer.partition(b"\r\n\r\n")
        self._buffer = rest[length:]
        return json.loads(rest[:length])

    def response(self, msg_id: int | None, timeout: float = 30.0) -> dict[str, Any]:
        """The response to `msg_id`, skipping notifications and server requests."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.message(max(0.1, deadline - time.monotonic()))
            if "method" not in message and message.get("id") == msg_id:
                return message

    def initialize(self) -> None:
        self.send(frame(request(1, "initialize", {"processId": None, "capabilities": {}})))
        assert self.response(1)["result"]["serverInfo"]["name"] == "tunelint"
        self.send(frame(notification("initialized", {})))

    def hover(self, msg_id: int) -> bytes:
        params = {
            "textDocument": {"uri": "file:///nowhere/run.tune.yaml"},
            "position": {"line": 0, "character": 0},
        }
        return frame(request(msg_id, "textDocument/hover", params))

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM")

    def close(self) -> int:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()
        return self.process.returncode


@pytest.fixture
def server():
    raw = RawServer()
    yield raw
    raw.close()


@pytest.mark.parametrize(
    "length",
    [b"abc", b"-5", b"", b"12x", b"1e3", b"99999999999999999999999999"],
    ids=["letters", "negative", "empty", "suffix", "float", "overlong"],
)
def test_bad_content_length_then_the_server_keeps_answering(server: RawServer, length: bytes):
    server.initialize()
    server.send(frame(request(2, "textDocument/hover", {}), length=length))
    server.send(server.hover(3))
    assert server.response(3)["result"] is None


def test_huge_content_length_neither_crashes_nor_allocates(server: RawServer):
    server.initialize()
    before = server.peak_rss_mb()
    server.send(frame(request(2, "shutdown"), length=str(2**40).encode()))
    server.send(server.hover(3))
    assert server.response(3)["result"] is None
    assert server.process.poll() is None
    # The 1 TiB header did not turn into an allocation (peak RSS barely moved).
    assert server.peak_rss_mb() < before + 64


def test_content_length_longer_than_the_body(server: RawServer):
    """A length that overruns into the next frame: the next frame is still answered."""
    server.initialize()
    server.send(frame(b'{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}', length=b"500"))
    server.send(server.hover(3))
    assert server.response(3)["result"] is None


def test_content_length_shorter_than_the_body(server: RawServer):
    server.initialize()
    server.send(frame(b'{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}', length=b"10"))
    server.send(server.hover(3))
    assert server.response(3)["result"] is None


def test_garbage_between_frames_and_split_writes(server: RawServer):
    server.initialize()
    data = b"\r\nnot a header at all\r\n\r\n" + server.hover(2)
    for byte in range(len(data)):  # one byte per write: frames cut at every position
        server.send(data[byte : byte + 1])
    assert server.response(2)["result"] is None


def test_invalid_params_get_an_invalid_params_error(server: RawServer):
    server.initialize()
    server.send(frame(request(2, "textDocument/hover", {"textDocument": 5})))
    error = server.response(2)["error"]
    assert error["code"] == INVALID_PARAMS
    server.send(frame(request(3, "textDocument/codeAction", {"range": "everything"})))
    assert server.response(3)["error"]["code"] == INVALID_PARAMS
    # A notification with bad params has nobody to answer; the server carries on.
    server.send(frame(notification("textDocument/didOpen", {"textDocument": []})))
    server.send(server.hover(4))
    assert server.response(4)["result"] is None


def test_a_body_that_is_not_json_gets_a_parse_error(server: RawServer):
    server.initialize()
    server.send(frame(b"{this is not json"))
    assert server.response(None)["error"]["code"] == PARSE_ERROR
    server.send(frame(b"\xff\xfe\x00 not utf-8"))
    assert server.response(None)["error"]["code"] == PARSE_ERROR
    server.send(server.hover(2))
    assert server.response(2)["result"] is None


def test_exit_without_shutdown_exits_with_1(server: RawServer):
    server.initialize()
    server.send(frame(notification("exit")))
    assert server.process.wait(timeout=30) == 1


def test_exit_after_shutdown_exits_with_0(server: RawServer):
    server.initialize()
    server.send(frame(request(2, "shutdown")))
    assert "error" not in server.response(2)
    server.send(frame(notification("exit")))
    assert server.process.wait(timeout=30) == 0


def test_json_that_is_no_message_gets_invalid_request(server: RawServer):
    server.initialize()
    server.send(frame(b"[1, 2, 3]"))
    assert server.response(None)["error"]["code"] == -32600
    server.send(server.hover(2))
    assert server.response(2)["result"] is None
