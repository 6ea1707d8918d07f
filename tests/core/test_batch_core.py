"""The batch core: item lists, shards, verdicts, the journal's replay, pacing and the scheduler (fake clocks)."""

from __future__ import annotations

import heapq
import itertools
import json
from typing import Any

import pytest

from foundry_imagegen import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BatchInputError,
    ContentFilterError,
    DeploymentNotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from foundry_imagegen._core.batch import (
    BatchReport,
    classify,
    in_shard,
    journal_line,
    parse_items,
    parse_journal,
    parse_shard,
    replay,
    report_from_states,
    run_outcome,
)
from foundry_imagegen._core.gallery import render_gallery
from foundry_imagegen._core.pacing import BatchScheduler, Finished, Pacer, Poll, Send, Wait, rate_limit_headers

# ------------------------------------------------------------------------------------------------- items


def test_jsonl_and_text_lines_make_items_with_their_settings() -> None:
    items = parse_items(
        [
            '{"id": "fox", "prompt": "a fox", "size": "1024x1024", "tool": {"quality": "low"}}\n',
            "\n",
            "# a comment\n",
            "a plain prompt\n",
            '{"prompt": "a koi", "name": "koi-1", "images": ["in.png"], "agent": "artist"}\n',
        ]
    )
    assert items[0].id == "fox"
    assert items[0].tool == {"size": "1024x1024", "quality": "low"}
    assert items[0].name == "fox" and items[0].line == 1
    assert items[1].prompt == "a plain prompt" and items[1].line == 4 and items[1].id.startswith("p")
    assert items[2].name == "koi-1" and items[2].images == ("in.png",) and items[2].agent == "artist"


def test_an_id_made_from_the_content_is_stable() -> None:
    first = parse_items(["a red fox"])[0].id
    assert parse_items(["a red fox"])[0].id == first
    assert parse_items(["a blue fox"])[0].id != first


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('{"id": "a"}', "'prompt' must be a non-empty string"),
        ("{not json", "not valid JSON"),
        ('{"prompt": "x", "colour": "red"}', "unknown key(s) 'colour'"),
        ('{"prompt": "x", "quality": "ultra"}', "tool settings"),
        ('{"prompt": "x", "name": "../evil"}', "must be a file stem"),
        ('{"prompt": "x", "id": true}', "'id' must be a string or an integer"),
        ('{"prompt": "x", "images": [3]}', "'images' must be a list"),
        ("[1, 2]", "expected a JSON object"),
        ('{"prompt": "x", "agent": "artist", "quality": "low"}', "the agent's stored tool decides them"),
    ],
)
def test_a_bad_line_is_reported_with_its_number(line: str, says: str) -> None:
    with pytest.raises(BatchInputError) as caught:
        parse_items(['{"prompt": "a good one"}', line], fmt="auto" if not line.startswith("[") else "jsonl")
    assert caught.value.problems[0][0] == 2
    assert says in caught.value.problems[0][1]


def test_every_bad_line_is_reported_at_once_and_duplicates_are_refused() -> None:
    lines = ['{"id": "a", "prompt": "x"}', '{"id": "a", "prompt": "y"}', "{oops", '{"prompt": "z", "name": "A"}']
    lines.append('{"prompt": "w", "name": "a"}')
    with pytest.raises(BatchInputError) as caught:
        parse_items(lines)
    problems = dict(caught.value.problems)
    assert "duplicate id 'a' (first on line 1)" in problems[2]
    assert "not valid JSON" in problems[3]
    assert "duplicate name 'a'" in problems[5]
    assert "nothing was sent" in str(caught.value)


def test_an_id_that_is_no_file_name_gets_a_safe_one() -> None:
    (item,) = parse_items(['{"id": "cats/2 of 3", "prompt": "x"}'])
    assert "/" not in item.name and item.name.startswith("cats-2-of-3-")


# ------------------------------------------------------------------------------------------------- shards


def test_shards_split_the_items_exactly_once_and_the_same_everywhere() -> None:
    ids = [f"item-{n}" for n in range(1000)]
    shares = [[i for i in ids if in_shard(i, index, 4)] for index in range(4)]
    assert sorted(i for share in shares for i in share) == sorted(ids)
    assert all(150 < len(share) < 350 for share in shares)
    assert shares[2] == [i for i in ids if in_shard(i, 2, 4)]


