"""Background mode over loopback HTTP on a FakeClock: polling, cancel, streams and resuming them."""

from __future__ import annotations

import json
import threading
import time

import httpx
import openai
import pytest

from foundry_imagegen.emulator import FakeClock
from foundry_imagegen.emulator._background import MAX_JOBS

IMAGE_HEADER = "x-ms-oai-image-generation-deployment"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bg(make_api, clock):
    return make_api(clock=clock, background_duration=8)


def _get(api, response_id: str, query: str = "") -> httpx.Response:
    return api.client.get(f"{api.emu.endpoint}/openai/v1/responses/{response_id}{query}")


def test_background_moves_queued_in_progress_completed(bg, clock, decode_image) -> None:
    r = bg.create(bg.image_body(background=True))
    assert r.status_code == 200
    created = r.json()
    assert (created["status"], created["background"], created["output"]) == ("queued", True, [])
    assert created["usage"] is None and created["completed_at"] is None
    rid = created["id"]
    assert _get(bg, rid).json()["status"] == "queued"
    clock.advance(2)
    polled = _get(bg, rid).json()
    assert polled["status"] == "in_progress" and polled["output"] == []
    clock.advance(5.9)
    assert _get(bg, rid).json()["status"] == "in_progress"
    clock.advance(0.1)
    done = _get(bg, rid).json()
    assert done["status"] == "completed"
    assert done["completed_at"] == created["created_at"] + 8
    call = done["output"][0]
    assert call["type"] == "image_generation_call" and decode_image(call["result"]).size == (1024, 1024)
    # Once finished it is an ordinary stored response: it can be continued from.
    follow = bg.create(bg.image_body(previous_response_id=rid))
    assert follow.status_code == 200 and follow.json()["output"][0]["action"] == "edit"


def test_background_needs_store(bg) -> None:
    r = bg.create(bg.image_body(background=True, store=False))
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Background mode requires 'store' to be true.",
        "type": "invalid_request_error",
        "param": "background",
        "code": "invalid_value",
    }


def test_cancel_running_and_finished_and_foreground(bg, clock) -> None:
    rid = bg.create(bg.image_body(background=True)).json()["id"]
    url = f"{bg.emu.endpoint}/openai/v1/responses/{rid}/cancel"
    clock.advance(3)
    first = bg.client.post(url)
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    assert bg.client.post(url).json() == first.json()  # idempotent
    clock.advance(60)
    assert _get(bg, rid).json()["status"] == "cancelled"
    # A finished one cannot be cancelled.
    done = bg.create(bg.image_body(background=True)).json()["id"]
    clock.advance(8)
    r = bg.client.post(f"{bg.emu.endpoint}/openai/v1/responses/{done}/cancel")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Cannot cancel a response that has already finished (status 'completed')."
    # Neither can a foreground one, and an unknown id is a 404.
    fg = bg.create(bg.image_body()).json()["id"]
    r = bg.client.post(f"{bg.emu.endpoint}/openai/v1/responses/{fg}/cancel")
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Only responses created with background=true can be cancelled.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert bg.client.post(f"{bg.emu.endpoint}/openai/v1/responses/resp_nope/cancel").status_code == 404


def test_background_stream_follows_the_clock_and_resumes(bg, clock, sse_parser) -> None:
    body = {**bg.image_body({"partial_images": 1}), "background": True, "stream": True}
    seen: list[dict] = []
    with bg.client.stream(
        "POST", f"{bg.emu.endpoint}/openai/v1/responses", json=body, headers={IMAGE_HEADER: "gpt-image-1"}
    ) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        lines = resp.iter_lines()
        # The queued events are there at once; the rest waits for the clock.
        while len(seen) < 2:
            line = next(lines)
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
        assert [e["type"] for e in seen] == ["response.created", "response.queued"]
        assert seen[0]["response"]["status"] == "queued" and seen[0]["response"]["background"] is True
        rid = seen[0]["response"]["id"]
        advancer = threading.Timer(0.05, clock.advance, args=(8,))
        advancer.start()
        for line in lines:
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
        advancer.join()
    types = [e["type"] for e in seen]
    assert types[2] == "response.in_progress" and types[-1] == "response.completed"
    assert "response.image_generation_call.partial_image" in types
    assert [e["sequence_number"] for e in seen] == list(range(len(seen)))
    # Resume after event 4: SSE again, from sequence number 5.
    r = _get(bg, rid, "?stream=true&starting_after=4")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    resumed = [e.json for e in sse_parser(r.text)]
    assert resumed == seen[5:]


