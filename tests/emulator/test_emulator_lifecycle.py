"""Lifecycle, addresses, command line, pytest plugin and import hygiene."""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

import foundry_imagegen.emulator as emulator_pkg
from foundry_imagegen.emulator import Emulator, RecordedRequest
from foundry_imagegen.emulator._serve import build_parser, main

pytest_plugins = ["pytester"]

EMULATOR_DIR = Path(emulator_pkg.__file__).parent
SRC_DIR = EMULATOR_DIR.parent.parent


def test_addresses() -> None:
    with Emulator(project="proj-1") as emu:
        assert emu.running
        assert emu.url == f"http://127.0.0.1:{emu.port}"
        assert emu.endpoint == f"http://127.0.0.1:{emu.port}/api/projects/proj-1"
        assert emu.resource_endpoint == emu.url
        assert emu.port > 0
        assert "proj-1" in repr(emu)
    assert not emu.running
    assert "stopped" in repr(emu)
    with pytest.raises(RuntimeError):
        _ = emu.url


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Emulator(host=host)


@pytest.mark.parametrize(
    "kwargs",
    [{"stream_dialect": "sse"}, {"event_delay": -1}, {"port": 70000}, {"project": "a/b"}, {"project": ""}],
)
def test_bad_constructor_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Emulator(**kwargs)


def test_localhost_and_other_loopback_addresses(http) -> None:
    with Emulator(host="localhost") as emu:
        assert http.get(emu.url + "/health").status_code == 200
    with Emulator(host="127.0.0.2") as emu:
        assert emu.url.startswith("http://127.0.0.2:")
        assert http.get(emu.url + "/health").status_code == 200


def test_ipv6_loopback(http) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        emu = Emulator(host="::1").start()
    except OSError:
        pytest.skip("::1 not bindable here")
    try:
        assert emu.url.startswith("http://[::1]:")
        assert http.get(emu.url + "/health").status_code == 200
    finally:
        emu.stop()


def test_stop_is_idempotent_and_joins_the_thread() -> None:
    emu = Emulator().start()
    thread = emu._thread
    assert thread is not None and thread.is_alive()
    emu.stop()
    emu.stop()
    assert not thread.is_alive()
    Emulator().stop()  # never started: fine


def test_start_twice_is_an_error() -> None:
    with Emulator() as emu, pytest.raises(RuntimeError):
        emu.start()


def test_restart_after_stop() -> None:
    emu = Emulator().start()
    emu.stop()
    emu.start()
    try:
        assert httpx.get(emu.url + "/health").status_code == 200
    finally:
        emu.stop()


def test_stop_cuts_a_slow_request_and_open_keepalive_connections() -> None:
    emu = Emulator().start()
    emu.inject("slow_first_byte", delay=30)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            httpx.post(
                emu.url + "/openai/v1/responses",
                json={"model": "gpt-4o", "input": "x"},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    while not emu.requests:
        threading.Event().wait(0.002)
    emu.stop()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert errors and isinstance(errors[0], httpx.RemoteProtocolError)


def test_requests_snapshot_and_clear(api) -> None:
    api.create(api.image_body(), query="?api-version=v1")
    snap = api.emu.requests
    assert isinstance(snap[0], RecordedRequest)
    assert snap[0].query == {"api-version": "v1"}
    api.create(api.image_body())
    assert len(snap) == 1  # a copy, not a live view
    assert len(api.emu.requests) == 2
    api.emu.clear_requests()
    assert api.emu.requests == []
    assert api.emu.last_request() is None


def test_non_json_bodies_are_logged_without_json(api) -> None:
    api.create(raw=b"{not json")
    assert api.emu.last_request().json is None


def test_keep_alive_connection_reuse(api) -> None:
    for _ in range(3):
        assert api.create(api.image_body()).status_code == 200


def test_chunked_request_body(api) -> None:
    import json

    def gen():
        data = json.dumps(api.image_body()).encode()
        yield data[:10]
        yield data[10:]

    r = api.client.post(
        api.emu.url + "/openai/v1/responses",
        content=gen(),
        headers={"x-ms-oai-image-generation-deployment": "gpt-image-1", "content-type": "application/json"},
    )
    assert r.status_code == 200


# ---------------------------------------------------------------------------- command line


def test_build_parser_defaults_and_options() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.project, args.dialect, args.event_delay, args.seed) == (
        "127.0.0.1",
        0,
        "demo",
        "openai",
        0.0,
        0,
    )
    assert args.api_keys is None and args.bearer_tokens is None
    args = build_parser().parse_args(
        ["--api-key", "a", "--api-key", "b", "--bearer-token", "t", "--dialect", "azure", "--seed", "3"]
    )
    assert args.api_keys == ["a", "b"] and args.bearer_tokens == ["t"] and args.dialect == "azure"