@pytest.mark.parametrize("text", ["4/4", "1", "-1/2", "a/b", "1/0"])
def test_a_bad_shard_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="I/N"):
        parse_shard(text)


def test_a_shard_reads_as_index_and_count() -> None:
    assert parse_shard(" 3 / 8 ") == (3, 8)


# ------------------------------------------------------------------------------------------------ verdicts


@pytest.mark.parametrize(
    ("error", "action", "retryable", "billed"),
    [
        (RateLimitError("slow", status=429, retry_after=3), "requeue", True, "no"),
        (ContentFilterError("blocked", status=400), "fail", False, "no"),
        (ContentFilterError("blocked", status=200), "fail", False, "maybe"),
        (AuthenticationError("no", status=401), "stop", False, "no"),
        (PermissionDeniedError("no", status=403), "stop", False, "no"),
        (BadRequestError("This resource is temporarily blocked", status=422), "stop", False, "no"),
        (DeploymentNotFoundError("gone", status=404), "drop_target", True, "no"),
        (ServerError("oops", status=500), "requeue", True, "no"),
        (ServerError("oops", status=200), "requeue", True, "maybe"),
        (APIConnectionError("refused", retryable=True), "requeue", True, "no"),
        (APITimeoutError("read timeout", retryable=False), "requeue", True, "maybe"),
        (BadRequestError("bad size", status=400), "fail", False, "no"),
        (FileNotFoundError("in.png"), "fail", False, "no"),
    ],
)
def test_every_error_has_a_verdict(error: BaseException, action: str, retryable: bool, billed: str) -> None:
    verdict = classify(error)
    assert (verdict.action, verdict.retryable, verdict.billed) == (action, retryable, billed)


def test_a_bug_is_not_a_verdict() -> None:
    with pytest.raises(KeyError):
        classify(KeyError("x"))


# ------------------------------------------------------------------------------------------------- journal


def _journal(*records: dict[str, Any]) -> list[str]:
    return [journal_line(r) for r in records]


def test_replay_folds_the_records_of_every_item() -> None:
    lines = _journal(
        {"kind": "pending", "id": "a", "prompt": "A"},
        {"kind": "pending", "id": "b", "prompt": "B"},
        {"kind": "pending", "id": "c", "prompt": "C"},
        {"kind": "started", "id": "a", "mode": "direct", "client_request_id": "r1"},
        {"kind": "done", "id": "a", "file": "a.png", "usage": {"total_tokens": 100}},
        {"kind": "started", "id": "b", "mode": "direct"},
        {"kind": "failed", "id": "b", "error": "ContentFilterError", "retryable": False},
        {"kind": "started", "id": "c", "mode": "direct"},
        {"kind": "retry", "id": "c", "rate_limited": True, "billed": "no"},
    )
    states = replay(parse_journal(lines))
    assert [states[i].resume_action() for i in "abc"] == ["skip", "skip", "send"]
    report = report_from_states(states)
    assert (report.done, report.failed, report.pending, report.rate_limited, report.image_tokens) == (1, 1, 1, 1, 100)
    assert report.failures[0]["error"] == "ContentFilterError" and "kind" not in report.failures[0]


def test_a_direct_attempt_killed_mid_request_is_resent_and_counted_as_maybe_billed_twice() -> None:
    first_run = _journal({"kind": "pending", "id": "a", "prompt": "A"}, {"kind": "started", "id": "a"})
    state = replay(parse_journal(first_run))["a"]
    assert state.resume_action() == "send" and state.unknown == 1 and not state.may_be_billed_twice
    second_run = [*first_run, *_journal({"kind": "started", "id": "a"}, {"kind": "done", "id": "a", "file": "a.png"})]
    states = replay(parse_journal(second_run))
    assert states["a"].may_be_billed_twice
    assert report_from_states(states).may_be_billed_twice == ("a",)


