"""`tunelint server`: the command, stdio default, and --tcp."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tunelint.commands.server import _address


def _message(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read(sock_file) -> dict:
    length = 0
    while (line := sock_file.readline().strip()) != b"":
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(sock_file.read(length))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_address_parsing() -> None:
    assert _address("127.0.0.1:2087") == ("127.0.0.1", 2087)
    assert _address("[::1]:2087") == ("::1", 2087)
    for bad in ("2087", "host:", "host:99999", ":80"):
        with pytest.raises(ValueError):
            _address(bad)


def test_cli_lists_the_server() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tunelint.cli", "server", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "--tcp" in out.stdout and "--stdio" in out.stdout


def test_tcp_transport_answers_initialize(tmp_path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tunelint.server", "--tcp", f"127.0.0.1:{port}"],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        with sock, sock.makefile("rb") as reader:
            sock.sendall(
                _message(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "initialize",
                        "params": {
                            "processId": None,
                            "rootUri": tmp_path.as_uri(),
                            "capabilities": {},
                        },
                    }
                )
            )
            reply = _read(reader)
            assert reply["id"] == 1
            assert reply["result"]["serverInfo"]["name"] == "tunelint"
            capabilities = reply["result"]["capabilities"]
            assert capabilities["positionEncoding"] == "utf-16"
            assert capabilities["codeActionProvider"]["resolveProvider"] is True
            sock.sendall(_message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
            assert _read(reader)["id"] == 2
            sock.sendall(_message({"jsonrpc": "2.0", "method": "exit"}))
    finally:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_bad_tcp_address_exits_with_usage_error() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tunelint.server", "--tcp", "nonsense"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "HOST:PORT" in out.stderr
