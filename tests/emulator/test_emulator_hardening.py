"""Hardening: a deep listen backlog, a read timeout, and admin routes that only loopback pages can reach."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import httpx
import pytest

from foundry_imagegen.emulator import Emulator


@pytest.fixture
def quick_emu(foundry_emulator_factory) -> Emulator:
    return foundry_emulator_factory(read_timeout=0.2)


def _connect(emu: Emulator) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=5)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


# ---------------------------------------------------------------------------- read timeout


def test_idle_connection_is_closed_after_the_read_timeout(quick_emu) -> None:
    with _connect(quick_emu) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""  # the server hung up; without a timeout this waits the full 5 s
        assert time.monotonic() - started < 3


def test_short_body_gets_408_and_frees_the_thread(quick_emu) -> None:
    with _connect(quick_emu) as sock:
        sock.sendall(
            b"POST /openai/v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"model":'
        )
        answer = _read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert json.loads(body)["error"]["code"] == "408"


def test_idle_keep_alive_connection_is_closed_after_a_request(quick_emu) -> None:
    with _connect(quick_emu) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = _read_all(sock)  # returns only because the idle connection is closed afterwards
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"status":"ok"}')


def test_read_timeout_is_validated() -> None:
    with pytest.raises(ValueError, match="read_timeout"):
        Emulator(read_timeout=0)


# ---------------------------------------------------------------------------- admin routes


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "10.0.0.5", "127.0.0.1.nip.io"])
def test_admin_refuses_a_non_loopback_host(emu, http, host) -> None:
    for method, path in (
        ("GET", "/_emulator/requests"),
        ("POST", "/_emulator/faults"),
        ("DELETE", "/_emulator/faults"),
    ):
        r = http.request(method, emu.url + path, headers={"Host": host}, json={"kind": "server_error"})
        assert r.status_code == 403, (method, path)
        err = r.json()["error"]
        assert err["code"] == "forbidden_host"
        assert "loopback" in err["message"] and host in err["message"]
    assert emu.faults == []


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:1234", "127.0.0.1", "127.0.0.2:80", "[::1]:9"])
def test_admin_accepts_loopback_hosts(emu, http, host) -> None:
    assert http.get(emu.url + "/_emulator/requests", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://192.168.1.2:3000", "file://"])
def test_admin_refuses_a_foreign_origin(emu, http, origin) -> None:
    r = http.post(emu.url + "/_emulator/faults", json={"kind": "server_error"}, headers={"Origin": origin})
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "forbidden_origin" and origin in err["message"]
    assert http.get(emu.url + "/_emulator/requests", headers={"Origin": origin}).status_code == 403
    assert emu.faults == []


def test_admin_accepts_a_loopback_origin(emu, http) -> None:
    r = http.post(
        emu.url + "/_emulator/faults", json={"kind": "server_error"}, headers={"Origin": "http://localhost:5173"}
    )
    assert r.status_code == 204
    assert emu.faults[0]["kind"] == "server_error"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_admin_post_needs_a_json_content_type(emu, http, content_type) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    r = http.post(emu.url + "/_emulator/faults", content=b'{"kind":"server_error"}', headers=headers)
    assert r.status_code == 415
    err = r.json()["error"]
    assert err["code"] == "unsupported_media_type" and "application/json" in err["message"]
    assert emu.faults == []


def test_admin_post_takes_json_with_a_charset(emu, http) -> None:
    r = http.post(
        emu.url + "/_emulator/faults",
        content=b'{"kind":"server_error"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 204


def test_api_routes_still_take_any_host(emu, http) -> None:
    # Only the admin surface is guarded; SDK clients behind proxies may send other Host values.
    r = http.post(emu.url + "/openai/v1/responses", json={"model": "gpt-4.1", "input": "hi"}, headers={"Host": "x"})
    assert r.status_code == 200


# ---------------------------------------------------------------------------- load


def test_500_concurrent_requests_complete_without_errors(emu) -> None:
    n = 500
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    body = json.dumps({"model": "gpt-4.1", "input": "hi"})

    def one(i: int) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30)
            barrier.wait(timeout=30)
            if i % 2:
                conn.request("POST", "/openai/v1/responses", body, {"Content-Type": "application/json"})
            else:
                conn.request("GET", "/health")
            resp = conn.getresponse()
            resp.read()
            conn.close()
            with lock:
                statuses.append(resp.status)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert statuses == [200] * n


async def test_500_concurrent_httpx_requests(emu) -> None:
    import asyncio

    limits = httpx.Limits(max_connections=500, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        results = await asyncio.gather(
            *(
                client.post(emu.url + "/openai/v1/responses", json={"model": "gpt-4.1", "input": f"hi {i}"})
                for i in range(500)
            ),
            return_exceptions=True,
        )
    failures = [r for r in results if not isinstance(r, httpx.Response) or r.status_code != 200]
    assert failures == []