def test_a_background_item_with_its_response_id_is_polled_not_resent() -> None:
    lines = _journal(
        {"kind": "started", "id": "a", "mode": "background", "target": "d1"},
        {"kind": "accepted", "id": "a", "response_id": "resp_1"},
    )
    state = replay(parse_journal(lines))["a"]
    assert (state.resume_action(), state.response_id, state.target, state.unknown) == ("poll", "resp_1", "d1", 0)
    before_id = replay(parse_journal(_journal({"kind": "started", "id": "b", "mode": "background"})))["b"]
    assert before_id.resume_action() == "send" and before_id.unknown == 1


def test_a_retryable_failure_is_tried_again_on_resume() -> None:
    lines = _journal({"kind": "started", "id": "a"}, {"kind": "failed", "id": "a", "retryable": True})
    assert replay(parse_journal(lines))["a"].resume_action() == "send"


def test_a_torn_last_line_is_skipped() -> None:
    lines = [*_journal({"kind": "pending", "id": "a"}), '{"v":1,"kind":"done","id":"a","fi']
    assert replay(parse_journal(lines))["a"].status == "pending"


def test_the_last_run_says_whether_the_batch_stopped() -> None:
    records = [
        {"kind": "run"},
        {"kind": "stopped", "reason": "auth"},
        {"kind": "target_out", "target": "d2", "reason": "gone"},
    ]
    assert run_outcome(records) == ("auth", ["d2: gone"])
    assert run_outcome([*records, {"kind": "run"}]) == (None, [])


def test_the_report_reads_as_json_and_as_lines() -> None:
    report = BatchReport(total=3, done=2, failed=1, pending=0, may_be_billed_twice=("x",), stopped="blocked")
    assert json.loads(json.dumps(report.as_json()))["ok"] is False
    assert "may have been billed twice" in report.summary() and "STOPPED: blocked" in report.summary()


# ------------------------------------------------------------------------------------------------- gallery


def test_the_gallery_lists_every_image_and_every_failure_escaped() -> None:
    lines = _journal(
        {"kind": "pending", "id": "a", "prompt": "<script>alert(1)</script>"},
        {"kind": "done", "id": "a", "file": "a b.png", "revised_prompt": "A", "request_id": "req-1"},
        {"kind": "pending", "id": "b", "prompt": "B"},
        {"kind": "failed", "id": "b", "error": "ContentFilterError", "message": "blocked", "retryable": False},
        {"kind": "pending", "id": "c", "prompt": "C"},
    )
    page = render_gallery(replay(parse_journal(lines)).values())
    assert '<img src="a%20b.png"' in page and "req-1" in page
    assert "ContentFilterError: blocked" in page and "not finished" in page
    assert "<script>alert" not in page
    assert 'data-total="3" data-ok="1" data-failed="2"' in page
    assert "http://" not in page and "https://" not in page


# -------------------------------------------------------------------------------------------------- pacing


def test_rate_limit_headers_are_read_with_their_units() -> None:
    headers = {
        "x-ratelimit-limit-requests": "9",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "6s",
    }
    assert rate_limit_headers(headers) == (9.0, 0.0, 6.0)
    assert rate_limit_headers({"x-ratelimit-reset-requests": "250ms"})[2] == 0.25
    assert rate_limit_headers({"x-ratelimit-limit-requests": "lots"}) == (None, None, None)


def test_a_pacer_spaces_requests_evenly_and_bursts_after_no_idle_spell() -> None:
    pacer = Pacer(rpm=60)
    pacer.on_send(0.0)
    assert pacer.ready_at() == pytest.approx(1.02)
    pacer.on_send(1.03)  # a little late: the schedule holds
    assert pacer.ready_at() == pytest.approx(2.04)
    pacer.on_send(2.50)  # later than half the margin: the lateness is lost, never made up by a burst
    assert pacer.ready_at() == pytest.approx(3.51)
    pacer.on_send(50.0)  # idle for a while: still a full interval (less half the margin) before the next
    assert pacer.ready_at() == pytest.approx(51.01)


def test_two_sends_are_never_closer_than_the_quota_interval() -> None:
    pacer = Pacer(rpm=90)
    sent = []
    now = 0.0
    for lateness in [0.0, 0.3, 0.0, 0.01, 2.0, 0.0, 0.005, 0.0] * 5:
        now = max(now, pacer.ready_at()) + lateness
        pacer.on_send(now)
        sent.append(now)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert min(gaps) >= 60.0 / 90 * 1.01 - 1e-9  # the quota's interval, and half the margin against jitter


