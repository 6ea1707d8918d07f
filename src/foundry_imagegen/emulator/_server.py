"""Socket side: a threaded loopback HTTP/1.1 server around :class:`Service`; the public :class:`Emulator`."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import selectors
import socket
import ssl
import sys
import threading
import traceback
import uuid
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlsplit

from ._clock import Clock
from ._quota import parse_latency
from ._service import (
    BytesReply,
    DropReply,
    JsonReply,
    RecordedRequest,
    Reply,
    Request,
    Service,
    StreamReply,
)
from ._wire import compact_json

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["DEFAULT_IMAGE_DEPLOYMENTS", "DEFAULT_MODEL_DEPLOYMENTS", "Emulator"]

# Orchestrator deployment name -> model. The gpt-5 family is current; the gpt-4o/4.1 names retired in
# October 2026 stay because existing callers use them, and "gpt-5" is a deployment of the non-reasoning
# gpt-5-chat model so its answers keep the image call as the first output item.
DEFAULT_MODEL_DEPLOYMENTS: Mapping[str, str] = {
    "gpt-5.5": "gpt-5.5",
    "gpt-5.4": "gpt-5.4",
    "gpt-5.4-mini": "gpt-5.4-mini",
    "gpt-5.1": "gpt-5.1",
    "gpt-5-mini": "gpt-5-mini",
    "gpt-5": "gpt-5-chat",
    "gpt-4.1": "gpt-4.1",
    "gpt-4.1-mini": "gpt-4.1-mini",
    "gpt-4o": "gpt-4o",
    "gpt-4o-mini": "gpt-4o-mini",
}
# Image deployment name -> model; gpt-image-1 (retired 2026-10-23) stays for existing callers.
DEFAULT_IMAGE_DEPLOYMENTS: Mapping[str, str] = {
    "gpt-image-2": "gpt-image-2",
    "gpt-image-1-mini": "gpt-image-1-mini",
    "gpt-image-1.5": "gpt-image-1.5",
    "gpt-image-1": "gpt-image-1",
}
MAX_BODY = 64 * 1024 * 1024
DEFAULT_READ_TIMEOUT = 30.0
_log = logging.getLogger(__name__)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Rebinding a port right after a test stopped an emulator must not fail.
    allow_reuse_address = True
    # The stdlib default of 5 makes the kernel reset connections as soon as a test fires a burst;
    # the kernel caps this at its own somaxconn.
    request_queue_size = 4096

    def __init__(
        self,
        address: tuple[str, int],
        service: Service,
        stopping: threading.Event,
        event_delay: float,
        read_timeout: float,
    ) -> None:
        self.service = service
        self.stopping = stopping
        self.event_delay = event_delay
        self.read_timeout = read_timeout
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def serve_until(self, stopping: threading.Event, wake: socket.socket) -> None:
        """Accept connections until ``stopping`` is set; writing to the peer of ``wake`` interrupts the wait.

        Used instead of ``serve_forever`` whose shutdown waits for a poll interval: stopping is instant.
        """
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while not stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self.socket and not stopping.is_set():
                        self.handle_request()

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002 - base signature
        # Clients hanging up (timeouts, dropped streams) are normal; anything else is logged, not printed.
        exc = sys.exc_info()[1]
        # A client that gives up on the TLS handshake (or speaks plain HTTP to it) is its own problem.
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        _log.error("emulator connection error from %s", client_address, exc_info=exc)

    def close_connections(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        # An idle or stalled client (no request line, half a body) gives its thread back instead of
        # holding it forever; the handler's reads see socket.timeout and close the connection.
        self.request.settimeout(self.server.read_timeout)
        if isinstance(self.request, ssl.SSLSocket):
            # The TLS handshake runs here, in the connection's thread, not in the accept loop.
            self.request.do_handshake()
        super().setup()
        self.connection.settimeout(self.server.read_timeout)
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.sockets_lock:
            self.server.open_sockets.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; the request log is the record

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    return None
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        request_id = str(uuid.uuid4())
        try:
            body = self._read_body()
        except TimeoutError:
            self.close_connection = True
            message = f"The request body did not arrive within {self.server.read_timeout:g} s."
            with contextlib.suppress(OSError):
                self._send_json(JsonReply(408, {"error": {"code": "408", "message": message}}), request_id)
            return
        except (ValueError, OSError):
            self.close_connection = True
            self._send_json(
                JsonReply(400, {"error": {"code": "400", "message": "Malformed request body."}}), request_id
            )
            return
        if body is None:
            self.close_connection = True
            self._send_json(
                JsonReply(413, {"error": {"code": "413", "message": "Request body too large."}}), request_id
            )
            return
        split = urlsplit(self.path)
        req = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            request_id=request_id,
        )
        try:
            reply: Reply = self.server.service.handle(req)
        except Exception as exc:
            # An emulator bug: answer 500 with the traceback so the test that hit it shows why.
            _log.exception("emulator failed on %s %s", req.method, req.path)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            reply = JsonReply(500, {"error": {"code": "emulator_internal_error", "message": detail}})
        if reply.pre_delay > 0 and self.server.stopping.wait(reply.pre_delay):
            self._drop()
            return
        # A generation latency: real time on the wall clock, an instant advance on a fake one.
        if reply.clock_delay > 0 and self.server.service.clock.sleep(reply.clock_delay, self.server.stopping):
            self._drop()
            return
        try:
            if isinstance(reply, DropReply):
                self._drop()
            elif isinstance(reply, StreamReply):
                self._send_stream(reply, request_id)
            elif isinstance(reply, BytesReply):
                self._send_bytes(reply.status, reply.data, reply.content_type, reply.headers, request_id)
            else:
                self._send_json(reply, request_id)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _common_headers(self, request_id: str, extra: Mapping[str, str]) -> None:
        self.send_header("x-request-id", request_id)
        self.send_header("apim-request-id", str(uuid.uuid4()))
        self.send_header("x-ms-region", self.server.service.region)
        # azure-core sends a client request id on every call and the service echoes it.
        client_id = self.headers.get("x-ms-client-request-id")
        if client_id is not None:
            self.send_header("x-ms-client-request-id", client_id)
        for name, value in extra.items():
            self.send_header(name, value)

    def _send_json(self, reply: JsonReply, request_id: str) -> None:
        if reply.status == 204:
            self.send_response(204)
            self._common_headers(request_id, reply.headers)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send_bytes(reply.status, compact_json(reply.body), "application/json", reply.headers, request_id)

    def _send_bytes(
        self, status: int, data: bytes, content_type: str, headers: Mapping[str, str], request_id: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self._common_headers(request_id, headers)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _send_stream(self, reply: StreamReply, request_id: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self._common_headers(request_id, reply.headers)
        self.end_headers()
        self.wfile.flush()
        delay = self.server.event_delay
        chunks = reply.chunks
        first = True
        try:
            for kind, payload in chunks:
                if not first and delay > 0 and self.server.stopping.wait(delay):
                    self._drop()
                    return
                first = False
                if kind == "drop":
                    self._drop()
                    return
                if kind == "done":
                    self._write_chunk(b"data: [DONE]\n\n")
                else:
                    event_type = str(payload["type"]).encode("utf-8")
                    self._write_chunk(b"event: " + event_type + b"\ndata: " + compact_json(payload) + b"\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


class Emulator:
    """A local stand-in for a Foundry project / Azure OpenAI resource with the image generation tool.

    It listens on loopback only, speaks the real wire format (JSON and SSE), renders real images, and
    can be told to fail in the ways the service fails.

    Keyword arguments: ``host`` (a loopback address), ``port`` (0 picks a free one), ``project`` (the name
    in ``/api/projects/{project}``), ``model_deployments`` (orchestrator deployment name → model, or
    names that are their own model; gpt-5-family and o-series models answer with a ``reasoning`` item
    first),
    ``image_deployments`` (deployment name → image model, or names that are their own model),
    ``api_keys`` / ``bearer_tokens`` (accepted credentials; both None = not checked), ``stream_dialect``
    (``"openai"`` or ``"azure"`` SSE), ``event_delay`` (seconds between SSE events), ``seed`` (changes
    every picture) and ``read_timeout`` (seconds a connection may stay silent while the server waits for
    a request or the rest of a body; then it is closed, with a 408 for a partial body).

    Time and the deployments listing: ``clock`` (a :class:`~foundry_imagegen.emulator.FakeClock` makes
    quota windows and background generations move only when the test says so; default wall time),
    ``unlisted_deployments`` (names left out of ``GET …/deployments`` that still serve calls) and
    ``deployment_overrides`` (name → listing fields such as ``{"modelName": "gpt-image-1"}`` that replace
    the real ones; an unknown name adds a listed deployment that serves nothing).

    Quotas and headers: ``rpm`` (deployment name → requests per minute over a sliding one-minute
    window of ``clock``; over it a call gets the service's 429 with ``Retry-After``; others are
    practically unlimited), ``latency`` (``(mean, spread)`` seconds, or a bare mean: each Responses
    call takes a time drawn from ``mean ± spread``, the same for the same request; waited in the server
    thread, or advanced on a fake clock) and ``region`` (the ``x-ms-region`` header).

    Background mode: ``background_duration`` (seconds on ``clock`` a ``background: true`` response
    takes from ``queued`` to done; default 2).

    TLS: ``tls=(certfile, keyfile)`` serves HTTPS (PEM files; a throwaway self-signed certificate is
    enough), for clients such as azure-core that refuse to send bearer tokens over plain HTTP.

    Example::

        with Emulator() as emu:
            client = openai.OpenAI(
                base_url=emu.url + "/openai/v1",
                api_key="any",
                default_headers={"x-ms-oai-image-generation-deployment": "gpt-image-1"},
            )
            resp = client.responses.create(
                model="gpt-4.1", input="a cat", tools=[{"type": "image_generation"}]
            )
            emu.inject("rate_limit", retry_after=0)  # the next Responses POST gets HTTP 429
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        project: str = "demo",
        model_deployments: Mapping[str, str] | Iterable[str] = DEFAULT_MODEL_DEPLOYMENTS,
        image_deployments: Mapping[str, str] | Iterable[str] = DEFAULT_IMAGE_DEPLOYMENTS,
        api_keys: Iterable[str] | None = None,
        bearer_tokens: Iterable[str] | None = None,
        stream_dialect: Literal["openai", "azure"] = "openai",
        event_delay: float = 0.0,
        seed: int = 0,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        clock: Clock | None = None,
        unlisted_deployments: Iterable[str] = (),
        deployment_overrides: Mapping[str, Mapping[str, Any]] | None = None,
        rpm: Mapping[str, int] | None = None,
        latency: tuple[float, float] | float | None = None,
        region: str = "East US 2",
        background_duration: float = 2.0,
        tls: tuple[str, str] | None = None,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(
                f"the emulator only binds to loopback addresses (127.0.0.0/8, ::1, localhost), not {host!r}"
            )
        if stream_dialect not in ("openai", "azure"):
            raise ValueError(f"stream_dialect must be 'openai' or 'azure', not {stream_dialect!r}")
        if event_delay < 0:
            raise ValueError("event_delay must be >= 0")
        if not background_duration >= 0:
            raise ValueError("background_duration must be >= 0 seconds")
        if not read_timeout > 0:
            raise ValueError("read_timeout must be > 0 seconds")
        if not 0 <= port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if not project or "/" in project:
            raise ValueError("project must be a non-empty name without '/'")
        self._host = "127.0.0.1" if host == "localhost" else host
        self._port = port
        self._tls: ssl.SSLContext | None = None
        if tls is not None:
            certfile, keyfile = tls
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(certfile, keyfile)
        self._event_delay = float(event_delay)
        self._read_timeout = float(read_timeout)
        self._service = Service(
            project=project,
            model_deployments=model_deployments,
            image_deployments=image_deployments,
            api_keys=api_keys,
            bearer_tokens=bearer_tokens,
            stream_dialect=stream_dialect,
            seed=seed,
            clock=clock,
            unlisted_deployments=unlisted_deployments,
            deployment_overrides=deployment_overrides,
            rpm=rpm,
            latency=parse_latency(latency),
            region=region,
            background_duration=background_duration,
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        # Shared with the service, whose background streams wait on the clock and must end on stop.
        self._stopping = self._service.stopping
        self._lifecycle = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Emulator:
        """Bind and serve in a background thread; returns self. Starting twice is an error.

        Example::

            emu = Emulator().start()
        """
        with self._lifecycle:
            if self._server is not None:
                raise RuntimeError("emulator already started")
            self._stopping.clear()
            cls = _Server6 if ":" in self._host else _Server
            server = cls((self._host, self._port), self._service, self._stopping, self._event_delay, self._read_timeout)
            # handle_request() must not block once select() said a connection is waiting.
            server.timeout = 0
            if self._tls is not None:
                server.socket = self._tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
            self._server = server
            self._port = server.server_address[1]
            self._wake = socket.socketpair()
            self._thread = threading.Thread(
                target=server.serve_until,
                args=(self._stopping, self._wake[0]),
                name=f"foundry-imagegen-emulator:{self._port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and join the server thread (idempotent).

        Example::

            emu.stop()  # idempotent; the with-block does it
        """
        with self._lifecycle:
            server, thread, wake = self._server, self._thread, self._wake
            self._server, self._thread, self._wake = None, None, None
            if server is None:
                return
            self._stopping.set()
            if wake is not None:
                with contextlib.suppress(OSError):
                    wake[1].send(b"x")
            if thread is not None:
                thread.join(timeout=5)
            server.close_connections()
            server.server_close()
            if wake is not None:
                wake[0].close()
                wake[1].close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._server is not None

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The bound port (the chosen one when constructed with ``port=0``, once started)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:50123`` (``https://`` when serving TLS)."""
        if self._server is None:
            raise RuntimeError("emulator not started; call start() or use it as a context manager")
        host = f"[{self._host}]" if ":" in self._host else self._host
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://{host}:{self._port}"

    @property
    def endpoint(self) -> str:
        """Foundry project endpoint, e.g. ``http://127.0.0.1:50123/api/projects/demo``."""
        return f"{self.url}/api/projects/{self._service.project}"

    @property
    def resource_endpoint(self) -> str:
        """Azure OpenAI resource endpoint (same as :attr:`url`); Responses live under ``/openai/v1``."""
        return self.url

    @property
    def project(self) -> str:
        return self._service.project

    # ------------------------------------------------------------------ faults and request log

    def inject(self, kind: str, *, count: int = 1, **params: Any) -> None:
        """Queue a fault for the next ``count`` Responses POSTs (FIFO; one fault per request).

        Raises ValueError for an unknown kind (the message lists the kinds) or parameter.

        Example::

            emu.inject("rate_limit", retry_after=2, retry_after_ms=1500)
            emu.inject("stream_drop", after=4)  # only streaming requests consume this one
        """
        self._service.faults.add(kind, count, params)

    def clear_faults(self) -> None:
        """Forget all queued faults.

        Example::

            emu.clear_faults()
        """
        self._service.faults.clear()

    @property
    def faults(self) -> list[dict[str, Any]]:
        """Queued faults as ``{"kind", "remaining", **params}`` dicts (a snapshot)."""
        return self._service.faults.snapshot()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of the requests received so far (admin and /health requests are not recorded)."""
        return self._service.requests()

    def clear_requests(self) -> None:
        """Forget the recorded requests.

        Example::

            emu.clear_requests()
        """
        self._service.clear_requests()

    def last_request(self) -> RecordedRequest | None:
        """The most recent recorded request, or None.

        Example::

            emu.last_request().headers["x-ms-oai-image-generation-deployment"]
        """
        reqs = self._service.requests()
        return reqs[-1] if reqs else None

    def __repr__(self) -> str:
        state = self.url if self.running else "stopped"
        return f"<Emulator {state} project={self._service.project!r}>"