def test_resume_needs_a_streamed_background_response(bg, clock) -> None:
    plain = bg.create(bg.image_body(background=True)).json()["id"]
    r = _get(bg, plain, "?stream=true&starting_after=0")
    assert r.status_code == 400 and r.json()["error"]["param"] == "stream"
    fg = bg.create(bg.image_body()).json()["id"]
    assert _get(bg, fg, "?stream=true").status_code == 400
    assert _get(bg, "resp_nope", "?stream=true").status_code == 404


def test_cancel_ends_a_waiting_stream(bg, clock) -> None:
    body = {**bg.image_body(), "background": True, "stream": True}
    with bg.client.stream(
        "POST", f"{bg.emu.endpoint}/openai/v1/responses", json=body, headers={IMAGE_HEADER: "gpt-image-1"}
    ) as resp:
        lines = resp.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        rid = json.loads(first[6:])["response"]["id"]
        canceller = threading.Timer(0.05, bg.client.post, args=(f"{bg.emu.endpoint}/openai/v1/responses/{rid}/cancel",))
        began = time.monotonic()
        canceller.start()
        rest = [line for line in lines if line.startswith("data: ")]
        canceller.join()
    assert time.monotonic() - began < 3
    assert [json.loads(x[6:])["type"] for x in rest] == ["response.queued"]


def test_with_openai_client(make_api, clock) -> None:
    api = make_api(clock=clock, background_duration=4)
    client = openai.OpenAI(
        base_url=api.emu.endpoint + "/openai/v1",
        api_key="k",
        max_retries=0,
        default_headers={IMAGE_HEADER: "gpt-image-1"},
    )
    with client:
        created = client.responses.create(
            model="gpt-4.1", input="a lighthouse", tools=[{"type": "image_generation"}], background=True
        )
        assert created.status == "queued" and created.background is True
        clock.advance(4)
        done = client.responses.retrieve(created.id)
        assert done.status == "completed" and done.output[0].type == "image_generation_call"
        assert done.output[0].result
        running = client.responses.create(
            model="gpt-4.1", input="a boat", tools=[{"type": "image_generation"}], background=True
        )
        assert client.responses.cancel(running.id).status == "cancelled"
        with pytest.raises(openai.BadRequestError):
            client.responses.cancel(created.id)
        streamed = client.responses.create(
            model="gpt-4.1", input="a gull", tools=[{"type": "image_generation"}], background=True, stream=True
        )
        first = next(iter(streamed))
        assert first.type == "response.created" and first.response.status == "queued"
        streamed.close()
        clock.advance(4)
        resumed = client.responses.retrieve(first.response.id, stream=True, starting_after=1)
        events = list(resumed)
        assert events[0].sequence_number == 2 and events[0].type == "response.in_progress"
        assert events[-1].type == "response.completed"


def test_jobs_are_bounded(make_api, clock) -> None:
    api = make_api(clock=clock, background_duration=0)
    ids = [
        api.create({"model": "gpt-4.1", "input": "hi", "background": True}).json()["id"] for _ in range(MAX_JOBS + 5)
    ]
    assert len(api.emu._service.responses.jobs._jobs) == MAX_JOBS
    # The evicted ones had finished and were stored, so they are still readable (as stored responses).
    assert _get(api, ids[0]).json()["status"] == "completed"
    assert _get(api, ids[-1]).json()["status"] == "completed"


def test_background_duration_is_checked() -> None:
    from foundry_imagegen.emulator import Emulator

    with pytest.raises(ValueError, match="background_duration"):
        Emulator(background_duration=-1)