def test_a_429_pauses_for_retry_after_and_a_second_soon_after_cuts_the_budget() -> None:
    pacer = Pacer(rpm=60)
    pacer.on_rate_limited(10.0, 5.0)
    assert pacer.ready_at() == 15.0 and pacer.budget == 60.0  # one alone: a pause
    for _ in range(10):
        pacer.on_answer(16.0, 1.0, {})
    pacer.on_rate_limited(17.0, 1.0)
    assert pacer.budget == 60.0  # ten clean answers later: a pause again, no cut
    pacer.on_answer(18.0, 1.0, {})
    pacer.on_rate_limited(19.0, 1.0)
    assert pacer.ready_at() == 20.0 and pacer.budget == pytest.approx(42.0)
    for _ in range(10):
        pacer.on_answer(20.0, 1.0, {})
    assert pacer.budget == pytest.approx(45.0)  # grows back, 5 % of the ceiling per ten clean answers
    for _ in range(100):
        pacer.on_answer(20.0, 1.0, {})
    assert pacer.budget == 60.0


def test_an_unknown_quota_starts_low_and_takes_the_services_word() -> None:
    pacer = Pacer()
    assert pacer.budget == 6.0
    pacer.on_answer(1.0, 2.0, {"x-ratelimit-limit-requests": "90"})
    assert pacer.budget == 90.0 and pacer.latency == 2.0
    fixed = Pacer(rpm=30)
    fixed.on_answer(1.0, 2.0, {"x-ratelimit-limit-requests": "90"})
    assert fixed.budget == 30.0
    fixed.on_answer(1.0, 2.0, {"x-ratelimit-limit-requests": "20", "x-ratelimit-remaining-requests": "0"})
    assert fixed.budget == 20.0 and fixed.ready_at() >= 1.0 + 60.0 / 20.0


def test_in_flight_wanted_is_budget_times_latency() -> None:
    pacer = Pacer(rpm=60, latency=20.0)
    assert pacer.wanted_in_flight() == 21


# -------------------------------------------------------------------------------------- scheduler, simulated


class FakeService:
    """Deployments with a quota enforced as the service does: a bucket refilled at RPM/60 a second that holds
    one window's worth (``window`` 1 s or 10 s, at least one request), and a fixed latency."""

    def __init__(self, rpm: dict[str, float], latency: float, *, window: float = 1.0) -> None:
        self.rpm = rpm
        self.latency = latency
        self.capacity = {name: max(1.0, value * window / 60.0) for name, value in rpm.items()}
        self.tokens = dict(self.capacity)
        self.last = dict.fromkeys(rpm, 0.0)
        self.accepted: dict[str, int] = dict.fromkeys(rpm, 0)
        self.refused = 0

    def admit(self, name: str, now: float) -> bool:
        refill = (now - self.last[name]) * self.rpm[name] / 60.0
        self.tokens[name] = min(self.capacity[name], self.tokens[name] + refill)
        self.last[name] = now
        if self.tokens[name] < 1.0 - 1e-9:
            self.refused += 1
            return False
        self.tokens[name] -= 1.0
        self.accepted[name] += 1
        return True


def simulate(
    scheduler: BatchScheduler, service: FakeService, *, faults: dict[tuple[str, int], BaseException] | None = None
) -> float:
    """Drive the scheduler with a fake clock; returns the time the last answer landed."""
    now = 0.0
    landing: list[tuple[float, int, Send]] = []
    counter = 0
    sends: dict[str, int] = {}
    faults = faults or {}
    while True:
        action = scheduler.next_action(now)
        if isinstance(action, Send):
            name = scheduler.targets[action.target].name
            sends[name] = sends.get(name, 0) + 1
            counter += 1
            heapq.heappush(landing, (now + service.latency, counter, action))
            continue
        if isinstance(action, Finished):
            return now
        assert isinstance(action, Wait)
        wake = now + action.seconds if action.seconds is not None else None
        if landing and (wake is None or landing[0][0] <= wake):
            now, _, send = heapq.heappop(landing)
            name = scheduler.targets[send.target].name
            fault = faults.get((name, sends[name]))
            if fault is not None:
                scheduler.failed(send.item_id, now, classify(fault))
            elif service.admit(name, now - service.latency):
                scheduler.answered(send.item_id, now, latency=service.latency)
            else:
                scheduler.failed(send.item_id, now, classify(RateLimitError("429", status=429, retry_after=6.0)))
        else:
            assert wake is not None, "waiting for nothing"
            now = wake


