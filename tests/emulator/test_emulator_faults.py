"""Fault injection through the Python API and the admin routes."""

from __future__ import annotations

import time

import httpx
import pytest

from foundry_imagegen.emulator import Emulator


def test_unknown_kind_lists_known_kinds(emu) -> None:
    with pytest.raises(ValueError, match="rate_limit") as info:
        emu.inject("meteor_strike")
    for kind in ("content_filter", "stream_drop", "moderation_blocked"):
        assert kind in str(info.value)


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("rate_limit", {"retry_afterr": 1}),
        ("rate_limit", {"retry_after": -1}),
        ("rate_limit", {"count": 0}),
        ("stream_drop", {"after": "3"}),
        ("content_filter", {"category": "spam"}),
        ("moderation_blocked", {"item": "yes"}),
        ("empty_result", {"status": "weird"}),
    ],
)
def test_bad_fault_params_are_value_errors(emu, kind: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        emu.inject(kind, **kwargs)
    assert emu.faults == []


def test_rate_limit(api) -> None:
    api.emu.inject("rate_limit", retry_after=7, retry_after_ms=6500)
    r = api.create(api.image_body())
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert r.headers["retry-after-ms"] == "6500"
    err = r.json()["error"]
    assert err["code"] == "429"
    assert err["message"].startswith(
        "Requests to the Responses Operation under Azure OpenAI API version v1 have exceeded token rate limit"
    )
    assert "Please retry after 7 seconds." in err["message"]
    # Consumed: the next call succeeds.
    assert api.create(api.image_body()).status_code == 200


def test_rate_limit_defaults_and_count(api) -> None:
    api.emu.inject("rate_limit", count=2)
    first, second, third = (api.create(api.image_body()) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["retry-after"] == "1"
    assert "retry-after-ms" not in first.headers


def test_rate_limit_without_retry_after_header(api) -> None:
    api.emu.inject("rate_limit", retry_after=None)
    r = api.create(api.image_body())
    assert r.status_code == 429 and "retry-after" not in r.headers


def test_server_error_embeds_request_id(api) -> None:
    api.emu.inject("server_error")
    r = api.create(api.image_body())
    assert r.status_code == 500
    err = r.json()["error"]
    assert (err["type"], err["code"], err["param"]) == ("server_error", "server_error", None)
    assert r.headers["x-request-id"] in err["message"]
    assert err["message"].startswith("An error occurred while processing your request.")


def test_service_unavailable(api) -> None:
    api.emu.inject("service_unavailable", retry_after=0)
    r = api.create(api.image_body())
    assert r.status_code == 503
    assert r.headers["retry-after"] == "0"
    assert r.headers["x-request-id"] in r.json()["error"]["message"]


def test_slow_first_byte(api) -> None:
    api.emu.inject("slow_first_byte", delay=0.03)
    start = time.perf_counter()
    r = api.create(api.image_body())
    assert time.perf_counter() - start >= 0.03
    assert r.status_code == 200


def test_slow_first_byte_hits_client_timeout(api) -> None:
    api.emu.inject("slow_first_byte", delay=0.5)
    with pytest.raises(httpx.ReadTimeout):
        api.client.post(
            api.emu.url + "/openai/v1/responses",
            json=api.image_body(),
            headers={"x-ms-oai-image-generation-deployment": "gpt-image-1"},
            timeout=0.02,
        )


def test_drop_connection(api) -> None:
    api.emu.inject("drop_connection")
    with pytest.raises(httpx.RemoteProtocolError):
        api.create(api.image_body())
    assert api.create(api.image_body()).status_code == 200


@pytest.mark.parametrize("category", ["violence", "hate", "self_harm", "sexual"])
def test_content_filter(api, category: str) -> None:
    api.emu.inject("content_filter", category=category)
    r = api.create(api.image_body())
    assert r.status_code == 400
    err = r.json()["error"]
    assert (err["code"], err["param"], err["type"], err["status"]) == ("content_filter", "prompt", None, 400)
    assert err["message"].startswith(
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy."
    )
    inner = err["innererror"]
    assert inner["code"] == "ResponsibleAIPolicyViolation"
    result = inner["content_filter_result"]
    assert result[category] == {"filtered": True, "severity": "medium"}
    assert result["jailbreak"] == {"filtered": False, "detected": False}
    others = [v for k, v in result.items() if k not in (category, "jailbreak")]
    assert all(v == {"filtered": False, "severity": "safe"} for v in others)


def test_content_filter_jailbreak(api) -> None:
    api.emu.inject("content_filter", category="jailbreak")
    result = api.create(api.image_body()).json()["error"]["innererror"]["content_filter_result"]
    assert result["jailbreak"] == {"filtered": True, "detected": True}


def test_moderation_blocked(api) -> None:
    api.emu.inject("moderation_blocked")
    r = api.create(api.image_body())
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "failed"
    assert body["error"]["code"] == "moderation_blocked"
    assert body["error"]["message"].startswith("Your request was rejected by the safety system.")
    assert [(o["type"], o["status"], o["result"]) for o in body["output"]] == [
        ("image_generation_call", "failed", None)
    ]


def test_moderation_blocked_without_item_and_custom_code(api) -> None:
    api.emu.inject("moderation_blocked", item=False, code="image_content_policy_violation")
    body = api.create(api.image_body()).json()
    assert body["output"] == []
    assert body["error"]["code"] == "image_content_policy_violation"


def test_text_only(api) -> None:
    api.emu.inject("text_only")
    body = api.create(api.image_body()).json()
    assert body["status"] == "completed"
    assert [o["type"] for o in body["output"]] == ["message"]
    assert body["output"][0]["content"][0]["text"].startswith("I can't draw that, but here's a description")


def test_empty_result(api) -> None:
    api.emu.inject("empty_result", status="generating")
    call = api.create(api.image_body()).json()["output"][0]
    assert (call["result"], call["status"]) == ("", "generating")


def test_content_faults_wait_for_a_valid_request(api) -> None:
    api.emu.inject("text_only")
    assert api.create(api.image_body(), image_deployment=None).status_code == 400
    assert api.emu.faults[0]["kind"] == "text_only"
    assert [o["type"] for o in api.create(api.image_body()).json()["output"]] == ["message"]


def test_transport_faults_come_before_validation(api) -> None:
    api.emu.inject("server_error")
    assert api.create(raw=b"garbage").status_code == 500


def test_faults_apply_in_order_one_per_request(api) -> None:
    api.emu.inject("slow_first_byte", delay=0)
    api.emu.inject("text_only")
    api.emu.inject("server_error")
    a = api.create(api.image_body())
    b = api.create(api.image_body())
    c = api.create(api.image_body())
    d = api.create(api.image_body())
    assert a.status_code == 200 and a.json()["output"][0]["type"] == "image_generation_call"
    assert b.json()["output"][0]["type"] == "message"
    assert c.status_code == 500
    assert d.status_code == 200


def test_stream_faults_are_not_consumed_by_plain_requests(api) -> None:
    api.emu.inject("stream_drop", after=1)
    assert api.create(api.image_body()).status_code == 200
    assert api.emu.faults[0]["kind"] == "stream_drop"
    # A later transport fault still applies to plain requests even behind a stream fault.
    api.emu.inject("server_error")
    assert api.create(api.image_body()).status_code == 500
    assert [f["kind"] for f in api.emu.faults] == ["stream_drop"]


def test_stream_drop(api) -> None:
    api.emu.inject("stream_drop", after=2)
    body = {**api.image_body(), "stream": True}
    lines: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        api.client.stream(
            "POST",
            api.emu.url + "/openai/v1/responses",
            json=body,
            headers={"x-ms-oai-image-generation-deployment": "gpt-image-1"},
        ) as resp,
    ):
        for line in resp.iter_lines():
            lines.append(line)
    assert [ln for ln in lines if ln.startswith("event: ")] == [
        "event: response.created",
        "event: response.in_progress",
    ]


@pytest.mark.parametrize("dialect", ["openai", "azure"])
def test_stream_error(make_api, dialect: str) -> None:
    api = make_api(stream_dialect=dialect)
    api.emu.inject("stream_error", after=4, code="rate_limit_exceeded", message="slow down")
    _, events = api.stream(api.image_body())
    real = [e for e in events if e.data != "[DONE]"]
    assert len(real) == 5
    last = real[-1]
    assert last.event == "error"
    assert last.json == {
        "type": "error",
        "sequence_number": 4,
        "code": "rate_limit_exceeded",
        "message": "slow down",
        "param": None,
    }


def test_stream_failed(api, http) -> None:
    api.emu.inject("stream_failed", after=3)
    _, events = api.stream(api.image_body())
    assert len(events) == 4
    last = events[-1].json
    assert last["type"] == "response.failed"
    assert last["sequence_number"] == 3
    assert last["response"]["status"] == "failed"
    assert last["response"]["error"]["code"] == "server_error"
    assert http.get(f"{api.emu.url}/openai/v1/responses/{last['response']['id']}").json()["status"] == "failed"


def test_moderation_blocked_in_a_stream(api) -> None:
    api.emu.inject("moderation_blocked")
    _, events = api.stream(api.image_body())
    assert events[-1].event == "response.failed"
    failed = events[-1].json["response"]
    assert failed["error"]["code"] == "moderation_blocked"
    done = next(e.json for e in events if e.event == "response.output_item.done")
    assert (done["item"]["status"], done["item"]["result"]) == ("failed", None)


def test_text_only_and_empty_result_in_streams(api) -> None:
    api.emu.inject("text_only")
    _, events = api.stream(api.image_body())
    assert not any(e.event and "image_generation" in e.event for e in events)
    api.emu.inject("empty_result")
    _, events = api.stream(api.image_body({"partial_images": 2}))
    done = next(e.json for e in events if e.event == "response.output_item.done")
    assert done["item"]["result"] == ""
    assert not any(e.event == "response.image_generation_call.partial_image" for e in events)


def test_content_filter_on_stream_is_http_400(api) -> None:
    api.emu.inject("content_filter")
    resp, events = api.stream(api.image_body())
    assert resp.status_code == 400 and events == []


def test_faults_only_hit_responses_posts(api, http) -> None:
    api.emu.inject("server_error")
    assert http.get(f"{api.emu.url}/openai/v1/responses/resp_x").status_code == 404
    assert api.emu.faults != []


def test_clear_faults(api) -> None:
    api.emu.inject("server_error", count=5)
    assert api.emu.faults == [{"kind": "server_error", "remaining": 5}]
    api.emu.clear_faults()
    assert api.emu.faults == []
    assert api.create(api.image_body()).status_code == 200


# ---------------------------------------------------------------------------- admin routes


def test_admin_fault_routes(api, http) -> None:
    url = api.emu.url + "/_emulator/faults"
    r = http.post(url, json={"kind": "rate_limit", "count": 2, "retry_after": 3})
    assert r.status_code == 204
    assert http.get(url).json() == [{"kind": "rate_limit", "remaining": 2, "retry_after": 3, "retry_after_ms": None}]
    assert api.create(api.image_body()).headers["retry-after"] == "3"
    assert http.delete(url).status_code == 204
    assert api.create(api.image_body()).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "nope"},
        {"count": 1},
        [1],
        {"kind": "rate_limit", "bogus": 1},
        {"kind": "rate_limit", "count": 0},
    ],
)
def test_admin_fault_validation(emu, http, payload) -> None:
    r = http.post(emu.url + "/_emulator/faults", json=payload)
    assert r.status_code == 400
    assert r.json()["error"]["message"]


def test_admin_request_routes(api, http) -> None:
    api.create(api.image_body(), headers={"api-key": "secret"})
    log = http.get(api.emu.url + "/_emulator/requests").json()
    assert len(log) == 1
    entry = log[0]
    assert entry["method"] == "POST"
    assert entry["path"] == "/api/projects/demo/openai/v1/responses"
    assert entry["headers"]["api-key"] == "***"
    assert entry["json"]["input"] == "a red fox in the snow"
    assert http.delete(api.emu.url + "/_emulator/requests").status_code == 204
    assert http.get(api.emu.url + "/_emulator/requests").json() == []


def test_health(emu: Emulator, http) -> None:
    r = http.get(emu.url + "/health")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})
    assert emu.requests == []
