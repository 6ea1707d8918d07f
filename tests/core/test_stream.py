"""The stream processor: both dialects, typed in-stream errors, truncation, partial callbacks."""

from __future__ import annotations

import json

import pytest

from foundry_imagegen import (
    ContentFilterError,
    GeneratedImage,
    GenerationFailedError,
    InvalidResponseError,
    NoImageGeneratedError,
    RateLimitError,
    ServerError,
    TruncatedStreamError,
)
from foundry_imagegen._core.events import (
    ImageGenerationCompletedEvent,
    OutputItemDoneEvent,
    PartialImageEvent,
    ResponseCompletedEvent,
    UnknownEvent,
)
from foundry_imagegen._core.stream import StreamProcessor
from tests.testkit import image_stream, make_png, sse


def run(body: bytes, chunk: int = 97, **kwargs: object) -> tuple[StreamProcessor, list[object]]:
    processor = StreamProcessor(**kwargs)  # type: ignore[arg-type]
    events: list[object] = []
    for start in range(0, len(body), chunk):
        events += processor.feed(body[start : start + chunk])
    events += processor.end()
    return processor, events


@pytest.mark.parametrize("dialect", ["openai", "azure"])
def test_both_dialects_give_partials_then_the_final_image(dialect: str) -> None:
    final = make_png(32, 24)
    seen: list[GeneratedImage] = []
    processor, events = run(image_stream(dialect=dialect, partials=3, final=final), on_partial_image=seen.append)
    assert [image.partial_index for image in seen] == [0, 1, 2]
    assert [(image.width, image.height) for image in seen] == [(4, 4), (8, 8), (12, 12)]
    images = processor.take_images()
    assert [image.partial_index for image in images] == [0, 1, 2, None]
    result = processor.result()
    assert [image.data for image in result.images] == [final]
    assert result.revised_prompt == "A fox." and result.id == "resp_s"
    assert processor.partials_seen == 3 and processor.finished
    assert any(isinstance(e, ImageGenerationCompletedEvent) for e in events) == (dialect == "openai")
    assert isinstance(events[-1], ResponseCompletedEvent)


def test_final_image_from_output_item_done_is_not_duplicated_by_completed() -> None:
    processor, events = run(image_stream(partials=0))
    assert len(processor.result().images) == 1
    assert sum(isinstance(e, OutputItemDoneEvent) for e in events) == 1


def test_final_image_only_in_response_completed() -> None:
    # Some relays forward only the completed response, without output_item.done.
    parts = image_stream(partials=0).split(b"\n\n")
    body = b"\n\n".join(p for p in parts if b"output_item.done" not in p)
    processor, _ = run(body)
    assert len(processor.result().images) == 1


def test_done_sentinel_and_unknown_events_are_fine() -> None:
    body = sse("keepalive", {}) + b": ping\n\n" + image_stream(done_sentinel=True)
    processor, events = run(body)
    assert isinstance(events[0], UnknownEvent) and processor.result().images


def test_type_missing_from_data_is_taken_from_the_event_line() -> None:
    body = b'event: response.image_generation_call.partial_image\ndata: {"item_id":"ig","partial_image_b64":"' + (
        __import__("base64").b64encode(make_png()) + b'"}\n\n'
    )
    _, events = run(body)
    assert isinstance(events[0], PartialImageEvent)


def test_truncated_stream_raises_and_says_nothing_was_written() -> None:
    body = image_stream(partials=2)
    cut = body.index(b"event: response.output_item.done")
    processor, _ = run(body[:cut])
    with pytest.raises(TruncatedStreamError, match="nothing was written") as info:
        processor.result()
    # created, in_progress, item added, in_progress, generating, 2 partials, image call completed
    assert info.value.events_seen == 8


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"code": "content_filter", "message": "blocked"}, ContentFilterError),
        ({"code": "moderation_blocked", "message": "blocked"}, ContentFilterError),
        ({"code": "rate_limit_exceeded", "message": "slow down"}, RateLimitError),
        ({"code": "server_error", "message": "oops"}, ServerError),
    ],
)
def test_error_events_are_the_same_typed_errors(payload: dict[str, str], error: type[Exception]) -> None:
    body = image_stream(partials=1)
    cut = body.index(b"event: response.output_item.done")
    with pytest.raises(error):
        run(body[:cut] + sse("error", {"sequence_number": 9, "param": None, **payload}))


def test_openai_style_error_object_in_data() -> None:
    with pytest.raises(ContentFilterError):
        run(b'data: {"error": {"code": "content_filter", "message": "no"}}\n\n')


def test_response_failed_and_incomplete() -> None:
    failed = {"id": "r", "status": "failed", "output": [], "error": {"code": "server_error", "message": "x"}}
    with pytest.raises(ServerError):
        run(sse("response.failed", {"response": failed}))
    incomplete = {
        "id": "r",
        "status": "incomplete",
        "output": [],
        "incomplete_details": {"reason": "content_filter"},
    }
    with pytest.raises(ContentFilterError):
        run(sse("response.incomplete", {"response": incomplete}))
    odd = {"id": "r", "status": "completed", "output": []}
    with pytest.raises(GenerationFailedError, match=r"response\.failed"):
        run(sse("response.failed", {"response": odd}))


def test_completed_without_image_raises_no_image() -> None:
    response = {
        "id": "r",
        "status": "completed",
        "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "no"}]}],
    }
    processor, _ = run(sse("response.completed", {"response": response}))
    with pytest.raises(NoImageGeneratedError):
        processor.result()
    assert processor.result(require_image=False).images == ()


@pytest.mark.parametrize("data", [b"data: {not json\n\n", b'data: {"type": "response.completed"}\n\n'])
def test_malformed_events_are_typed(data: bytes) -> None:
    with pytest.raises(InvalidResponseError):
        run(data)


def test_json_answer_to_a_stream_request() -> None:
    import base64

    import httpx

    body = json.dumps(
        {
            "id": "r",
            "status": "completed",
            "output": [
                {
                    "type": "image_generation_call",
                    "id": "ig",
                    "status": "completed",
                    "result": base64.b64encode(make_png()).decode(),
                }
            ],
        }
    ).encode()
    processor = StreamProcessor()
    [event] = processor.feed_json_response(200, httpx.Headers({"x-request-id": "q"}), body)
    assert isinstance(event, ResponseCompletedEvent) and len(processor.result().images) == 1