@pytest.mark.parametrize(("rpm", "latency"), [(9, 20.0), (60, 15.0), (120, 3.0), (6, 40.0), (600, 0.5)])
@pytest.mark.parametrize("window", [1.0, 10.0])
def test_one_deployment_runs_at_its_quota_without_earning_a_429(rpm: float, latency: float, window: float) -> None:
    service = FakeService({"d": rpm}, latency, window=window)
    scheduler = BatchScheduler(["d"], [f"i{n}" for n in range(200)], rpm=[rpm], concurrency=64)
    end = simulate(scheduler, service)
    ideal = (200 - 1) * 60.0 / rpm + latency
    assert service.refused == 0
    assert end <= 1.05 * ideal
    assert scheduler.progress(end).done == 200


def test_two_deployments_share_the_work_in_proportion_to_their_quotas() -> None:
    service = FakeService({"a": 60, "b": 30}, 10.0)
    scheduler = BatchScheduler(["a", "b"], [f"i{n}" for n in range(300)], rpm=[60, 30], concurrency=64)
    end = simulate(scheduler, service)
    assert service.refused == 0
    assert service.accepted["a"] == pytest.approx(200, abs=3)
    assert end <= 1.05 * (300 * 60.0 / 90 + 10.0)


def test_a_429_slows_only_its_deployment_and_the_item_goes_again() -> None:
    scheduler = BatchScheduler(["a", "b"], ["x", "y", "z"], rpm=[60, 60])
    first = scheduler.next_action(0.0)
    assert isinstance(first, Send) and first.target == 0
    assert scheduler.failed("x", 0.5, classify(RateLimitError("429", status=429, retry_after=30))) == "retry"
    assert scheduler.targets[0].pacer.ready_at() == 30.5
    nxt = scheduler.next_action(0.5)
    assert isinstance(nxt, Send) and nxt.item_id == "x" and nxt.target == 1 and nxt.attempt == 1


def test_a_missing_deployment_is_taken_out_and_the_rest_go_on() -> None:
    service = FakeService({"a": 60, "b": 60}, 1.0)
    scheduler = BatchScheduler(["a", "b"], [f"i{n}" for n in range(20)], rpm=[60, 60])
    simulate(scheduler, service, faults={("b", 1): DeploymentNotFoundError("gone", status=404)})
    assert scheduler.targets[1].dropped == "the deployment was not found"
    assert scheduler.n_done == 20 and scheduler.stopped is None


def test_repeated_5xx_take_a_deployment_out() -> None:
    service = FakeService({"a": 60, "b": 60}, 1.0)
    faults: dict[tuple[str, int], BaseException] = {("b", n): ServerError("down", status=503) for n in range(1, 10)}
    scheduler = BatchScheduler(["a", "b"], [f"i{n}" for n in range(20)], rpm=[60, 60])
    simulate(scheduler, service, faults=faults)
    assert scheduler.targets[1].dropped == "3 failures in a row" and scheduler.n_done == 20


def test_an_auth_failure_stops_the_batch_and_leaves_the_rest_to_do() -> None:
    service = FakeService({"a": 60}, 1.0)
    scheduler = BatchScheduler(["a"], [f"i{n}" for n in range(20)], rpm=[60])
    simulate(scheduler, service, faults={("a", 3): AuthenticationError("bad key", status=401)})
    assert scheduler.stopped == "stopped" and scheduler.n_done == 2 and scheduler.n_failed == 0
    assert len(scheduler.queue) == 18


def test_a_content_filter_fails_only_its_item() -> None:
    service = FakeService({"a": 60}, 1.0)
    scheduler = BatchScheduler(["a"], [f"i{n}" for n in range(5)], rpm=[60])
    simulate(scheduler, service, faults={("a", 2): ContentFilterError("no", status=400)})
    assert (scheduler.n_done, scheduler.n_failed) == (4, 1)


