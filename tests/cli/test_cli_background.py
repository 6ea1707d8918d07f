"""`generate --no-wait`, `wait ID` and `cancel ID`: background generations from the command line.

Most tests point the commands at an in-process emulator on a FakeClock and replace the CLI's sleep with
one that moves that clock, so a 10 s generation finishes at once; one test runs the commands as separate
processes against a started emulator, as a shell would.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from foundry_imagegen.cli import background, local_emulator, main
from foundry_imagegen.cli.local_emulator import ENV_STATE_DIR
from foundry_imagegen.emulator import Emulator, FakeClock

pytestmark = pytest.mark.e2e

DURATION = 10.0


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator on a FakeClock that the CLI's polling sleep advances; ``slept`` records the waits."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    monkeypatch.setattr(background, "sleep", sleep)
    with Emulator(clock=clock, background_duration=DURATION) as emulator:
        emulator.slept = slept  # type: ignore[attr-defined]
        yield emulator


def target(emu: Emulator) -> list[str]:
    return ["--endpoint", emu.endpoint, "--api-key", "k", "--model", "gpt-5.1", "--image-deployment", "gpt-image-2"]


def start(emu: Emulator, *extra: str) -> str:
    code, out, err = run("generate", "a detailed isometric city map", "--no-wait", *target(emu), *extra)
    assert code == 0, err
    return out.strip()


def progress_lines(err: str) -> list[str]:
    return [re.sub(r"^\[ *\d+\.\d+s\] ", "", line) for line in err.splitlines() if line.startswith("[")]


def test_no_wait_prints_the_id_and_returns_at_once(emu: Emulator, clock: FakeClock) -> None:
    before = clock.now()
    code, out, err = run("generate", "a city map", "--no-wait", "--quality", "low", *target(emu))

    assert code == 0, err
    response_id = out.strip()
    assert re.fullmatch(r"resp_\w+", response_id) and out == response_id + "\n"
    assert f"foundry-imagegen wait {response_id} -o PATH" in err and f"cancel {response_id}" in err
    assert clock.now() == before and emu.slept == []  # type: ignore[attr-defined]
    [post] = emu.requests
    assert post.json["background"] is True and post.json["store"] is True
    assert post.json["tools"][0]["quality"] == "low"

    code, out, err = run("generate", "a city map", "--no-wait", "--json", "-q", *target(emu))
    assert (code, err) == (0, "")
    summary = json.loads(out)
    assert summary == {"response_id": summary["response_id"], "status": "queued"}


def test_wait_shows_the_polls_and_saves_the_image(emu: Emulator, tmp_path: Path) -> None:
    response_id = start(emu)

    code, out, err = run("wait", response_id, "-o", str(tmp_path / "map.png"), *target(emu))

    assert code == 0, err
    assert out == f"{tmp_path / 'map.png'}\n"
    assert (tmp_path / "map.png").read_bytes().startswith(b"\x89PNG")
    assert progress_lines(err) == [
        f"waiting for {response_id}",
        "queued (poll 1, next poll in 1.0s)",
        "queued (poll 2, next poll in 1.5s)",
        "in_progress (poll 3, next poll in 2.2s)",
        "in_progress (poll 4, next poll in 3.4s)",
        "in_progress (poll 5, next poll in 5.1s)",
        "completed (poll 6)",
    ]
    assert err.splitlines()[-1].startswith(f"wrote {tmp_path / 'map.png'} (1024x1024 png")
    assert emu.slept == [1.0, 1.5, 2.25, 3.375, 5.0625]  # type: ignore[attr-defined]


def test_wait_json_quiet_and_terminal(emu: Emulator, tmp_path: Path) -> None:
    first, second = start(emu), start(emu)

    code, out, err = run("wait", first, "-o", str(tmp_path / "a.png"), "--json", "-q", *target(emu))
    assert (code, err) == (0, "")
    summary = json.loads(out)
    assert summary["response_id"] == first and summary["path"] == str(tmp_path / "a.png")
    assert (summary["format"], summary["width"], summary["height"]) == ("png", 1024, 1024)

    code, out, err = run("wait", second, "-o", str(tmp_path / "b.png"), *target(emu), err=Tty())
    assert code == 0, err
    # A terminal gets one redrawn line, erased before the summary: no plain progress lines.
    assert progress_lines(err) == []
    assert err.rsplit("\x1b[2K", 1)[1].startswith(f"wrote {tmp_path / 'b.png'}")


def test_a_wait_that_times_out_exits_9_and_leaves_it_running(emu: Emulator, tmp_path: Path) -> None:
    response_id = start(emu)

    code, out, err = run("wait", response_id, "-o", str(tmp_path / "map.png"), "--timeout", "4", *target(emu))

    assert (code, out) == (9, "")
    assert f"error: {response_id} is still in_progress after --timeout 4s" in err
    assert f"foundry-imagegen wait {response_id} -o {tmp_path / 'map.png'}" in err
    assert not (tmp_path / "map.png").exists()
    assert run("wait", response_id, "-o", str(tmp_path / "map.png"), *target(emu))[0] == 0


def test_cancel_then_wait_says_it_was_cancelled(emu: Emulator, tmp_path: Path) -> None:
    response_id = start(emu)

    code, out, err = run("cancel", response_id, *target(emu))
    assert (code, out) == (0, f"{response_id} cancelled\n"), err
    code, out, _ = run("cancel", response_id, "--json", *target(emu))
    assert (code, json.loads(out)) == (0, {"response_id": response_id, "status": "cancelled"})

    code, out, err = run("wait", response_id, "-o", str(tmp_path / "map.png"), *target(emu))
    assert (code, out) == (8, "") and "cancelled" in err
    assert not (tmp_path / "map.png").exists()


def test_errors_name_the_flags(emu: Emulator, tmp_path: Path) -> None:
    existing = tmp_path / "map.png"
    existing.write_bytes(b"old")
    cases = [
        (["generate", "a map", *target(emu)], 2, "-o is required"),
        (["generate", "a map", "--no-wait", "-o", "x.png", *target(emu)], 2, "-o cannot be used with --no-wait"),
        (["generate", "a map", "--no-wait", "--stream", *target(emu)], 2, "--stream cannot be used with --no-wait"),
        (["wait", "../etc", "-o", str(existing), *target(emu)], 2, "ID '../etc' is not a response id"),
        (["wait", "resp_1", "-o", str(existing), *target(emu)], 2, "exists. Fix: pass --overwrite"),
        (["wait", "resp_missing", "-o", str(tmp_path / "new.png"), *target(emu)], 4, "resp_missing"),
    ]
    for argv, status, message in cases:
        code, out, err = run(*argv)
        assert (code, out) == (status, ""), (argv, err)
        assert message in err, (argv, err)
    assert existing.read_bytes() == b"old"
    assert [r.path for r in emu.requests] == ["/api/projects/demo/openai/v1/responses/resp_missing"]


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
        for child in list(local_emulator._CHILDREN.values()):
            child.terminate()
            child.wait(timeout=10)
        local_emulator._CHILDREN.clear()


def test_a_throwaway_emulator_is_refused_for_background_work(state: Path, tmp_path: Path) -> None:
    for argv in (
        ["generate", "a map", "--no-wait", "--emulator"],
        ["wait", "resp_1", "-o", str(tmp_path / "x.png"), "--emulator"],
        ["cancel", "resp_1", "--emulator"],
    ):
        code, out, err = run(*argv)
        assert (code, out) == (2, ""), err
        assert "foundry-imagegen emulator start" in err and "throwaway" in err


def test_started_in_one_process_finished_in_another(state: Path, tmp_path: Path) -> None:
    # As from a shell: `generate --no-wait` and `wait` are separate processes sharing the started emulator.
    # A 50 ms generation is done by the time the second process polls, so nothing sleeps.
    assert run("emulator", "start", "--background-duration", "0.05")[0] == 0
    env = {**os.environ, ENV_STATE_DIR: str(state)}

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "foundry_imagegen", *argv], env=env, cwd=tmp_path, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip

    started = cli("generate", "a harbour town", "--no-wait", "--emulator", "--json")
    assert started.returncode == 0, started.stderr
    response_id = json.loads(started.stdout)["response_id"]

    finished = cli("wait", response_id, "-o", "harbour.png", "--emulator")
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == "harbour.png\n"
    assert "completed (poll 1)" in finished.stderr
    assert (tmp_path / "harbour.png").read_bytes().startswith(b"\x89PNG")


def test_a_bare_background_flag_points_to_no_wait(emu: Emulator, tmp_path: Path) -> None:
    code, out, err = run("generate", "a map", "-o", str(tmp_path / "map.png"), "--background", *target(emu))
    assert (code, out) == (2, "")
    assert "--background needs a value" in err and "pass --no-wait" in err
    assert emu.requests == []
    code, _, err = run("generate", "a map", "-o", str(tmp_path / "map.png"), "--background", "opaque", *target(emu))
    assert code == 0, err
    assert emu.requests[-1].json["tools"][0]["background"] == "opaque"