def test_main_rejects_non_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err


def _spawn(*args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(SRC_DIR) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "foundry_imagegen.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_module_entry_point_prints_ready_and_exits_cleanly(sig: signal.Signals) -> None:
    proc, line = _spawn("--port", "0", "--project", "cli", "--api-key", "k")
    try:
        assert line.startswith("READY http://127.0.0.1:")
        endpoint = line.split()[1]
        assert endpoint.endswith("/api/projects/cli")
        r = httpx.post(
            endpoint + "/openai/v1/responses",
            json={"model": "gpt-4o", "input": "x"},
            headers={"api-key": "k"},
        )
        assert r.status_code == 200
        assert httpx.post(endpoint + "/openai/v1/responses", json={}, headers={"api-key": "no"}).status_code == 401
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out == ""  # exactly one line was printed


# ---------------------------------------------------------------------------- pytest plugin


def test_pytest_plugin_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import httpx

        def test_default(foundry_emulator):
            assert foundry_emulator.running
            assert httpx.get(foundry_emulator.url + "/health").json() == {"status": "ok"}

        def test_factory(foundry_emulator_factory):
            a = foundry_emulator_factory(api_keys=["k"])
            b = foundry_emulator_factory(stream_dialect="azure", project="p2")
            assert a.port != b.port
            assert b.endpoint.endswith("/api/projects/p2")
            r = httpx.post(a.url + "/openai/v1/responses", json={"model": "gpt-4o", "input": "x"})
            assert r.status_code == 401
            pytest_holder.append((a, b))

        pytest_holder = []

        def test_all_stopped_after_teardown():
            (a, b), = pytest_holder
            assert not a.running and not b.running
        """
    )
    # Block the pytest11 entry point (active when the package is installed) so the explicit -p does
    # not register the same module twice; this way the test runs installed or not.
    result = pytester.runpytest(
        "-p", "no:foundry_imagegen", "-p", "foundry_imagegen.emulator.pytest_plugin", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=3)


# ---------------------------------------------------------------------------- import hygiene


def _emulator_modules() -> list[Path]:
    files = sorted(EMULATOR_DIR.rglob("*.py"))
    assert len(files) >= 8
    return files


@pytest.mark.parametrize("path", _emulator_modules(), ids=lambda p: p.name)
def test_emulator_imports_nothing_from_the_sdk(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 1:
                raise AssertionError(f"{path.name}:{node.lineno}: relative import leaves the emulator package")
            if node.level == 0 and node.module:
                names = [node.module]
        for name in names:
            if name == "foundry_imagegen" or name.startswith("foundry_imagegen."):
                assert name == "foundry_imagegen.emulator" or name.startswith("foundry_imagegen.emulator."), (
                    f"{path.name}:{node.lineno} imports {name}"
                )


@pytest.mark.parametrize("path", _emulator_modules(), ids=lambda p: p.name)
def test_emulator_uses_only_the_standard_library_and_lazy_pillow(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    allowed_third_party = {"pytest"} if path.name == "pytest_plugin.py" else set()
    for node in tree.body:  # module level: must be stdlib (Pillow only inside functions)
        mods: list[str] = []
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [node.module]
        for mod in mods:
            top = mod.split(".")[0]
            assert top in sys.stdlib_module_names or top in allowed_third_party or top == "foundry_imagegen", (
                f"{path.name}:{node.lineno} imports {mod} at module level"
            )
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            continue  # relative: inside the emulator package (checked above)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mod = node.names[0].name if isinstance(node, ast.Import) else (node.module or "")
            top = mod.split(".")[0]
            assert top in sys.stdlib_module_names | {"PIL", "foundry_imagegen"} | allowed_third_party, mod


def test_importing_the_emulator_does_not_import_pillow_or_the_sdk() -> None:
    # Whatever the parent package's __init__ imports is not the emulator's doing, so diff against it.
    code = (
        "import sys, foundry_imagegen; before = set(sys.modules);"
        "import foundry_imagegen.emulator, foundry_imagegen.emulator._serve;"
        "new = set(sys.modules) - before;"
        "bad = sorted(m for m in new if m.split('.')[0] == 'PIL' or (m.startswith('foundry_imagegen.') and "
        "not m.startswith('foundry_imagegen.emulator')));"
        "print(bad)"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC_DIR)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "[]"


def test_pytest11_entry_point_provides_the_fixtures(pytester: pytest.Pytester) -> None:
    from importlib.metadata import entry_points

    if not any(ep.value == "foundry_imagegen.pytest_plugin" for ep in entry_points(group="pytest11")):
        pytest.skip("package not installed, so its pytest11 entry point is not registered")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile("def test_it(foundry_emulator):\n    assert foundry_emulator.running\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