def test_an_item_failing_every_time_is_given_up_after_max_attempts() -> None:
    scheduler = BatchScheduler(["a"], ["x"], rpm=[60], max_attempts=2)
    verdict = classify(ServerError("down", status=500))
    assert isinstance(scheduler.next_action(0.0), Send)
    assert scheduler.failed("x", 1.0, verdict) == "retry"
    wait = scheduler.next_action(1.0)
    assert isinstance(wait, Wait) and wait.seconds == pytest.approx(2.0)  # backs off 2**attempts
    assert isinstance(scheduler.next_action(3.0), Send)
    assert scheduler.failed("x", 6.0, verdict) == "failed"
    assert isinstance(scheduler.next_action(6.0), Finished)


def test_background_items_are_polled_until_done() -> None:
    scheduler = BatchScheduler(["a"], ["x"], rpm=[60], poll_interval=2.0, polls=[("y", 0, "resp_y")])
    assert scheduler.next_action(0.0) == Poll("y", 0, "resp_y")
    send = scheduler.next_action(0.0)
    assert isinstance(send, Send) and send.item_id == "x"
    scheduler.accepted("x", 0.5, "resp_x")
    scheduler.still_running("y", 0.5, "resp_y")
    assert scheduler.next_action(1.0) == Wait(1.5)
    assert scheduler.next_action(2.5) == Poll("x", 0, "resp_x")
    scheduler.polled_done("x", 3.0)
    assert scheduler.next_action(3.0) == Poll("y", 0, "resp_y")
    scheduler.polled_done("y", 3.5)
    assert isinstance(scheduler.next_action(3.5), Finished)
    assert scheduler.progress(3.5).done == 2


def test_progress_reports_rate_quota_and_eta() -> None:
    scheduler = BatchScheduler(["a"], [f"i{n}" for n in range(10)], rpm=[60])
    now = 0.0
    for _ in range(3):
        send = scheduler.next_action(now)
        assert isinstance(send, Send)
        now += 1.02
        scheduler.answered(send.item_id, now, latency=1.0)
    progress = scheduler.progress(now)
    assert (progress.done, progress.queued, progress.quota_per_minute) == (3, 7, 60.0)
    assert progress.images_per_minute == pytest.approx(58.8, abs=0.5)
    assert progress.eta_seconds == pytest.approx(7 * 60 / progress.images_per_minute)


def test_a_failed_poll_polls_again_and_never_resends() -> None:
    scheduler = BatchScheduler(["a"], [], rpm=[60], poll_interval=2.0, polls=[("y", 0, "resp_y")])
    assert scheduler.next_action(0.0) == Poll("y", 0, "resp_y")
    limited = classify(RateLimitError("429", status=429, retry_after=5))
    assert scheduler.poll_failed("y", 1.0, limited, "resp_y", http_failure=True) == "repoll"
    assert scheduler.next_action(1.0) == Wait(4.0) and not scheduler.queue
    assert scheduler.targets[0].pacer.ready_at() == 6.0
    assert scheduler.next_action(5.0) == Poll("y", 0, "resp_y")
    down = classify(ServerError("down", status=503))
    assert scheduler.poll_failed("y", 5.0, down, "resp_y", http_failure=True) == "repoll"
    assert scheduler.next_action(13.0) == Poll("y", 0, "resp_y")  # backing off: 2 s x 2**2
    gone = classify(DeploymentNotFoundError("no such response", status=404))
    assert scheduler.poll_failed("y", 13.0, gone, "resp_y", http_failure=True) == "retry"
    assert list(scheduler.queue) == ["y"] and scheduler.targets[0].dropped is None


def test_a_background_response_that_failed_is_judged_like_an_answer() -> None:
    scheduler = BatchScheduler(["a"], [], rpm=[60], polls=[("y", 0, "resp_y")])
    scheduler.next_action(0.0)
    blocked = classify(ContentFilterError("blocked", status=200))
    assert scheduler.poll_failed("y", 1.0, blocked, "resp_y", http_failure=False) == "failed"
    assert scheduler.n_failed == 1 and isinstance(scheduler.next_action(1.0), Finished)
