"""Peak memory of the client facing two hostile answers: a stream line that never ends, and a huge body.

A loopback server (in this process, on its own thread) sends either ``data: AAAA...`` with no newline
(``--line-mib``, default 1024) or a 200 MB JSON body (``--body-mib``); the client runs in a child process
whose peak RSS (``ru_maxrss``) is reported with the error it ended in. ``--limit-mib`` sets both
``max_event_bytes`` and ``max_body_bytes`` (default: the client's defaults).

Run: ``.venv/bin/python benchmarks/hostile_memory.py [--limit-mib 16]``; ``--smoke`` sends 8 MiB only.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import resource
import socket
import threading
from typing import Any

CHUNK = b"A" * (1 << 20)


def serve(listener: socket.socket, mode: str, mib: int) -> None:
    with contextlib.suppress(OSError):
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(
                next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            )
            while len(body) < length:
                body += conn.recv(65536)
            if mode == "line":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: ")
                for _ in range(mib):
                    conn.sendall(CHUNK)
            else:
                prefix = b'{"id": "r", "output": [], "pad": "'
                total = len(prefix) + mib * len(CHUNK) + 2
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    + f"Content-Length: {total}\r\n\r\n".encode()
                    + prefix
                )
                for _ in range(mib):
                    conn.sendall(CHUNK)
                conn.sendall(b'"}')


def client(url: str, mode: str, limit: int | None, queue: Any) -> None:
    from foundry_imagegen import FoundryClient

    options: dict[str, Any] = {"max_event_bytes": limit, "max_body_bytes": limit} if limit else {}
    try:
        with FoundryClient(
            url, api_key="k", model="gpt-5.1", image_deployment="gpt-image-2", timeout=120, **options
        ) as c:
            if mode == "line":
                with c.stream("x") as stream:
                    stream.final()
            else:
                c.generate("x")
        outcome = "no error"
    except Exception as exc:
        outcome = type(exc).__name__
    queue.put((outcome, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(mode: str, mib: int, limit: int | None) -> tuple[str, float]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    thread = threading.Thread(target=serve, args=(listener, mode, mib), daemon=True)
    thread.start()
    queue: Any = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(target=client, args=(url, mode, limit, queue))
    process.start()
    result: tuple[str, float] = queue.get(timeout=300)
    process.join()
    listener.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--line-mib", type=int, default=1024)
    parser.add_argument("--body-mib", type=int, default=200)
    parser.add_argument("--limit-mib", type=int, default=0)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    limit = args.limit_mib * 1024 * 1024 or None
    line, body = (8, 8) if args.smoke else (args.line_mib, args.body_mib)
    for mode, mib in (("line", line), ("body", body)):
        outcome, peak = measure(mode, mib, limit)
        label = "endless line" if mode == "line" else "huge body"
        print(f"{label:12} {mib:5} MiB sent: peak RSS {peak:7.1f} MiB, ended in {outcome}")


if __name__ == "__main__":
    main()
