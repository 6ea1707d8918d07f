"""A long-lived local emulator: ``foundry-imagegen emulator start|stop|status`` and its per-user state file.

A throwaway emulator forgets agents and files when the command that started it ends, so a sequence such as
``agent create ... --emulator`` then ``generate --agent ... --emulator`` needs one that outlives each command.
``start`` runs ``foundry-imagegen emulator`` (the foreground server) as a detached process and records its
endpoint and pid in ``emulator.json`` in the state directory; ``--emulator`` then uses it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..exceptions import ConfigurationError, FoundryImageGenError

__all__ = [
    "ENV_STATE_DIR",
    "RunningEmulator",
    "find_running",
    "start_background",
    "state_dir",
    "stop_background",
]

#: Where the state file goes instead of the per-user default (tests point it at a temporary directory).
ENV_STATE_DIR = "FOUNDRY_IMAGEGEN_STATE_DIR"

STATE_FILE = "emulator.json"
LOG_FILE = "emulator.log"

# Started processes of this interpreter, so a later `stop` in the same process (tests) can reap its child and
# Python does not warn about a Popen collected while the server it started is meant to keep running.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class RunningEmulator:
    """What the state file records about the emulator that ``start`` launched."""

    endpoint: str
    pid: int
    port: int
    started_at: float
    log: str

    def describe(self) -> str:
        """One line for people: endpoint and pid."""
        return f"{self.endpoint} (pid {self.pid})"


def state_dir(environ: Mapping[str, str]) -> Path:
    """The directory of the state file: ``$FOUNDRY_IMAGEGEN_STATE_DIR``, else the per-user state directory.

    That is ``$XDG_STATE_HOME/foundry-imagegen`` or ``~/.local/state/foundry-imagegen`` (``%LOCALAPPDATA%``
    on Windows).

    :param environ: the environment to read.
    """
    if environ.get(ENV_STATE_DIR):
        return Path(environ[ENV_STATE_DIR])
    if os.name == "nt" and environ.get("LOCALAPPDATA"):
        return Path(environ["LOCALAPPDATA"]) / "foundry-imagegen"
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "foundry-imagegen"


def _read_state(path: Path) -> RunningEmulator | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RunningEmulator(
            endpoint=str(data["endpoint"]),
            pid=int(data["pid"]),
            port=int(data["port"]),
            started_at=float(data["started_at"]),
            log=str(data.get("log", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        # Missing or unreadable: either way there is no emulator this command can trust.
        return None


def _write_state(path: Path, running: RunningEmulator) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(running), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # readers never see half a file


def _pid_alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    if os.name == "nt":
        # os.kill(pid, 0) would terminate the process on Windows; the health check decides there.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, but another user's: never ours to stop
    with contextlib.suppress(ChildProcessError, OSError):
        # A child of this process that exited stays a zombie (and answers kill 0) until reaped.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    # Another's zombie too: a container's pid 1 may never reap the emulator once `start` has exited.
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]  # the name in parentheses may hold spaces


def _runs_this_package(pid: int) -> bool | None:
    """Whether ``pid`` runs this package's emulator (a recycled pid runs something else); None if unknowable."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None  # no /proc (macOS, Windows): the health check alone must decide
    return b"foundry_imagegen" in cmdline and b"emulator" in cmdline


def _is_ours(running: RunningEmulator) -> bool:
    """The recorded process is alive, runs this package's emulator where that can be told, and answers /health.

    All three, because ``stop`` sends a signal on this answer: a pid recycled by another program, or our
    own emulator's port taken over by something else, must never be mistaken for it.
    """
    return _pid_alive(running.pid) and _runs_this_package(running.pid) is not False and _healthy(running)


def _healthy(running: RunningEmulator, timeout: float = 2.0) -> bool:
    import httpx

    root = running.endpoint.split("/api/projects/", 1)[0]
    try:
        reply = httpx.get(root + "/health", timeout=timeout)
        return reply.status_code == 200 and reply.json() == {"status": "ok"}
    except (httpx.HTTPError, ValueError):
        return False


