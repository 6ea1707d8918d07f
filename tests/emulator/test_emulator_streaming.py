"""SSE streams in both dialects: framing, order, sequence numbers, partial images."""

from __future__ import annotations

import time

import httpx
import pytest

IMAGE_EVENTS_OPENAI = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.image_generation_call.in_progress",
    "response.image_generation_call.generating",
    "response.image_generation_call.partial_image",
    "response.image_generation_call.partial_image",
    "response.image_generation_call.completed",
    "response.output_item.done",
    "response.output_item.added",
    "response.content_part.added",
]


def _types(events) -> list[str]:
    return [e.event for e in events if e.event is not None]


def test_openai_dialect_order_and_framing(api, decode_image) -> None:
    resp, events = api.stream(api.image_body({"partial_images": 2}))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers["cache-control"] == "no-cache"
    assert resp.headers["x-request-id"]
    assert resp.text.endswith("\n\n")
    assert "[DONE]" not in resp.text
    types = _types(events)
    assert types[: len(IMAGE_EVENTS_OPENAI)] == IMAGE_EVENTS_OPENAI
    assert types[-1] == "response.completed"
    assert types[-2] == "response.output_item.done"
    assert "response.output_text.delta" in types
    payloads = [e.json for e in events]
    assert [p["sequence_number"] for p in payloads] == list(range(len(payloads)))
    assert all(p["type"] == e.event for p, e in zip(payloads, events, strict=True))
    created = payloads[0]["response"]
    assert created["status"] == "in_progress" and created["output"] == [] and created["usage"] is None
    added = payloads[2]["item"]
    assert added == {
        "id": added["id"],
        "type": "image_generation_call",
        "status": "in_progress",
        "result": None,
    }
    done = payloads[8]["item"]
    assert done["status"] == "completed" and done["id"] == added["id"]
    final = decode_image(done["result"])
    assert final.size == (1024, 1024)
    completed = payloads[-1]["response"]
    assert completed["status"] == "completed"
    assert completed["output"][0]["result"] == done["result"]
    assert completed["output"][1]["type"] == "message"
    assert completed["id"] == created["id"]


def test_partial_images_are_real_progressive_images(api, decode_image) -> None:
    _, events = api.stream(api.image_body({"partial_images": 3, "size": "1536x1024", "quality": "high"}))
    partials = [e.json for e in events if e.event == "response.image_generation_call.partial_image"]
    assert [p["partial_image_index"] for p in partials] == [0, 1, 2]
    for p in partials:
        assert (p["size"], p["quality"], p["background"], p["output_format"]) == (
            "1536x1024",
            "high",
            "opaque",
            "png",
        )
    images = [decode_image(p["partial_image_b64"]) for p in partials]
    final_b64 = next(e.json["item"]["result"] for e in events if e.event == "response.output_item.done")
    images.append(decode_image(final_b64))
    assert all(img.size == (1536, 1024) for img in images)
    stride = 1536 * 3
    detail = []
    for img in images:
        data = img.tobytes()
        detail.append(len({data[i : i + stride] for i in range(0, stride * 1024, stride)}))
    assert detail == sorted(detail) and detail[0] < detail[-1]
    assert len({p["partial_image_b64"] for p in partials} | {final_b64}) == 4


def test_partials_follow_output_format_and_background(api, decode_image) -> None:
    _, events = api.stream(api.image_body({"partial_images": 1, "output_format": "webp", "background": "transparent"}))
    partial = next(e.json for e in events if e.event == "response.image_generation_call.partial_image")
    img = decode_image(partial["partial_image_b64"])
    assert (img.format, img.mode) == ("WEBP", "RGBA")


def test_no_partials_by_default(api) -> None:
    _, events = api.stream(api.image_body())
    assert "response.image_generation_call.partial_image" not in _types(events)


def test_azure_dialect(make_api, decode_image) -> None:
    api = make_api(stream_dialect="azure")
    resp, events = api.stream(api.image_body({"partial_images": 1}))
    assert resp.text.endswith("data: [DONE]\n\n")
    assert events[-1].event is None and events[-1].data == "[DONE]"
    real = events[:-1]
    types = _types(real)
    assert "response.image_generation_call.completed" not in types
    assert types[-1] == "response.completed"
    done = next(e.json for e in real if e.event == "response.output_item.done")
    assert done["item"]["status"] == "generating"
    assert decode_image(done["item"]["result"]).size == (1024, 1024)
    completed = real[-1].json["response"]
    assert completed["output"][0]["status"] == "generating"
    assert [e.json["sequence_number"] for e in real] == list(range(len(real)))


def test_text_only_stream_without_image_tool(api) -> None:
    _, events = api.stream({"model": "gpt-4o", "input": "hi"}, image_deployment=None)
    types = _types(events)
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert not any("image_generation" in t for t in types)
    text = next(e.json["text"] for e in events if e.event == "response.output_text.done")
    deltas = "".join(e.json["delta"] for e in events if e.event == "response.output_text.delta")
    assert deltas == text


def test_stream_validation_errors_are_plain_json(api) -> None:
    resp, events = api.stream(api.image_body(), image_deployment=None)
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/json"
    assert events == []


def test_streamed_response_is_stored(api, http) -> None:
    _, events = api.stream(api.image_body())
    rid = events[0].json["response"]["id"]
    stored = http.get(f"{api.emu.url}/openai/v1/responses/{rid}").json()
    assert stored["status"] == "completed"
    assert stored["output"][0]["result"] is None


def test_large_single_data_lines_are_not_split(make_api) -> None:
    api = make_api()
    _, events = api.stream(
        api.image_body({"size": "3840x2160", "quality": "high", "partial_images": 1}),
        image_deployment="gpt-image-2",
    )
    biggest = max(len(e.data) for e in events)
    assert biggest > 100_000
    assert all("\n" not in e.data for e in events)


def test_event_delay_spaces_events(make_api) -> None:
    api = make_api(event_delay=0.002)
    start = time.perf_counter()
    _, events = api.stream({"model": "gpt-4o", "input": "hi"}, image_deployment=None)
    assert time.perf_counter() - start >= 0.002 * (len(events) - 1)


def test_events_arrive_incrementally(make_api) -> None:
    # With a delay between events the first event must be readable before the stream ends.
    api = make_api(event_delay=0.001)
    body = {**api.image_body(), "stream": True}
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "POST",
            api.emu.url + "/openai/v1/responses",
            json=body,
            headers={"x-ms-oai-image-generation-deployment": "gpt-image-1"},
        ) as resp,
    ):
        lines = resp.iter_lines()
        first = next(lines)
        assert first == "event: response.created"
        rest = list(lines)
    assert rest[-2].startswith("data: ") and '"response.completed"' in rest[-2]


@pytest.mark.parametrize("dialect", ["openai", "azure"])
def test_sse_parses_with_openai_sdk_decoder(make_api, dialect: str) -> None:
    openai = pytest.importorskip("openai")
    api = make_api(stream_dialect=dialect)
    client = openai.OpenAI(
        base_url=api.emu.url + "/openai/v1",
        api_key="x",
        default_headers={"x-ms-oai-image-generation-deployment": "gpt-image-1"},
        max_retries=0,
    )
    with client:
        stream = client.responses.create(
            model="gpt-4.1",
            input="a cat",
            tools=[{"type": "image_generation", "partial_images": 1}],
            stream=True,
        )
        types = [ev.type for ev in stream]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert ("response.image_generation_call.completed" in types) is (dialect == "openai")
