"""`foundry-imagegen emulator [start|stop|status]`, and --emulator sharing the background one."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from foundry_imagegen.cli import local_emulator, main
from foundry_imagegen.cli.local_emulator import ENV_STATE_DIR, find_running, state_dir
from foundry_imagegen.emulator import Emulator

pytestmark = pytest.mark.e2e


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private state directory; whatever a test started there is stopped afterwards."""
    directory = tmp_path / "state"
    monkeypatch.setenv(ENV_STATE_DIR, str(directory))
    try:
        yield directory
    finally:
        with contextlib.suppress(Exception):
            run("emulator", "stop")
        # Should stop itself have failed, no server may outlive the test run.
        for child in list(local_emulator._CHILDREN.values()):
            child.terminate()
            child.wait(timeout=10)
        local_emulator._CHILDREN.clear()


def test_state_dir_follows_the_override_then_xdg() -> None:
    assert state_dir({ENV_STATE_DIR: "/x/y", "XDG_STATE_HOME": "/s"}) == Path("/x/y")
    if os.name != "nt":
        assert state_dir({"XDG_STATE_HOME": "/s"}) == Path("/s/foundry-imagegen")
        assert state_dir({}) == Path.home() / ".local" / "state" / "foundry-imagegen"


def test_start_status_stop(state: Path) -> None:
    assert run("emulator", "status")[0] == 1
    code, out, err = run("emulator", "start")
    assert code == 0, err
    endpoint = out.strip()
    assert endpoint.startswith("http://127.0.0.1:") and endpoint.endswith("/api/projects/demo")
    recorded = json.loads((state / "emulator.json").read_text())
    assert recorded["endpoint"] == endpoint and "emulator stop" in err
    code, out, _ = run("emulator", "status")
    assert (code, out) == (0, f"running at {endpoint} (pid {recorded['pid']})\n")
    code, out, err = run("emulator", "start", "--json")  # a second start reuses the first
    assert code == 0 and json.loads(out)["pid"] == recorded["pid"] and json.loads(out)["new"] is False
    code, out, _ = run("emulator", "status", "--json")
    assert json.loads(out)["endpoint"] == endpoint
    code, _, err = run("emulator", "stop")
    assert code == 0 and f"pid {recorded['pid']}" in err
    assert not (state / "emulator.json").exists() and find_running(os.environ) is None
    code, out, _ = run("emulator", "status")
    assert code == 1 and "no local emulator" in out
    code, _, err = run("emulator", "stop")
    assert code == 0 and "no emulator" in err


def test_start_from_its_own_process_outlives_it(state: Path) -> None:
    # As from a shell: the `start` process exits, the emulator keeps serving, another process stops it.
    env = {**os.environ, ENV_STATE_DIR: str(state)}
    started = subprocess.run(
        [sys.executable, "-m", "foundry_imagegen", "emulator", "start", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    record = json.loads(started.stdout)
    assert record["new"] is True
    running = find_running(os.environ)
    assert running is not None and running.pid == record["pid"]
    stopped = subprocess.run(
        [sys.executable, "-m", "foundry_imagegen", "emulator", "stop"], env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert f"pid {record['pid']}" in stopped.stderr and find_running(os.environ) is None


def test_readme_sequence_shares_the_started_emulator(state: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("emulator", "start")[0] == 0
    code, out, err = run(
        "agent", "create", "poster-artist", "--quality", "low", "--instructions", "Bold posters.", "--emulator"
    )
    assert (code, out) == (0, "created agent poster-artist version 1\n"), err
    assert "using the local emulator started by `foundry-imagegen emulator start`" in err
    code, out, err = run("generate", "a jazz poster", "-o", "poster.png", "--agent", "poster-artist", "--emulator")
    assert (code, out) == (0, "poster.png\n"), err
    assert (tmp_path / "poster.png").read_bytes().startswith(b"\x89PNG")


def test_without_a_started_emulator_the_throwaway_one_says_state_is_lost(state: Path, tmp_path: Path) -> None:
    code, _, err = run("agent", "create", "poster-artist", "--emulator")
    assert code == 0 and "throwaway" in err and "emulator start" in err
    code, _, err = run("generate", "x", "-o", str(tmp_path / "p.png"), "--agent", "poster-artist", "--emulator")
    assert code == 4 and "poster-artist" in err


def test_a_stale_record_is_not_trusted_nor_stopped(state: Path) -> None:
    state.mkdir()
    record = {"endpoint": "http://127.0.0.1:9/api/projects/demo", "pid": os.getpid(), "port": 9, "started_at": 0}
    (state / "emulator.json").write_text(json.dumps(record))
    code, _, _ = run("emulator", "status")
    assert code == 1
    code, _, err = run("emulator", "stop")  # our own pid: it must not be signalled
    assert code == 0 and "not running any more" in err
    assert not (state / "emulator.json").exists()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="tells processes apart by /proc/PID/cmdline")
def test_a_recycled_pid_is_never_signalled(state: Path, foundry_emulator: Emulator) -> None:
    # The worst case: the endpoint answers like an emulator, and the pid is alive but another program (us).
    state.mkdir()
    record = {"endpoint": foundry_emulator.endpoint, "pid": os.getpid(), "port": foundry_emulator.port, "started_at": 0}
    (state / "emulator.json").write_text(json.dumps(record))
    assert run("emulator", "status")[0] == 1
    code, _, err = run("emulator", "stop")
    assert code == 0 and "stopped nothing" in err


def test_start_on_a_busy_port_names_the_port(state: Path, foundry_emulator: Emulator) -> None:
    code, _, err = run("emulator", "start", "--port", str(foundry_emulator.port))
    assert code == 2 and f"port {foundry_emulator.port}" in err and "--port" in err
    assert not (state / "emulator.json").exists()


def test_foreground_serve_on_a_busy_port_names_the_port(foundry_emulator: Emulator) -> None:
    code, out, err = run("emulator", "--port", str(foundry_emulator.port))
    assert (code, out) == (2, "")
    assert f"port {foundry_emulator.port} on 127.0.0.1 is busy" in err and "Fix: pass another --port" in err


def test_emulator_help_names_the_cli_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["emulator", "--help"])
    assert done.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith("usage: foundry-imagegen emulator")
    assert "start" in help_text and "status" in help_text and "--port" in help_text


def test_serve_flags_match_the_emulators_own_command_line() -> None:
    from foundry_imagegen.cli.parser import build_parser
    from foundry_imagegen.emulator._serve import build_parser as emulator_parser

    def options(parser) -> set[str]:
        return {o for action in parser._actions for o in action.option_strings if o not in ("-h", "--help")}

    subcommands = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    [emulator] = [choice for action in subcommands for name, choice in action.choices.items() if name == "emulator"]
    assert options(emulator) == options(emulator_parser())
