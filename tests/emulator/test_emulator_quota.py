"""Diagnostic and rate-limit headers, per-deployment quotas and the generation latency, over loopback HTTP.

The quota windows run on a FakeClock, so no test waits for a minute to pass.
"""

from __future__ import annotations

import time

import openai
import pytest

from foundry_imagegen.emulator import Emulator, FakeClock
from foundry_imagegen.emulator._quota import generation_latency, parse_latency
from foundry_imagegen.emulator._serve import build_parser

RATE_HEADERS = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
)


def test_every_answer_has_diagnostic_headers(api) -> None:
    sent = {"x-ms-client-request-id": "abc-123"}
    answers = [
        api.create(api.image_body(), headers=sent),
        api.client.get(f"{api.emu.endpoint}/deployments", headers=sent),
        api.client.get(f"{api.emu.endpoint}/agents", headers=sent),
        api.client.get(f"{api.emu.endpoint}/openai/v1/files", headers=sent),
        api.client.get(f"{api.emu.url}/nowhere", headers=sent),
    ]
    for r in answers:
        assert r.headers["x-request-id"] and r.headers["apim-request-id"]
        assert r.headers["x-ms-region"] == "East US 2"
        assert r.headers["x-ms-client-request-id"] == "abc-123"
    assert "x-ms-client-request-id" not in api.create(api.image_body()).headers


def test_responses_answers_carry_rate_limit_headers(api) -> None:
    r = api.create(api.image_body())
    assert r.status_code == 200
    assert r.headers["x-ms-deployment-name"] == "gpt-4.1"
    for name in RATE_HEADERS:
        assert r.headers[name].isdigit(), name
    assert r.headers["x-ratelimit-limit-requests"] == "100000"
    assert int(r.headers["x-ratelimit-remaining-requests"]) < 100000
    # A validation error after the quota was charged has them too.
    bad = api.create(api.image_body({"quality": "ultra"}))
    assert bad.status_code == 400 and "x-ratelimit-remaining-requests" in bad.headers


def test_region_option(make_api) -> None:
    api = make_api(region="Sweden Central")
    assert api.create(api.image_body()).headers["x-ms-region"] == "Sweden Central"


def test_quota_window_429_and_recovery(make_api) -> None:
    clock = FakeClock()
    api = make_api(clock=clock, rpm={"gpt-image-2": 3})
    remaining = []
    for _ in range(3):
        r = api.create(api.image_body(), image_deployment="gpt-image-2")
        assert r.status_code == 200
        assert r.headers["x-ratelimit-limit-requests"] == "3"
        remaining.append(r.headers["x-ratelimit-remaining-requests"])
        clock.advance(10)
    assert remaining == ["2", "1", "0"]
    # Now t0+30: the oldest call leaves the window at t0+60.
    r = api.create(api.image_body(), image_deployment="gpt-image-2")
    assert r.status_code == 429
    assert r.json() == {
        "error": {
            "code": "429",
            "message": "Requests to the Responses Operation under Azure OpenAI API version v1 have exceeded "
            "call rate limit of your current pricing tier. Please retry after 30 seconds. Please go here: "
            "https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.",
        }
    }
    assert r.headers["retry-after"] == "30" and r.headers["retry-after-ms"] == "30000"
    assert r.headers["x-ratelimit-remaining-requests"] == "0"
    assert r.headers["x-ratelimit-reset-requests"] == "30"
    # Other deployments have their own windows; a refused call is not charged.
    assert api.create(api.image_body(), image_deployment="gpt-image-1").status_code == 200
    clock.advance(29.5)
    assert api.create(api.image_body(), image_deployment="gpt-image-2").headers["retry-after-ms"] == "500"
    clock.advance(0.5)
    r = api.create(api.image_body(), image_deployment="gpt-image-2")
    assert r.status_code == 200 and r.headers["x-ratelimit-remaining-requests"] == "0"
    clock.advance(10)
    assert api.create(api.image_body(), image_deployment="gpt-image-2").status_code == 200


def test_orchestrator_quota_without_image_tool(make_api) -> None:
    api = make_api(clock=FakeClock(), rpm={"gpt-5.5": 1})
    body = {"model": "gpt-5.5", "input": "hello"}
    assert api.create(body, image_deployment=None).status_code == 200
    r = api.create(body, image_deployment=None)
    assert r.status_code == 429 and r.headers["retry-after"] == "60"


