"""A loopback HTTP server whose every byte the test controls (raw sockets, not the emulator).

Each accepted connection takes the next ``Script`` from the queue: a function that gets a ``Conn`` (the
parsed request and the socket) and writes whatever it likes, or nothing. The server counts requests, so a
test can say how many were sent. Pauses are kept under 0.2 s; every socket has a short timeout, so a
script can never hang the suite.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.testkit import image_stream, make_png

API_KEY = "sk-RAW-TEST-SECRET-0123456789"
FINAL = make_png(24, 16)
FINAL_B64 = base64.b64encode(FINAL).decode()


@dataclass
class Conn:
    sock: socket.socket
    head: bytes = b""
    body: bytes = b""

    def send(self, data: bytes) -> None:
        with contextlib.suppress(OSError):  # the client hung up, which some cells expect
            self.sock.sendall(data)

    def respond(self, status: int, body: bytes, *, headers: dict[str, str] | None = None, ctype: str = "") -> None:
        lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def head_only(self, status: int = 200, *, ctype: str = "application/json", length: int | None = None) -> None:
        lines = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}", "Connection: close"]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def reset(self) -> None:
        # SO_LINGER 0: close sends RST instead of FIN.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.sock.close()


Script = Callable[[Conn], None]


@dataclass
class RawServer:
    scripts: list[Script]
    requests: list[Conn] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.02)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            sock.settimeout(5)
            conn = Conn(sock)
            try:
                if not self._read_request(conn):
                    sock.close()
                    continue
                self.requests.append(conn)
                script = self.scripts.pop(0) if self.scripts else (lambda c: c.respond(599, b"no script"))
                script(conn)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    sock.close()

    @staticmethod
    def _read_request(conn: Conn) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.sock.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = conn.sock.recv(65536)
            if not chunk:
                break
            body += chunk
        conn.head, conn.body = head, body
        return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._listener.close()


def serve(*scripts: Script) -> Iterator[RawServer]:
    server = RawServer(list(scripts))
    try:
        yield server
    finally:
        server.close()


def response_body(result: str | None = FINAL_B64, **extra: object) -> bytes:
    item: dict[str, object] = {"type": "image_generation_call", "id": "ig_1", "status": "completed"}
    if result is not None:
        item["result"] = result
    body: dict[str, object] = {"id": "resp_1", "object": "response", "status": "completed", "output": [item]}
    body.update(extra)
    return json.dumps(body).encode()


def stream_body(**kwargs: object) -> bytes:
    return image_stream(final=FINAL, **kwargs)  # type: ignore[arg-type]


def folder_listing(folder: Path) -> list[str]:
    """Every name in ``folder``, hidden temp files included."""
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def sse_event(kind: str, payload: dict[str, object]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n".encode()


def image_item(result: str | None = FINAL_B64, status: str = "completed") -> dict[str, object]:
    item: dict[str, object] = {"type": "image_generation_call", "id": "ig_1", "status": status}
    if result is not None:
        item["result"] = result
    return item


PARTIAL_B64 = base64.b64encode(make_png(4, 4)).decode()


def stream_events(
    *, result: str | None = FINAL_B64, partials: int = 1, terminal: str = "completed", status: str = "completed"
) -> tuple[bytes, bytes]:
    """(everything up to and including the final item, the closing event) of a small image stream."""
    response: dict[str, object] = {"id": "resp_1", "object": "response", "status": "in_progress", "output": []}
    head = sse_event("response.created", {"response": response})
    for index in range(partials):
        head += sse_event(
            "response.image_generation_call.partial_image",
            {"item_id": "ig_1", "partial_image_index": index, "partial_image_b64": PARTIAL_B64},
        )
    item = image_item(result, status)
    head += sse_event("response.output_item.done", {"output_index": 0, "item": item})
    closing = sse_event("response." + terminal, {"response": {**response, "status": status, "output": [item]}})
    return head, closing


def sse_response(conn: Conn, body: bytes, *, close: bool = True) -> None:
    """A streamed answer with no Content-Length: the body ends when the connection does."""
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + body)
