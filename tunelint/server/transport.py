"""The server's message loop over stdio or TCP, in place of pygls' reader.

Frames come from `FrameDecoder` (bounded, resynchronising); a body that is not JSON, not a
JSON-RPC message, or whose params do not fit the method's type gets the JSON-RPC error
response pygls would drop (ParseError, InvalidRequest, InvalidParams) and the loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.io_ import StdoutWriter
from pygls.protocol import JsonRPCProtocol

from tunelint.server.framing import FrameDecoder, FramingError, encode_frame

log = logging.getLogger("tunelint.server")

READ_CHUNK = 64 * 1024


async def serve(
    read: Callable[[], Awaitable[bytes]],
    protocol: JsonRPCProtocol,
    stop: threading.Event,
) -> None:
    """Read frames until end of input (or `stop`) and hand each message to `protocol`."""
    decoder = FrameDecoder()
    while not stop.is_set():
        data = await read()
        if not data:
            return
        for item in decoder.feed(data):
            if isinstance(item, FramingError):
                log.error("dropped a malformed frame: %s", item.message)
            else:
                dispatch(protocol, item)


def dispatch(protocol: JsonRPCProtocol, body: bytes) -> None:
    """One message body: handled, or answered with the JSON-RPC error it deserves."""
    try:
        message = json.loads(body, object_hook=protocol.structure_message)
    except JsonRpcException as exc:  # params that do not fit the method (InvalidParams)
        _reply_error(protocol, body, exc)
        return
    except ValueError as exc:  # not JSON, or not UTF-8
        log.error("message is not JSON: %s", exc)
        _send(protocol, {"jsonrpc": "2.0", "id": None, "error": _error(JsonRpcParseError())})
        return
    if not hasattr(message, "jsonrpc"):  # valid JSON, but no JSON-RPC message
        _reply_error(protocol, body, JsonRpcInvalidRequest())
        return
    protocol.handle_message(message)


def _reply_error(protocol: JsonRPCProtocol, body: bytes, exc: JsonRpcException) -> None:
    """Answer a request with `exc`. A notification or a response to one of our requests
    has nobody waiting for an answer: it is logged."""
    try:
        raw = json.loads(body)
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        raw = {}
    request_id = raw.get("id")
    log.error("rejected %s message: %s", raw.get("method") or "a", exc)
    if "method" in raw:
        if isinstance(request_id, int | str):
            _send(protocol, {"jsonrpc": "2.0", "id": request_id, "error": _error(exc)})
    elif "result" not in raw and "error" not in raw:
        _send(protocol, {"jsonrpc": "2.0", "id": None, "error": _error(exc)})


def _error(exc: JsonRpcException) -> dict[str, Any]:
    message = exc.message or type(exc).__name__
    if exc.__cause__ is not None:  # what did not fit, e.g. cattrs' "While structuring..."
        message = f"{message}: {exc.__cause__}"
    return {"code": exc.code, "message": message}


def _send(protocol: JsonRPCProtocol, payload: dict[str, Any]) -> None:
    writer = protocol.writer
    if writer is None:
        return
    # Both transports here (stdout, a TCP stream) write synchronously.
    writer.write(encode_frame(json.dumps(payload).encode("utf-8")))


def _stdin_reader(stdin: BinaryIO) -> Callable[[], Awaitable[bytes]]:
    """Reads on a daemon thread: a read blocked on stdin never holds up the exit."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    try:
        fd = stdin.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory stream
        fd = None

    def read(size: int) -> bytes:
        # os.read on the descriptor, not the buffered object: a daemon thread blocked
        # inside BufferedReader holds its lock, and the interpreter aborts at exit.
        return os.read(fd, size) if fd is not None else stdin.read(size)

    def pump() -> None:
        while True:
            try:
                data = read(READ_CHUNK)
            except (OSError, ValueError):
                data = b""
            loop.call_soon_threadsafe(queue.put_nowait, data)
            if not data:
                return

    threading.Thread(target=pump, name="tunelint-stdin", daemon=True).start()
    return queue.get


def run_stdio(
    protocol: JsonRPCProtocol,
    stop: threading.Event,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
) -> None:
    """Serve on stdin/stdout until the input ends or the client sends `exit`."""
    protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

    async def main() -> None:
        await serve(_stdin_reader(stdin or sys.stdin.buffer), protocol, stop)

    try:
        asyncio.run(main())
    except BrokenPipeError:
        log.error("the client closed the connection")
    except (KeyboardInterrupt, SystemExit):
        pass  # `exit` (pygls raises SystemExit); the exit code is the server's to decide


def run_tcp(protocol: JsonRPCProtocol, stop: threading.Event, host: str, port: int) -> None:
    """Serve one client at a time on a TCP address, with the same framing."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocol.set_writer(writer)  # type: ignore[arg-type]
        await serve(lambda: reader.read(READ_CHUNK), protocol, stop)
        stop.set()
        server.close()

    async def main() -> None:
        nonlocal server
        server = await asyncio.start_server(connection, host, port)
        async with server:
            with contextlib.suppress(asyncio.CancelledError):  # closed by `connection`
                await server.serve_forever()

    server: Any = None
    with contextlib.suppress(KeyboardInterrupt, SystemExit):  # `exit`: see run_stdio
        asyncio.run(main())
