"""The batch runner's default background mode (``background=True``) on both clients, against respx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from foundry_imagegen import BatchItem
from foundry_imagegen._core.batch import replay
from foundry_imagegen._shell.journal import read_journal
from tests.client.test_client_batch import _runner
from tests.client.wire import PNG, PNG_B64, PROJECT_URL, error_response, image_call, rate_limited, response_body


def state(status: str, *, id: str = "resp_bg", **extra: Any) -> httpx.Response:
    output = [image_call(PNG_B64)] if status == "completed" else []
    body = response_body(output, id=id, status=status, background=True, store=True, **extra)
    return httpx.Response(200, json=body, headers={"x-request-id": f"req-{status}"})


async def test_the_default_starts_once_in_background_with_the_batchs_request_id(h: Any, tmp_path: Path) -> None:
    create = h.mock.post(PROJECT_URL).mock(return_value=state("queued"))
    poll = h.mock.get(PROJECT_URL + "/resp_bg").mock(side_effect=[state("in_progress"), state("completed")])
    runner, fake = _runner(h, tmp_path, background=True, poll_interval=3.0)
    report = await h.run(runner.run, ["a fox"])
    assert report.done == 1 and create.call_count == 1 and poll.call_count == 2
    body = json.loads(create.calls.last.request.content)
    assert body["background"] is True and body["store"] is True
    records = read_journal(tmp_path / "journal.jsonl")
    started = next(r for r in records if r["kind"] == "started")
    assert started["mode"] == "background"
    assert create.calls.last.request.headers["x-ms-client-request-id"] == started["client_request_id"]
    assert [r["kind"] for r in records if r["kind"] in ("accepted", "running", "done")] == [
        "accepted",
        "running",
        "done",
    ]
    assert next(r for r in records if r["kind"] == "accepted")["response_id"] == "resp_bg"
    assert next(tmp_path.glob("*.png")).read_bytes() == PNG
    # Polled every poll_interval: the start's pacing slot, then two polls 3 s apart.
    assert fake.sleeps.count(3.0) == 2


async def test_a_429_on_the_create_is_resent_by_the_runner_paced_not_by_the_client(h: Any, tmp_path: Path) -> None:
    create = h.mock.post(PROJECT_URL).mock(side_effect=[rate_limited(**{"retry-after": "5"}), state("queued")])
    h.mock.get(PROJECT_URL + "/resp_bg").mock(return_value=state("completed"))
    runner, fake = _runner(h, tmp_path, background=True)
    report = await h.run(runner.run, ["a fox"])
    assert report.done == 1 and report.rate_limited == 1 and create.call_count == 2
    assert 5.0 in [round(s, 3) for s in fake.sleeps]
    kinds = [r["kind"] for r in read_journal(tmp_path / "journal.jsonl")]
    assert kinds.count("started") == 2 and kinds.count("retry") == 1 and kinds.count("accepted") == 1
    ids = {call.request.headers["x-ms-client-request-id"] for call in create.calls}
    assert len(ids) == 2  # each attempt journaled with its own id


async def test_a_failed_background_response_fails_the_item_without_resending(h: Any, tmp_path: Path) -> None:
    create = h.mock.post(PROJECT_URL).mock(return_value=state("queued"))
    error = {"code": "server_error", "message": "The image could not be generated"}
    h.mock.get(PROJECT_URL + "/resp_bg").mock(return_value=state("failed", error=error))
    runner, _ = _runner(h, tmp_path, background=True, max_attempts=1)
    report = await h.run(runner.run, ["a fox"])
    assert report.done == 0 and report.failed == 1 and create.call_count == 1


async def test_a_response_the_service_forgot_is_sent_again_and_counted_maybe_billed_twice(
    h: Any, tmp_path: Path
) -> None:
    create = h.mock.post(PROJECT_URL).mock(side_effect=[state("queued"), state("queued", id="resp_two")])
    h.mock.get(PROJECT_URL + "/resp_bg").mock(
        return_value=error_response(404, {"code": "not_found", "message": "Response with id 'resp_bg' not found."})
    )
    h.mock.get(PROJECT_URL + "/resp_two").mock(return_value=state("completed", id="resp_two"))
    runner, _ = _runner(h, tmp_path, background=True)
    report = await h.run(runner.run, ["a fox"])
    assert report.done == 1 and create.call_count == 2
    assert len(report.may_be_billed_twice) == 1


async def test_resume_without_background_polls_what_was_accepted(h: Any, tmp_path: Path) -> None:
    lines = [
        {"v": 1, "kind": "pending", "id": "a", "prompt": "A"},
        {"v": 1, "kind": "started", "id": "a", "mode": "background", "target": "gpt-image-1", "attempt": 1},
        {"v": 1, "kind": "accepted", "id": "a", "response_id": "resp_bg", "target": "gpt-image-1"},
    ]
    (tmp_path / "journal.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    # No POST route: a resend would fail the test.
    poll = h.mock.get(PROJECT_URL + "/resp_bg").mock(return_value=state("completed"))
    runner, _ = _runner(h, tmp_path, resume=True)
    report = await h.run(runner.run, [BatchItem(id="a", prompt="A")])
    assert report.done == 1 and poll.call_count == 1
    assert replay(read_journal(tmp_path / "journal.jsonl"))["a"].may_be_billed_twice is False


async def test_a_stop_raised_from_on_progress_keeps_every_response_id_that_came_back(h: Any, tmp_path: Path) -> None:
    from tests.client.test_client_batch import StubBackground

    class Stop(Exception):
        pass

    def on_progress(record: Any, progress: Any) -> None:
        if record["kind"] == "accepted":
            raise Stop

    # Two deployments, each with its own pace: both creates go out before either answer is read.
    background = StubBackground(h.is_async)
    runner, _ = _runner(
        h, tmp_path, background=background, deployments=["img-a", "img-b"], rpm=60, on_progress=on_progress
    )
    with pytest.raises(Stop):
        await h.run(runner.run, [BatchItem(id="a", prompt="A"), BatchItem(id="b", prompt="B")])
    assert len(background.started) == 2
    states = replay(read_journal(tmp_path / "journal.jsonl"))
    assert {i: s.resume_action() for i, s in states.items()} == {"a": "poll", "b": "poll"}