def test_tightest_deployment_is_reported(make_api) -> None:
    api = make_api(clock=FakeClock(), rpm={"gpt-image-2": 5, "gpt-4.1": 50})
    r = api.create(api.image_body(), image_deployment="gpt-image-2")
    assert (r.headers["x-ratelimit-limit-requests"], r.headers["x-ratelimit-remaining-requests"]) == ("5", "4")
    assert r.headers["x-ratelimit-limit-tokens"] == str(5 * 1000 // 6)


def test_rate_limit_fault_keeps_its_own_headers(api) -> None:
    api.emu.inject("rate_limit", retry_after=7)
    r = api.create(api.image_body())
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert r.headers["x-ratelimit-remaining-requests"] == "0"
    assert r.headers["x-ratelimit-limit-requests"] == "100000"


def test_openai_sees_rate_limit_error_and_request_id() -> None:
    with Emulator(clock=FakeClock(), rpm={"gpt-image-1": 1}) as emu:
        client = openai.OpenAI(
            base_url=emu.endpoint + "/openai/v1",
            api_key="k",
            max_retries=0,
            default_headers={"x-ms-oai-image-generation-deployment": "gpt-image-1"},
        )
        with client:
            raw = client.responses.with_raw_response.create(
                model="gpt-4.1", input="a fox", tools=[{"type": "image_generation"}]
            )
            assert raw.headers["x-ratelimit-remaining-requests"] == "0"
            assert raw.parse()._request_id == raw.headers["x-request-id"]
            with pytest.raises(openai.RateLimitError) as info:
                client.responses.create(model="gpt-4.1", input="a fox", tools=[{"type": "image_generation"}])
        assert info.value.response.headers["retry-after-ms"] == "60000"
        assert info.value.request_id == info.value.response.headers["x-request-id"]


def test_rpm_values_are_checked() -> None:
    with pytest.raises(ValueError, match="rpm"):
        Emulator(rpm={"gpt-image-2": 0})


def test_latency_is_deterministic_per_request() -> None:
    a = generation_latency((5.0, 1.0), 0, b'{"input": "a"}')
    assert a == generation_latency((5.0, 1.0), 0, b'{"input": "a"}')
    assert 4.0 <= a <= 6.0
    draws = {generation_latency((5.0, 1.0), 0, f'{{"input": "{i}"}}'.encode()) for i in range(20)}
    assert len(draws) == 20 and all(4.0 <= d <= 6.0 for d in draws)
    assert generation_latency((0.1, 5.0), 3, b"x") >= 0.0
    assert parse_latency(2) == (2.0, 0.0)
    with pytest.raises(ValueError):
        parse_latency((-1, 0))


def test_latency_advances_a_fake_clock(make_api) -> None:
    clock = FakeClock()
    api = make_api(clock=clock, latency=(5.0, 1.0))
    start = clock.now()
    began = time.monotonic()
    assert api.create(api.image_body()).status_code == 200
    first = clock.now() - start
    assert 4.0 <= first <= 6.0
    assert time.monotonic() - began < 5  # no real wait
    # Errors are answered at once; the same request takes the same time again.
    assert api.create(api.image_body({"quality": "ultra"})).status_code == 400
    mid = clock.now()
    api.create(api.image_body())
    assert clock.now() - mid == pytest.approx(first)


def test_latency_waits_for_real_on_the_wall_clock(make_api) -> None:
    api = make_api(latency=0.15)
    began = time.monotonic()
    assert api.create(api.image_body()).status_code == 200
    assert time.monotonic() - began >= 0.15


def test_serve_options() -> None:
    args = build_parser().parse_args(["--rpm", "gpt-image-2=6", "--rpm", "gpt-4.1=60", "--latency", "2:0.5"])
    assert dict(args.rpm) == {"gpt-image-2": 6, "gpt-4.1": 60}
    assert args.latency == (2.0, 0.5) and args.region == "East US 2"
    assert build_parser().parse_args(["--latency", "3"]).latency == (3.0, 0.0)
    for bad in (["--rpm", "x=0"], ["--rpm", "x"], ["--latency", "a:b"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(bad)
