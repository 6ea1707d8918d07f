"""Batches in background mode against the emulator, both clients: start, poll, stop, resume without resending.

The emulator runs on a ``FakeClock`` that the runner's own ``sleep`` advances, so a background generation
goes queued -> in_progress -> completed as the runner waits for its next poll, with no real waiting.
"""

from __future__ import annotations

import inspect
import io
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from foundry_imagegen import AsyncFoundryClient, FoundryClient
from foundry_imagegen._core.batch import replay
from foundry_imagegen._shell.journal import read_journal
from foundry_imagegen.cli.batch import build_parser, run
from foundry_imagegen.emulator import Emulator, FakeClock

pytestmark = pytest.mark.e2e

PROMPTS = [f"a small ink drawing of a heron, number {n}" for n in range(6)]


class _Stop(Exception):
    """Raised from on_progress: the batch stops the way a Ctrl-C or a crash would, mid-run."""


async def _call(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> type[FoundryClient] | type[AsyncFoundryClient]:
    return AsyncFoundryClient if request.param == "async" else FoundryClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[Emulator]:
    with Emulator(clock=clock, background_duration=5.0) as emulator:
        yield emulator


def _posts(emu: Emulator) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST" and r.path.endswith("/responses")]


def _polls(emu: Emulator) -> list[Any]:
    return [r for r in emu.requests if r.method == "GET" and "/responses/" in r.path]


async def _batch(flavour: Any, emu: Emulator, clock: FakeClock, outdir: Path, **options: Any) -> Any:
    client = flavour(emu.endpoint, api_key="k", model="gpt-4.1", image_deployment="gpt-image-1")

    def advance(seconds: float) -> None:
        clock.advance(max(seconds, 0.0))

    async def advance_async(seconds: float) -> None:
        advance(seconds)

    options.setdefault("rpm", 6000)
    options.setdefault("poll_interval", 2.0)
    runner = client.batch(
        outdir, clock=clock.now, sleep=advance_async if flavour is AsyncFoundryClient else advance, **options
    )
    try:
        return await _call(runner.run(PROMPTS))
    finally:
        await _call(client.close())


async def test_background_true_starts_every_item_once_and_polls_it_to_its_image(
    flavour: Any, emu: Emulator, clock: FakeClock, tmp_path: Path
) -> None:
    report = await _batch(flavour, emu, clock, tmp_path, background=True)
    assert (report.done, report.failed, report.may_be_billed_twice) == (6, 0, ())
    posts = _posts(emu)
    assert len(posts) == 6
    assert all(p.json["background"] is True and p.json["store"] is True for p in posts)
    records = read_journal(tmp_path / "journal.jsonl")
    started = [r for r in records if r["kind"] == "started"]
    assert {r["mode"] for r in started} == {"background"}
    # The batch's own client request id is the one on the wire.
    assert sorted(r["client_request_id"] for r in started) == sorted(p.headers["x-ms-client-request-id"] for p in posts)
    accepted = {r["id"]: r["response_id"] for r in records if r["kind"] == "accepted"}
    done = {r["id"]: r for r in records if r["kind"] == "done"}
    assert len(accepted) == 6 and all(done[i]["response_id"] == accepted[i] for i in accepted)
    # queued -> in_progress -> completed over 5 s polled every 2 s: each item is found running before done.
    assert any(r["kind"] == "running" for r in records)
    assert len(_polls(emu)) >= 12
    assert len(list(tmp_path.glob("*.png"))) == 6


def _stop_after_accepted(count: int) -> Any:
    seen: list[str] = []

    def on_progress(record: Mapping[str, Any], progress: Any) -> None:
        if record["kind"] == "accepted":
            seen.append(str(record["id"]))
            if len(seen) >= count:
                raise _Stop

    return on_progress


@pytest.mark.parametrize("resume_background", [True, False], ids=["resume-background", "resume-plain"])
async def test_a_stopped_background_batch_resumes_by_polling_with_one_post_per_item(
    flavour: Any, emu: Emulator, clock: FakeClock, tmp_path: Path, resume_background: bool
) -> None:
    # One in flight at a time: when the stop comes, every start sent has its response id journaled.
    with pytest.raises(_Stop):
        await _batch(flavour, emu, clock, tmp_path, background=True, concurrency=1, on_progress=_stop_after_accepted(3))
    states = replay(read_journal(tmp_path / "journal.jsonl"))
    polled_on_resume = {i for i, s in states.items() if s.resume_action() == "poll"}
    assert len(polled_on_resume) >= 1 and len(_posts(emu)) == 3
    # A new runner; without background=True it still polls what the journal shows as accepted.
    report = await _batch(flavour, emu, clock, tmp_path, background=resume_background, resume=True)
    assert (report.done, report.failed, report.may_be_billed_twice) == (6, 0, ())
    per_prompt = [sum(1 for p in _posts(emu) if p.json["input"] == prompt) for prompt in PROMPTS]
    assert per_prompt == [1] * 6
    records = read_journal(tmp_path / "journal.jsonl")
    done_ids = [r["id"] for r in records if r["kind"] == "done"]
    assert len(done_ids) == len(set(done_ids)) == 6
    # The items polled on resume were not started again.
    last_run = max(i for i, r in enumerate(records) if r["kind"] == "run")
    restarted = {r["id"] for r in records[last_run:] if r["kind"] == "started"}
    assert not restarted & polled_on_resume


async def test_background_mode_learns_the_quota_from_the_creates_headers(
    flavour: Any, clock: FakeClock, tmp_path: Path
) -> None:
    with Emulator(clock=clock, background_duration=1.0, rpm={"gpt-image-1": 600}) as emulator:
        client = flavour(emulator.endpoint, api_key="k", model="gpt-4.1", image_deployment="gpt-image-1")

        def advance(seconds: float) -> None:
            clock.advance(max(seconds, 0.0))

        async def advance_async(seconds: float) -> None:
            advance(seconds)

        sleep = advance_async if flavour is AsyncFoundryClient else advance
        runner = client.batch(tmp_path, background=True, poll_interval=1.0, clock=clock.now, sleep=sleep)
        try:
            report = await _call(runner.run(PROMPTS))
        finally:
            await _call(client.close())
        assert report.done == 6 and report.rate_limited == 0
        # Learned from x-ratelimit-limit-requests on the first accepted create: 600 RPM, not the 6 it starts at.
        assert runner.targets[0].rpm is None
        started = [r["t"] for r in read_journal(tmp_path / "journal.jsonl") if r["kind"] == "started"]
        assert started[-1] - started[1] < 6 * 10.0 / 2


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from foundry_imagegen import FoundryClient

    endpoint, outdir, prompts, after = sys.argv[1:5]
    accepted = []

    def on_progress(record, progress):
        if record["kind"] == "accepted":
            accepted.append(record["id"])
        if len(accepted) >= int(after):
            os.kill(os.getpid(), signal.SIGKILL)

    client = FoundryClient(endpoint, api_key="k", model="gpt-4.1", image_deployment="gpt-image-1")
    client.batch(outdir, rpm=6000, concurrency=1, background=True, on_progress=on_progress).run(prompts)
    """
)


async def test_kill_9_in_background_mode_then_resume_sends_each_item_once(
    flavour: Any, emu: Emulator, clock: FakeClock, tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(PROMPTS) + "\n")
    outdir = tmp_path / "out"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLER, emu.endpoint, str(outdir), str(prompts), "4"],
        capture_output=True,
        timeout=60,
    )
    assert killed.returncode == -9, killed.stderr
    assert len(_posts(emu)) == 4
    client = flavour(emu.endpoint, api_key="k", model="gpt-4.1", image_deployment="gpt-image-1")

    def advance(seconds: float) -> None:
        clock.advance(max(seconds, 0.0))

    async def advance_async(seconds: float) -> None:
        advance(seconds)

    sleep = advance_async if flavour is AsyncFoundryClient else advance
    runner = client.batch(outdir, rpm=6000, background=True, resume=True, clock=clock.now, sleep=sleep)
    try:
        report = await _call(runner.run(prompts))
    finally:
        await _call(client.close())
    assert (report.done, report.failed, report.may_be_billed_twice) == (6, 0, ())
    assert sorted(p.json["input"] for p in _posts(emu)) == sorted(PROMPTS)


def test_the_cli_runs_a_batch_in_background_mode(tmp_path: Path) -> None:
    # A background response that is done at once: the first poll finds the image, with nothing to wait for.
    with Emulator(background_duration=0.0) as emulator:
        prompts = tmp_path / "prompts.txt"
        prompts.write_text("\n".join(PROMPTS) + "\n")
        args = build_parser().parse_args(
            [
                *(str(prompts), "-o", str(tmp_path / "out"), "--endpoint", emulator.endpoint, "--api-key", "k"),
                *("--model", "gpt-4.1", "--deployment", "gpt-image-1", "--rpm", "60000", "--background"),
                *("--poll-interval", "0", "--json", "-q"),
            ]
        )
        out, err = io.StringIO(), io.StringIO()
        assert run(args, stdout=out, stderr=err) == 0, err.getvalue()
        posts = _posts(emulator)
    assert json.loads(out.getvalue())["done"] == 6
    assert len(posts) == 6 and all(p.json["background"] is True for p in posts)
    started = [r for r in read_journal(tmp_path / "out" / "journal.jsonl") if r["kind"] == "started"]
    assert {r["mode"] for r in started} == {"background"}
