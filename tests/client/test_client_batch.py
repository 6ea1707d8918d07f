"""The batch runner on both clients, against respx: journal, pacing reactions, stops, resume, background stubs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from foundry_imagegen import (
    APIConnectionError,
    BatchInputError,
    BatchItem,
    ConfigurationError,
    RateLimitError,
    ServerError,
)
from foundry_imagegen._core.batch import replay
from foundry_imagegen._core.results import GenerationResult
from foundry_imagegen._shell.journal import read_journal
from tests.client import wire
from tests.client.wire import PROJECT_URL, error_response, ok_response, rate_limited


class FakeTime:
    """A clock that only moves when the runner sleeps."""

    def __init__(self, is_async: bool) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.is_async = is_async

    def clock(self) -> float:
        return self.now

    @property
    def sleep(self) -> Any:
        def advance(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.now += seconds

        if not self.is_async:
            return advance

        async def advance_async(seconds: float) -> None:
            advance(seconds)

        return advance_async


def _runner(h: Any, outdir: Path, client: Any = None, **options: Any) -> tuple[Any, FakeTime]:
    fake = FakeTime(h.is_async)
    client = client if client is not None else h.client()
    options.setdefault("rpm", 60)
    return client.batch(outdir, clock=fake.clock, sleep=fake.sleep, **options), fake


def _kinds(outdir: Path, name: str = "journal.jsonl") -> list[tuple[str, str]]:
    return [(r["kind"], r.get("id", "")) for r in read_journal(outdir / name)]


async def test_a_batch_saves_every_image_and_journals_every_step(h: Any, tmp_path: Path) -> None:
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response(tool_usage={"image_gen": {"total_tokens": 272}}))
    runner, fake = _runner(h, tmp_path)
    items = ['{"id": "fox", "prompt": "a fox"}', '{"id": "koi", "prompt": "a koi", "quality": "low"}', "a cat"]
    report = await h.run(runner.run, items)
    assert (report.total, report.done, report.failed, report.ok, report.image_tokens) == (3, 3, 0, True, 816)
    assert (tmp_path / "fox.png").read_bytes() == wire.PNG
    assert (tmp_path / "koi.png").exists()
    records = read_journal(tmp_path / "journal.jsonl")
    started = [r for r in records if r["kind"] == "started"]
    sent_ids = [call.request.headers["x-ms-client-request-id"] for call in route.calls]
    assert sorted(r["client_request_id"] for r in started) == sorted(sent_ids)
    done = {r["id"]: r for r in records if r["kind"] == "done"}
    assert done["fox"]["file"] == "fox.png" and done["fox"]["request_id"] == "req-ok-1"
    assert done["fox"]["revised_prompt"] == "A red fox in fresh snow" and done["fox"]["usage"]["total_tokens"] == 272
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert any(b["tools"][0].get("quality") == "low" for b in bodies)
    assert all(call.request.headers["x-ms-oai-image-generation-deployment"] == "gpt-image-1" for call in route.calls)
    # Paced: never two requests closer than a second (60 RPM) and 1 %, the schedule a second and 2 % apart.
    assert sum(fake.sleeps) == pytest.approx(1.01 + 1.02)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["done"] == 3
    assert (tmp_path / "index.html").read_text().count("<img ") == 3


async def test_a_429_sends_the_item_again_after_retry_after(h: Any, tmp_path: Path) -> None:
    route = h.mock.post(PROJECT_URL).mock(side_effect=[rate_limited(**{"retry-after": "7"}), ok_response()])
    runner, fake = _runner(h, tmp_path)
    report = await h.run(runner.run, ["a fox"])
    assert report.done == 1 and report.rate_limited == 1 and route.call_count == 2
    assert fake.sleeps == [pytest.approx(7.0)]
    kinds = [k for k, _ in _kinds(tmp_path)]
    assert kinds == ["run", "pending", "started", "retry", "started", "done"]


async def test_content_filtering_fails_that_item_only(h: Any, tmp_path: Path) -> None:
    blocked = error_response(400, {"code": "content_filter", "message": "The response was filtered", "param": "prompt"})
    h.mock.post(PROJECT_URL).mock(side_effect=[blocked, ok_response()])
    runner, _ = _runner(h, tmp_path)
    report = await h.run(runner.run, [BatchItem(id="a", prompt="x"), BatchItem(id="b", prompt="y")])
    assert (report.done, report.failed) == (1, 1)
    assert report.failures[0]["error"] == "ContentFilterError" and report.failures[0]["retryable"] is False
    assert "ContentFilterError" in (tmp_path / "index.html").read_text()


@pytest.mark.parametrize(
    "answer",
    [
        error_response(401, {"code": "401", "message": "Access denied due to invalid subscription key"}),
        error_response(403, {"code": "Forbidden", "message": "This resource is temporarily blocked"}),
    ],
)
async def test_an_account_block_or_auth_failure_stops_the_batch(h: Any, tmp_path: Path, answer: Any) -> None:
    route = h.mock.post(PROJECT_URL).mock(side_effect=[ok_response(), answer])
    runner, _ = _runner(h, tmp_path)
    report = await h.run(runner.run, [f"prompt {n}" for n in range(10)])
    assert route.call_count == 2
    assert report.stopped is not None and report.done == 1 and report.pending == 9 and not report.ok
    assert "Error" in report.stopped
    assert json.loads((tmp_path / "summary.json").read_text())["stopped"] == report.stopped


async def test_a_missing_deployment_is_taken_out_and_the_other_finishes(h: Any, tmp_path: Path) -> None:
    gone = error_response(
        400, {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}
    )

    def answer(request: httpx.Request) -> httpx.Response:
        return gone if request.headers["x-ms-oai-image-generation-deployment"] == "img-b" else ok_response()

    h.mock.post(PROJECT_URL).mock(side_effect=answer)
    runner, _ = _runner(h, tmp_path, deployments=["img-a", "img-b"], rpm=[60, 60])
    report = await h.run(runner.run, [f"prompt {n}" for n in range(6)])
    assert report.done == 6 and report.targets_dropped and report.targets_dropped[0].startswith("img-b")


async def test_two_deployments_share_the_items(h: Any, tmp_path: Path) -> None:
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    runner, _ = _runner(h, tmp_path, deployments=["img-a", "img-b"], rpm=[60, 60])
    report = await h.run(runner.run, [f"prompt {n}" for n in range(10)])
    used = [call.request.headers["x-ms-oai-image-generation-deployment"] for call in route.calls]
    assert report.done == 10 and used.count("img-a") == 5 and used.count("img-b") == 5


async def test_bad_lines_are_reported_before_anything_is_sent(h: Any, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"prompt": "ok"}\n{"prompt": ""}\n{"id": 1, "prompt": "a"}\n{"id": 1, "prompt": "b"}\n')
    runner, _ = _runner(h, tmp_path / "out")
    with pytest.raises(BatchInputError) as caught:
        await h.run(runner.run, prompts)
    assert [line for line, _ in caught.value.problems] == [2, 4]
    assert "prompts.jsonl:2" in str(caught.value)


async def test_a_folder_with_a_journal_needs_resume(h: Any, tmp_path: Path) -> None:
    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    runner, _ = _runner(h, tmp_path)
    await h.run(runner.run, ["a fox"])
    again, _ = _runner(h, tmp_path)
    with pytest.raises(ConfigurationError, match="resume"):
        await h.run(again.run, ["a fox"])


async def test_resume_skips_done_items_and_counts_a_killed_attempt_as_maybe_billed_twice(
    h: Any, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    lines = [
        {"v": 1, "kind": "pending", "id": "a", "prompt": "A"},
        {"v": 1, "kind": "pending", "id": "b", "prompt": "B"},
        {"v": 1, "kind": "started", "id": "a", "mode": "direct"},
        {"v": 1, "kind": "done", "id": "a", "file": "a.png"},
        {"v": 1, "kind": "started", "id": "b", "mode": "direct"},
    ]
    journal.write_text("".join(json.dumps(r) + "\n" for r in lines) + '{"v":1,"kind":"do')  # killed mid-write
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    runner, _ = _runner(h, tmp_path, resume=True)
    report = await h.run(runner.run, [BatchItem(id="a", prompt="A"), BatchItem(id="b", prompt="B")])
    assert route.call_count == 1 and report.done == 2
    assert report.may_be_billed_twice == ("b",)
    assert "may have been billed twice" in report.summary()
    assert [r["kind"] for r in read_journal(journal)].count("pending") == 2  # not written again


async def test_shards_run_their_share_and_merge_into_one_report(h: Any, tmp_path: Path) -> None:
    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    items = [f"prompt {n}" for n in range(12)]
    reports = []
    for index in range(3):
        runner, _ = _runner(h, tmp_path, shard=f"{index}/3")
        reports.append(await h.run(runner.run, items))
    assert sum(r.total for r in reports) == 12
    assert sorted(p.name for p in tmp_path.glob("journal*")) == [f"journal.{i}-of-3.jsonl" for i in range(3)]
    assert json.loads((tmp_path / "summary.json").read_text())["done"] == 12


class StubBackground:
    """Background mode as the runner sees it: start gives a response id, poll says running, then done."""

    def __init__(self, is_async: bool, *, running_polls: int = 1, poll_errors: list[Exception] | None = None) -> None:
        self.is_async = is_async
        self.running_polls = running_polls
        self.poll_errors = list(poll_errors or [])
        self.started: list[str] = []
        self.polls: list[str] = []

    def _start(self, client: Any, request: Any, *, client_request_id: str) -> str:
        self.started.append(client_request_id)
        return f"resp_{len(self.started)}"

    def _poll(self, client: Any, response_id: str) -> GenerationResult | None:
        self.polls.append(response_id)
        if self.poll_errors:
            raise self.poll_errors.pop(0)
        if self.polls.count(response_id) <= self.running_polls:
            return None
        return _result(response_id)

    def __getattr__(self, name: str) -> Any:
        methods: dict[str, Callable[..., Any]] = {"start": self._start, "poll": self._poll}
        method = methods.get(name)
        if method is None:
            raise AttributeError(name)
        if not self.is_async:
            return method

        async def call(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **kwargs)

        return call


def _result(response_id: str) -> GenerationResult:
    from foundry_imagegen._core.parse import parse_response, result_from_response

    answer = ok_response(id=response_id)
    parsed = parse_response(200, answer.headers, answer.content)
    return result_from_response(parsed, request_id="req-bg", requested_format=None, require_image=True, status=200)


async def test_background_items_record_their_response_id_and_are_polled(h: Any, tmp_path: Path) -> None:
    background = StubBackground(h.is_async)
    runner, _ = _runner(h, tmp_path, background=background, poll_interval=2.0)
    report = await h.run(runner.run, [BatchItem(id="a", prompt="A"), BatchItem(id="b", prompt="B")])
    assert report.done == 2 and len(background.started) == 2
    assert background.polls.count("resp_1") == 2
    records = read_journal(tmp_path / "journal.jsonl")
    accepted = [r for r in records if r["kind"] == "accepted"]
    assert [r["response_id"] for r in accepted] == ["resp_1", "resp_2"]
    assert (tmp_path / "a.png").exists()


async def test_resume_polls_a_started_background_item_instead_of_sending_it_again(h: Any, tmp_path: Path) -> None:
    lines = [
        {"v": 1, "kind": "pending", "id": "a", "prompt": "A"},
        {"v": 1, "kind": "started", "id": "a", "mode": "background", "target": "gpt-image-1"},
        {"v": 1, "kind": "accepted", "id": "a", "response_id": "resp_old"},
    ]
    (tmp_path / "journal.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    background = StubBackground(h.is_async, running_polls=0)
    runner, _ = _runner(h, tmp_path, background=background, resume=True)
    report = await h.run(runner.run, [BatchItem(id="a", prompt="A")])
    assert background.started == [] and background.polls == ["resp_old"]
    assert report.done == 1 and report.may_be_billed_twice == ()


async def test_the_runner_is_what_client_batch_returns_with_its_options_checked(h: Any, tmp_path: Path) -> None:
    client = h.client()
    with pytest.raises(ConfigurationError, match="concurrency"):
        client.batch(tmp_path, concurrency=0)
    with pytest.raises(ConfigurationError, match="rpm has 1 values for 2"):
        client.batch(tmp_path, deployments=["a", "b"], rpm=[5])
    with pytest.raises(ConfigurationError, match="I/N"):
        client.batch(tmp_path, shard="3/3")
    runner = client.batch(tmp_path, deployments=["a", "b"], rpm=9)
    assert [t.rpm for t in runner.targets] == [9, 9]
    assert type(runner).__name__ == ("AsyncBatchRunner" if h.is_async else "BatchRunner")


async def test_a_poll_that_fails_is_polled_again_and_the_item_never_sent_twice(h: Any, tmp_path: Path) -> None:
    errors: list[Exception] = [
        RateLimitError("slow down", status=429, retry_after=3),
        ServerError("down", status=503),
        APIConnectionError("reset", retryable=True),
    ]
    background = StubBackground(h.is_async, running_polls=0, poll_errors=errors)
    runner, _ = _runner(h, tmp_path, background=background)
    report = await h.run(runner.run, [BatchItem(id="a", prompt="A")])
    assert report.done == 1 and len(background.started) == 1 and len(background.polls) == 4
    kinds = [k for k, _ in _kinds(tmp_path)]
    assert kinds.count("running") == 3 and "retry" not in kinds
    assert replay(read_journal(tmp_path / "journal.jsonl"))["a"].may_be_billed_twice is False


async def test_a_missing_input_image_is_reported_before_anything_is_sent(h: Any, tmp_path: Path) -> None:
    (tmp_path / "in.png").write_bytes(wire.PNG)
    items = [
        {"prompt": "edit it", "images": [str(tmp_path / "in.png")]},
        {"prompt": "and this", "images": ["https://example.com/x.png", str(tmp_path / "missing.png")]},
    ]
    runner, _ = _runner(h, tmp_path / "out")
    with pytest.raises(BatchInputError) as caught:
        await h.run(runner.run, items)
    assert [line for line, _ in caught.value.problems] == [2] and "missing.png" in str(caught.value)
    assert not (tmp_path / "out" / "journal.jsonl").exists()


async def test_targets_spread_a_batch_over_two_endpoints(h: Any, tmp_path: Path) -> None:
    from foundry_imagegen import AsyncBatchTarget, BatchTarget

    project = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    resource = h.mock.post(wire.RESOURCE_URL).mock(return_value=ok_response())
    first, second = h.client(), h.client(wire.RESOURCE_ENDPOINT)
    target = AsyncBatchTarget if h.is_async else BatchTarget
    targets = [target(first, "gpt-image-1", rpm=90), target(second, "gpt-image-1", rpm=30)]
    runner, _ = _runner(h, tmp_path, client=first, targets=targets, rpm=None)
    report = await h.run(runner.run, [f"prompt {n}" for n in range(8)])
    assert report.done == 8 and (project.call_count, resource.call_count) == (6, 2)
    labels = {r["target"] for r in read_journal(tmp_path / "journal.jsonl") if r["kind"] == "done"}
    assert labels == {"gpt-image-1#0", "gpt-image-1#1"}
