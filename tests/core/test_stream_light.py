"""light_events: when nobody sees the events, images are decoded straight from the bytes, results alike."""

from __future__ import annotations

import base64

import pytest

from foundry_imagegen import InvalidResponseError
from foundry_imagegen._core.events import OutputItemDoneEvent, PartialImageEvent, ResponseCompletedEvent
from foundry_imagegen._core.stream import StreamProcessor
from tests.core.test_parse_fast import big_png
from tests.testkit import image_stream, sse

FINAL = big_png(20_000, seed=3)
PARTIAL = big_png(9_000, seed=4)


def run(body: bytes, *, light: bool, chunk: int = 4096) -> tuple[StreamProcessor, list[object]]:
    processor = StreamProcessor()
    processor.light_events = light
    events: list[object] = []
    for start in range(0, len(body), chunk):
        events += processor.feed(body[start : start + chunk])
    events += processor.end()
    return processor, events


def partial_event(index: int, image: bytes = PARTIAL) -> bytes:
    payload = {
        "item_id": "ig_1",
        "output_index": 0,
        "partial_image_index": index,
        "partial_image_b64": base64.b64encode(image).decode(),
    }
    return sse("response.image_generation_call.partial_image", payload)


@pytest.mark.parametrize("dialect", ["openai", "azure"])
def test_same_images_and_result_light_or_not(dialect: str) -> None:
    body = partial_event(0) + image_stream(dialect=dialect, partials=2, final=FINAL)
    heavy, heavy_events = run(body, light=False)
    light, light_events = run(body, light=True)
    assert [(i.partial_index, i.data) for i in light.take_images()] == [
        (i.partial_index, i.data) for i in heavy.take_images()
    ]
    assert light.result().image.data == heavy.result().image.data == FINAL
    assert light.result().response == heavy.result().response
    assert [type(e) for e in light_events] == [type(e) for e in heavy_events]


def test_light_events_carry_no_base64() -> None:
    _, events = run(partial_event(0) + image_stream(partials=0, final=FINAL), light=True)
    partials = [e for e in events if isinstance(e, PartialImageEvent)]
    assert partials and all(e.partial_image_b64 == "" for e in partials)
    done = [e for e in events if isinstance(e, OutputItemDoneEvent)]
    assert done and all(getattr(e.item, "result", None) is None for e in done)
    completed = [e for e in events if isinstance(e, ResponseCompletedEvent)]
    assert completed and all(c.result is None for c in completed[0].response.image_calls)


def test_events_users_see_keep_their_base64() -> None:
    _, events = run(partial_event(0) + image_stream(partials=0, final=FINAL), light=False)
    partial = next(e for e in events if isinstance(e, PartialImageEvent))
    assert base64.b64decode(partial.partial_image_b64) == PARTIAL


def test_a_truncated_partial_fails_its_check_light_too() -> None:
    with pytest.raises(InvalidResponseError, match="not a whole image"):
        run(partial_event(0, PARTIAL[:-30]), light=True)


def test_a_result_outside_an_image_is_read_as_sent() -> None:
    other = {"type": "code_interpreter_call", "id": "ci_1", "result": base64.b64encode(FINAL).decode()}
    body = sse("response.output_item.done", {"output_index": 1, "item": other}) + image_stream(final=FINAL)
    processor, events = run(body, light=True)
    done = events[0]
    assert isinstance(done, OutputItemDoneEvent)
    assert done.item.model_extra is not None and done.item.model_extra["result"] == other["result"]
    assert processor.result().image.data == FINAL


def test_events_asked_for_mid_line_still_carry_their_base64() -> None:
    body = partial_event(0)
    processor = StreamProcessor()
    processor.light_events = True
    events = processor.feed(body[:3000])
    processor.light_events = False  # someone iterates the events now
    events += processor.feed(body[3000:]) + processor.end()
    partial = next(e for e in events if isinstance(e, PartialImageEvent))
    assert base64.b64decode(partial.partial_image_b64) == PARTIAL


def test_a_large_streamed_image_is_held_about_once_at_the_peak() -> None:
    import tracemalloc

    image = big_png(4_000_000, seed=9)
    body = partial_event(0, image) + image_stream(partials=0, final=image)
    chunks = [body[start : start + 65536] for start in range(0, len(body), 65536)]
    del body
    processor = StreamProcessor()
    processor.light_events = True
    tracemalloc.start()
    try:
        for chunk in chunks:
            processor.feed(chunk)
            processor.take_images()  # the caller lets each image go, as images() does
        processor.end()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert processor.result().image.data == image
    # One image at a time: never the line as pieces, joined or as base64, nor response.completed's
    # repeat of the final image as a second copy.
    assert peak < 1.5 * len(image), peak / len(image)
