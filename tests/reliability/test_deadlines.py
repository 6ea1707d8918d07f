"""timeout= bounds each attempt end to end; deadline= bounds the whole call, waits included (item 6)."""

from __future__ import annotations

import time

import pytest

from foundry_imagegen import APITimeoutError, ConfigurationError, FoundryClient, RateLimitError
from foundry_imagegen._core.deadline import Deadline
from tests.reliability.raw_testkit import RawServer
from tests.reliability.test_fault_matrix import error_body, json_drip, json_ok, run_call, status, stream_keepalive


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(("mode", "script"), [("json", json_drip), ("stream", stream_keepalive)])
def test_a_drip_fed_answer_cannot_outlive_the_timeout(flavour, mode, script, tmp_path):
    server = RawServer([script])
    start = time.monotonic()
    try:
        with pytest.raises(APITimeoutError, match=r"within timeout=0\.3"):
            run_call(flavour, mode, server.url, tmp_path / "img.png", timeout=0.3)
    finally:
        server.close()
    assert time.monotonic() - start < 1.0  # the server would drip for 1.5 s
    assert len(server.requests) == 1


def test_the_deadline_counts_retry_waits():
    now = [1000.0]
    server = RawServer([status(429, error_body("429"), {"Retry-After": "20"})] * 2 + [json_ok])
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    try:
        client = FoundryClient(
            server.url, api_key="k", model="m", image_deployment="d", deadline=30, sleep=sleep, max_retries=3
        )
        client._clock = lambda: now[0]
        with client, pytest.raises(RateLimitError):
            client.generate("a fox")
    finally:
        server.close()
    assert slept == [20.0]  # the second wait would end past the 30 s deadline
    assert len(server.requests) == 2


def test_deadline_option_is_checked():
    for value in (0, -1, float("nan"), float("inf"), 1e12, "5"):
        with pytest.raises(ConfigurationError, match="deadline="):
            FoundryClient("https://acme.openai.azure.com", api_key="k", deadline=value)  # type: ignore[arg-type]  # wrong on purpose
    FoundryClient("https://acme.openai.azure.com", api_key="k", deadline=None).close()


def test_deadline_arithmetic():
    call = Deadline.after(now=0.0, seconds=10, option="deadline=10", caps_waits=True)
    attempt = Deadline.after(now=0.0, seconds=600, option="timeout=600")
    assert attempt.earliest(call) is call and call.earliest(Deadline()) is call
    assert call.left(now=4.0) == 6.0 and call.allows_wait(5.0, now=4.0) and not call.allows_wait(6.0, now=4.0)
    call.check(now=9.9)
    with pytest.raises(APITimeoutError, match="deadline=10"):
        call.check(now=10.0)
    assert Deadline.after(now=0, seconds=None, option="").left(now=5) is None