def find_running(environ: Mapping[str, str]) -> RunningEmulator | None:
    """The emulator recorded in the state file, if it is still up and answering; else None.

    :param environ: the environment (for the state directory).
    """
    running = _read_state(state_dir(environ) / STATE_FILE)
    return running if running is not None and _is_ours(running) else None


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def start_background(
    environ: Mapping[str, str], serve_args: Sequence[str], *, port: int, timeout: float = 30.0
) -> tuple[RunningEmulator, bool]:
    """Start the emulator as a detached process unless one is running; returns it and whether it is new.

    :param environ: the environment (for the state directory).
    :param serve_args: arguments for ``foundry-imagegen emulator`` (host, port, keys, dialect, ...).
    :param port: the port asked for (0: any free one), named in the error when it is busy.
    :param timeout: seconds to wait for the server to report it is listening.
    """
    existing = find_running(environ)
    if existing is not None:
        return existing, False
    directory = state_dir(environ)
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / LOG_FILE
    detach: dict[str, Any] = (
        {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
        if os.name == "nt"
        else {"start_new_session": True}  # out of the terminal's process group: Ctrl-C there does not stop it
    )
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "foundry_imagegen", "emulator", *serve_args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            **detach,
        )
    _CHILDREN[proc.pid] = proc
    deadline = time.monotonic() + timeout
    while True:
        for line in _tail(log_path, 50).splitlines():
            if line.startswith("READY "):
                endpoint = line.split(" ", 1)[1].strip()
                port_used = int(endpoint.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
                running = RunningEmulator(endpoint, proc.pid, port_used, time.time(), str(log_path))
                _write_state(directory / STATE_FILE, running)
                return running, True
        code = proc.poll()
        if code is not None:
            _CHILDREN.pop(proc.pid, None)
            detail = _tail(log_path) or f"exit status {code}"
            if code == 2:
                raise ConfigurationError(detail.removeprefix("error: "))
            raise FoundryImageGenError(f"the emulator did not start: {detail} (log: {log_path})")
        if time.monotonic() > deadline:
            _terminate(proc.pid)
            raise FoundryImageGenError(
                f"the emulator did not report READY within {timeout:.0f}s (log: {log_path}). Fix: read the log; "
                f"if port {port} is the trouble, pass another --port (or --port 0 for a free one)"
            )
        time.sleep(0.05)  # a child process starting up: nothing to wait on but its log


def _terminate(pid: int, timeout: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError, OSError):
        os.kill(pid, signal.SIGTERM)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=timeout)
        return
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # not our child, so there is nothing to wait() on
    if _pid_alive(pid) and os.name != "nt":
        with contextlib.suppress(ProcessLookupError, OSError):
            os.kill(pid, signal.SIGKILL)


def stop_background(environ: Mapping[str, str]) -> tuple[RunningEmulator | None, str]:
    """Stop the emulator that ``start`` recorded, and only that one; returns it (None if none) and a note.

    A record whose process is gone, or whose pid now belongs to another program, is removed without
    stopping anything.

    :param environ: the environment (for the state directory).
    """
    path = state_dir(environ) / STATE_FILE
    running = _read_state(path)
    if running is None:
        return None, "no emulator started by `foundry-imagegen emulator start` is running"
    if not _is_ours(running):
        with contextlib.suppress(OSError):
            path.unlink()
        return None, (
            f"the recorded emulator (pid {running.pid}) is not running any more (or that pid and endpoint are no "
            "longer this package's emulator); removed its record and stopped nothing"
        )
    _terminate(running.pid)
    with contextlib.suppress(OSError):
        path.unlink()
    return running, f"stopped the emulator at {running.describe()}"


def port_busy(exc: OSError) -> bool:
    """Whether binding failed because the port is taken.

    :param exc: what binding raised.
    """
    return exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1))
