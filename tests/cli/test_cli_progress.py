"""Progress on stderr: a live line on a terminal, one plain line per event when piped, nothing with -q."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from foundry_imagegen.cli import main
from foundry_imagegen.cli.output import Progress, progress_mode


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_mode_follows_the_terminal_and_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    assert progress_mode(io.StringIO(), quiet=False) == "lines"
    assert progress_mode(Tty(), quiet=False) == "live"
    assert progress_mode(Tty(), quiet=True) == "off"
    assert progress_mode(Tty(), quiet=False, verbose=True) == "lines"  # log lines and a live line do not mix
    monkeypatch.setitem(sys.modules, "rich", None)
    assert progress_mode(Tty(), quiet=False) == "lines"  # without the [cli] extra: plain lines, never garbled


def test_piped_stderr_gets_one_plain_line_per_event() -> None:
    err, clock = io.StringIO(), FakeClock()
    with Progress(err, mode="lines", clock=clock, heartbeat=None) as progress:
        progress.step("stream opened, waiting for events")
        clock.now += 0.4
        progress.event("response.created")
        progress.event("response.output_text.delta")  # counted, not shown
        clock.now += 2.1
        progress.event("response.image_generation_call.partial_image", partial_index=0)
        clock.now += 12.25
        progress.event("response.something.new")
        progress.note("a note")
    assert err.getvalue() == (
        "[   0.0s] stream opened, waiting for events\n"
        "[   0.4s] response created\n"
        "[   2.5s] partial image 1 received\n"
        "[  14.8s] response.something.new\n"
        "note: a note\n"
    )
    assert (progress.events, progress.partials) == (4, 1)


def test_piped_stderr_says_still_waiting_after_a_silent_heartbeat() -> None:
    err, clock = io.StringIO(), FakeClock()
    progress = Progress(err, mode="lines", clock=clock, heartbeat=15.0)
    progress.step("request sent, waiting for the image")
    clock.now += 10
    progress.beat()  # not yet
    clock.now += 5
    progress.beat()
    assert err.getvalue() == (
        "[   0.0s] request sent, waiting for the image\n[  15.0s] still waiting (request sent, waiting for the image)\n"
    )


def test_off_prints_nothing() -> None:
    err = Tty()
    with Progress(err, mode="off", heartbeat=None) as progress:
        progress.step("x")
        progress.event("response.created")
        progress.note("n")
    assert err.getvalue() == ""


def test_terminal_gets_one_redrawn_line_that_is_erased_before_the_summary() -> None:
    from rich.console import Console

    err, clock = io.StringIO(), FakeClock()
    console = Console(file=err, force_terminal=True, width=80, color_system=None)
    with Progress(err, mode="live", console=console, clock=clock, auto_refresh=False) as progress:
        progress.step("stream opened, waiting for events")
        clock.now += 1.5
        progress.event("response.created")
        clock.now += 1.0
        progress.event("response.image_generation_call.partial_image", partial_index=0)
        progress.note("kept above the live line")
        clock.now += 0.2
    err.write("wrote fox.png\n")
    screen = err.getvalue()
    # Every redraw starts by erasing the line it replaces, so no frame leaves letters of the last one behind.
    frames = [frame for frame in screen.split("\r\x1b[2K") if frame]
    assert "  1.5s response created · 1 event" in frames[2]
    assert "  2.5s partial image 1 received · 2 events · 1 partial" in frames[3]
    assert "note: kept above the live line\n" in screen
    # Stopping erases the live line and leaves the cursor at its start, so the summary is a line of its own.
    assert screen.endswith("\x1b[1A\x1b[2Kwrote fox.png\n")


def test_cli_run_with_piped_stderr_shows_each_event(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["generate", "a fox", "-o", str(tmp_path / "fox.png"), "--emulator", "--stream", "--partial-images", "2"]
    assert main(argv, stdout=out, stderr=err) == 0, err.getvalue()
    lines = err.getvalue().splitlines()
    progress = [re.sub(r"^\[ *\d+\.\d+s\] ", "", line) for line in lines if line.startswith("[")]
    assert progress[0] == "stream opened, waiting for events"
    assert "response created" in progress and "response completed" in progress
    assert progress.count("partial image 1 received") == 1 and "partial image 2 received" in progress
    assert lines[-2].startswith("stream: ")
    assert lines[-1].startswith(f"wrote {tmp_path / 'fox.png'} (1024x1024 png")


def test_quiet_run_prints_nothing_on_stderr(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["generate", "a fox", "-o", str(tmp_path / "fox.png"), "--emulator", "--stream", "-q"]
    assert main(argv, stdout=out, stderr=err) == 0
    assert err.getvalue() == "" and out.getvalue() == f"{tmp_path / 'fox.png'}\n"


@pytest.mark.parametrize("stream", [[], ["--stream"]])
def test_cli_run_on_a_terminal_ends_with_a_clean_summary_line(tmp_path: Path, stream: list[str]) -> None:
    out, err = io.StringIO(), Tty()
    argv = ["generate", "a fox", "-o", str(tmp_path / "fox.png"), "--emulator", *stream]
    assert main(argv, stdout=out, stderr=err) == 0, err.getvalue()
    last = err.getvalue().rsplit("\x1b[2K", 1)[1]
    assert last.startswith("stream: " if stream else "wrote ") and "\r" not in last


def test_a_warning_during_the_live_line_prints_above_it() -> None:
    from rich.console import Console

    from foundry_imagegen.cli.output import show_warning

    err, clock = io.StringIO(), FakeClock()
    console = Console(file=err, force_terminal=True, width=80, color_system=None)
    with Progress(err, mode="live", console=console, clock=clock, auto_refresh=False) as progress:
        progress.step("stream opened, waiting for events")
        show_warning(UserWarning("the stream ended early"), err)
    screen = err.getvalue()
    assert "\r\x1b[2Kwarning: the stream ended early\n" in screen  # on a line of its own, after an erase
    show_warning(UserWarning("later"), err)
    assert err.getvalue().endswith("\x1b[2Kwarning: later\n")
