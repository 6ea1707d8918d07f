"""client.stream() under respx, sync and async shells: the wire request, typed events in both SSE
dialects, partial images, save(), early exit, retries before the stream, typed in-stream failures."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from foundry_imagegen import (
    ConfigurationError,
    ContentFilterError,
    GeneratedImage,
    GenerationResult,
    ImageDeploymentError,
    ImageGenerationTool,
    RateLimitError,
    ServerError,
    TruncatedStreamError,
)
from foundry_imagegen._core.stream import IncompleteStreamWarning
from tests.client.wire import PNG, PROJECT_URL, error_response, ok_response, rate_limited
from tests.harness import API_KEY, IMAGE_DEPLOYMENT, MODEL
from tests.testkit import image_stream, listing, make_png, sse

FINAL = make_png(16, 16)
PARTIALS = [make_png(4, 4), make_png(8, 8)]  # what image_stream(partials=2) sends
# Odd, uneven chunk sizes: event boundaries, CRLF pairs and base64 lines all get split.
CHUNK_SIZES = (1, 7, 13, 2, 31, 5, 97)

OPENAI_EVENTS = [
    "ResponseCreatedEvent",
    "ResponseInProgressEvent",
    "OutputItemAddedEvent",
    "ImageGenerationInProgressEvent",
    "ImageGenerationGeneratingEvent",
    "PartialImageEvent",
    "PartialImageEvent",
    "ImageGenerationCompletedEvent",
    "OutputItemDoneEvent",
    "ResponseCompletedEvent",
]
AZURE_EVENTS = [name for name in OPENAI_EVENTS if name != "ImageGenerationCompletedEvent"]


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body served in odd-sized pieces; records how far it was read and whether it was closed.

    ``fail_after`` raises httpx.ReadError once that many bytes have gone out (a connection cut mid-stream).
    """

    def __init__(self, body: bytes, *, fail_after: int | None = None) -> None:
        self.parts: list[bytes] = []
        start, i = 0, 0
        while start < len(body):
            size = CHUNK_SIZES[i % len(CHUNK_SIZES)]
            self.parts.append(body[start : start + size])
            start += size
            i += 1
        self.fail_after = fail_after
        self.yielded = 0
        self.sent_bytes = 0
        self.closed = 0

    def _next(self) -> Iterator[bytes]:
        for part in self.parts:
            if self.fail_after is not None and self.sent_bytes >= self.fail_after:
                raise httpx.ReadError("connection reset by peer")
            self.yielded += 1
            self.sent_bytes += len(part)
            yield part

    def __iter__(self) -> Iterator[bytes]:
        yield from self._next()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self._next():
            yield part

    def close(self) -> None:
        self.closed += 1

    async def aclose(self) -> None:
        self.closed += 1


def streamed(body: bytes | Chunks, *, request_id: str = "r1") -> httpx.Response:
    chunks = body if isinstance(body, Chunks) else Chunks(body)
    return httpx.Response(
        200,
        headers={"content-type": "text/event-stream", "x-request-id": request_id},
        stream=chunks,
    )


def mock_stream(h, body: bytes | Chunks, **kwargs: Any) -> Any:
    route = h.mock.post(PROJECT_URL)
    route.mock(return_value=streamed(body, **kwargs))
    return route


def sent_json(route: Any) -> Any:
    return json.loads(route.calls.last.request.content)


def failing_body(tail: bytes) -> bytes:
    """The first five events of an image stream (created .. generating), then ``tail``."""
    full = image_stream(partials=0, final=FINAL)
    head = b"".join(part + b"\n\n" for part in full.split(b"\n\n")[:5])
    return head + tail


def failed_response(code: str) -> dict[str, Any]:
    return {
        "id": "resp_s",
        "object": "response",
        "status": "failed",
        "output": [],
        "error": {"code": code, "message": f"the generation failed ({code})"},
    }


# --------------------------------------------------------------------------- the request


@pytest.mark.parametrize(("partial_images", "sent"), [(None, 1), (0, 0), (2, 2), (3, 3)])
async def test_stream_request_on_the_wire(h, partial_images, sent):
    route = mock_stream(h, image_stream(partials=2, final=FINAL))
    client = h.client()
    tool = ImageGenerationTool(quality="low", partial_images=partial_images)

    async with h.opened(client, tool=tool) as stream:
        await h.run(stream.final)

    assert route.call_count == 1
    request = route.calls.last.request
    body = json.loads(request.content)
    assert body["stream"] is True
    assert body["model"] == MODEL
    assert body["input"] == "a red fox"
    assert body["tool_choice"] == {"type": "image_generation"}
    assert body["tools"] == [
        {"type": "image_generation", "model": IMAGE_DEPLOYMENT, "quality": "low", "partial_images": sent}
    ]
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["x-ms-oai-image-generation-deployment"] == IMAGE_DEPLOYMENT
    assert request.headers["api-key"] == API_KEY


async def test_no_request_is_sent_before_entering_the_block(h):
    client = h.client()

    stream = client.stream("a red fox")

    # The strict router fails the test on any request; nothing has been sent yet.
    assert stream.events_seen == 0 and stream.request_id is None


# --------------------------------------------------------------------------- events and images


@pytest.mark.parametrize("done_sentinel", [False, True], ids=["eof", "done-sentinel"])
@pytest.mark.parametrize("dialect", ["openai", "azure"])
async def test_events_are_typed_and_in_order(h, dialect, done_sentinel):
    mock_stream(h, image_stream(dialect=dialect, partials=2, final=FINAL, done_sentinel=done_sentinel))
    client = h.client()

    async with h.opened(client) as stream:
        events = await h.drain(stream)
        assert stream.request_id == "r1"
        assert stream.events_seen == len(events)
        assert stream.partials_seen == 2

    assert [type(event).__name__ for event in events] == (OPENAI_EVENTS if dialect == "openai" else AZURE_EVENTS)
    assert [event.sequence_number for event in events] == list(range(len(events)))
    partials = [event for event in events if type(event).__name__ == "PartialImageEvent"]
    assert [event.partial_image_index for event in partials] == [0, 1]
    assert [base64.b64decode(event.partial_image_b64) for event in partials] == PARTIALS
    done = events[-2]
    assert done.item.status == ("completed" if dialect == "openai" else "generating")
    assert base64.b64decode(done.item.result) == FINAL


async def test_unknown_events_and_keepalive_comments_are_tolerated(h):
    body = image_stream(partials=1, final=FINAL)
    cut = body.index(b"event: response.image_generation_call.partial_image")
    extra = b": keep-alive\n\n" + sse("response.keepalive", {"sequence_number": 99})
    mock_stream(h, body[:cut] + extra + body[cut:])
    client = h.client()

    async with h.opened(client) as stream:
        events = await h.drain(stream)
        result = await h.run(stream.final)

    names = [type(event).__name__ for event in events]
    assert names[5] == "UnknownEvent" and events[5].type == "response.keepalive"
    assert names.count("PartialImageEvent") == 1
    assert result.image.data == FINAL


@pytest.mark.parametrize("done_sentinel", [False, True], ids=["eof", "done-sentinel"])
@pytest.mark.parametrize("dialect", ["openai", "azure"])
async def test_images_yields_partials_then_the_final(h, dialect, done_sentinel):
    mock_stream(h, image_stream(dialect=dialect, partials=2, final=FINAL, done_sentinel=done_sentinel))
    client = h.client()

    async with h.opened(client) as stream:
        images = await h.drain(stream.images())

    assert all(isinstance(image, GeneratedImage) for image in images)
    assert [image.partial_index for image in images] == [0, 1, None]
    assert [image.is_partial for image in images] == [True, True, False]
    assert [image.data for image in images] == [*PARTIALS, FINAL]
    assert [(image.width, image.height) for image in images] == [(4, 4), (8, 8), (16, 16)]
    assert images[-1].revised_prompt == "A fox."


@pytest.mark.parametrize("dialect", ["openai", "azure"])
async def test_partial_images_yields_only_partials(h, dialect):
    mock_stream(h, image_stream(dialect=dialect, partials=3, final=FINAL))
    client = h.client()

    async with h.opened(client, tool=ImageGenerationTool(partial_images=3)) as stream:
        partials = await h.drain(stream.partial_images())
        result = await h.run(stream.final)

    assert [image.partial_index for image in partials] == [0, 1, 2]
    assert all(image.is_partial for image in partials)
    assert FINAL not in [image.data for image in partials]
    # The final image is still there after only partials were asked for.
    assert result.image.data == FINAL


@pytest.mark.parametrize("done_sentinel", [False, True], ids=["eof", "done-sentinel"])
@pytest.mark.parametrize("dialect", ["openai", "azure"])
async def test_final_returns_the_generation_result(h, dialect, done_sentinel):
    mock_stream(h, image_stream(dialect=dialect, partials=2, final=FINAL, done_sentinel=done_sentinel))
    client = h.client()

    async with h.opened(client) as stream:
        result = await h.run(stream.final)

    assert isinstance(result, GenerationResult)
    assert len(result.images) == 1
    assert result.image.data == FINAL
    assert not result.image.is_partial
    assert result.image.format == "png"
    assert (result.image.width, result.image.height) == (16, 16)
    assert result.id == "resp_s"
    assert result.response.status == "completed"
    assert result.request_id == "r1"
    assert result.revised_prompt == "A fox."


async def test_crlf_framed_stream(h):
    mock_stream(h, image_stream(partials=2, final=FINAL, newline="\r\n"))
    client = h.client()

    async with h.opened(client) as stream:
        images = await h.drain(stream.images())

    assert [image.data for image in images] == [*PARTIALS, FINAL]


async def test_on_partial_image_is_called_as_each_partial_arrives(h):
    chunks = Chunks(image_stream(partials=2, final=FINAL))
    mock_stream(h, chunks)
    client = h.client()
    log: list[tuple[str, int | None]] = []
    read_at_callback: list[int] = []

    def on_partial(image: GeneratedImage) -> None:
        log.append(("callback", image.partial_index))
        read_at_callback.append(chunks.yielded)

    async with h.opened(client, on_partial_image=on_partial) as stream:
        async for image in h.each(stream.images()):
            log.append(("images", image.partial_index))

    assert log == [
        ("callback", 0),
        ("images", 0),
        ("callback", 1),
        ("images", 1),
        ("images", None),
    ]
    # Called while the body was still being read, not after buffering all of it.
    assert read_at_callback[0] < read_at_callback[1] < len(chunks.parts)


async def test_on_partial_image_with_final(h):
    mock_stream(h, image_stream(partials=2, final=FINAL))
    client = h.client()
    seen: list[GeneratedImage] = []

    async with h.opened(client, on_partial_image=seen.append) as stream:
        result = await h.run(stream.final)

    assert [image.partial_index for image in seen] == [0, 1]
    assert [image.data for image in seen] == PARTIALS
    assert result.image.data == FINAL


# --------------------------------------------------------------------------- save


async def test_save_with_partials_writes_each_partial_and_the_final(h, tmp_path):
    mock_stream(h, image_stream(partials=2, final=FINAL))
    client = h.client()

    async with h.opened(client) as stream:
        path = await h.run(stream.save, tmp_path / "fox.png", partials=True)

    assert path == tmp_path / "fox.png"
    assert path.read_bytes() == FINAL
    assert (tmp_path / "fox.partial-0.png").read_bytes() == PARTIALS[0]
    assert (tmp_path / "fox.partial-1.png").read_bytes() == PARTIALS[1]
    assert listing(tmp_path) == ["fox.partial-0.png", "fox.partial-1.png", "fox.png"]


async def test_save_without_partials_writes_only_the_final(h, tmp_path):
    mock_stream(h, image_stream(dialect="azure", partials=2, final=FINAL))
    client = h.client()

    async with h.opened(client) as stream:
        path = await h.run(stream.save, str(tmp_path / "out" / "fox"))

    assert path == tmp_path / "out" / "fox.png"
    assert path.read_bytes() == FINAL
    assert listing(tmp_path / "out") == ["fox.png"]


async def test_save_refuses_to_overwrite_an_existing_final(h, tmp_path):
    (tmp_path / "fox.png").write_bytes(b"keep me")
    mock_stream(h, image_stream(partials=1, final=FINAL))
    client = h.client()

    async with h.opened(client) as stream:
        with pytest.raises(FileExistsError, match=r"fox\.png"):
            await h.run(stream.save, tmp_path / "fox.png")

    assert (tmp_path / "fox.png").read_bytes() == b"keep me"
    assert listing(tmp_path) == ["fox.png"]  # no .tmp files left behind


async def test_save_overwrite_replaces_an_existing_final(h, tmp_path):
    (tmp_path / "fox.png").write_bytes(b"old")
    mock_stream(h, image_stream(partials=1, final=FINAL))
    client = h.client()

    async with h.opened(client) as stream:
        path = await h.run(stream.save, tmp_path / "fox.png", overwrite=True)

    assert path.read_bytes() == FINAL
    assert listing(tmp_path) == ["fox.png"]


# --------------------------------------------------------------------------- early exit


async def test_leaving_the_block_after_the_first_partial_closes_the_response(h):
    chunks = Chunks(image_stream(partials=3, final=FINAL))
    mock_stream(h, chunks)
    client = h.client()

    async with h.opened(client, tool=ImageGenerationTool(partial_images=3)) as stream:
        image = await h.first(stream.partial_images())
        assert image.partial_index == 0
        assert not stream._response.is_closed

    assert stream._response.is_closed
    assert chunks.closed >= 1
    assert chunks.yielded < len(chunks.parts)  # the rest of the body was never read


class Stop(Exception):
    pass


async def test_an_exception_in_the_block_closes_the_response(h):
    chunks = Chunks(image_stream(partials=2, final=FINAL))
    mock_stream(h, chunks)
    client = h.client()

    with pytest.raises(Stop):
        async with h.opened(client) as stream:
            await h.first(stream)
            raise Stop

    assert stream._response.is_closed
    assert chunks.closed >= 1


# --------------------------------------------------------------------------- errors before the stream


async def test_rate_limit_before_the_stream_is_retried_with_the_server_wait(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [
        rate_limited(**{"retry-after": "2"}),
        streamed(image_stream(partials=1, final=FINAL)),
    ]
    client = h.client()

    async with h.opened(client) as stream:
        result = await h.run(stream.final)

    assert result.image.data == FINAL
    assert result.request_id == "r1"
    assert route.call_count == 2
    assert h.waits == [2.0]
    ids = {call.request.headers["x-ms-client-request-id"] for call in route.calls}
    assert len(ids) == 1
    assert all(json.loads(call.request.content)["stream"] is True for call in route.calls)


async def test_content_filter_before_the_stream_is_raised_once(h):
    route = h.mock.post(PROJECT_URL)
    route.mock(
        return_value=error_response(
            400,
            {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                "management policy.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {"violence": {"filtered": True, "severity": "medium"}},
                },
            },
        )
    )
    client = h.client()

    with pytest.raises(ContentFilterError) as caught:
        async with h.opened(client):
            raise AssertionError("the block must not run when the stream is refused")

    assert caught.value.status == 400
    assert caught.value.categories == ("violence",)
    assert caught.value.request_id == "req-err-1"
    assert route.call_count == 1
    assert h.waits == []


async def test_missing_image_header_before_the_stream(h):
    route = h.mock.post(PROJECT_URL)
    route.mock(
        return_value=error_response(
            400,
            {
                "message": "imagegen deployment must be provided through header: x-ms-oai-image-generation-deployment",
                "type": "image_generation_user_error",
                "param": "tools",
                "code": "invalid_request_error",
            },
        )
    )
    client = h.client()

    with pytest.raises(ImageDeploymentError):
        async with h.opened(client):
            raise AssertionError("the block must not run when the stream is refused")

    assert route.call_count == 1
    assert h.waits == []


# --------------------------------------------------------------------------- failures inside the stream


@pytest.mark.parametrize(
    ("code", "error_cls"),
    [
        ("content_filter", ContentFilterError),
        ("rate_limit_exceeded", RateLimitError),
        ("server_error", ServerError),
    ],
)
async def test_error_event_raises_the_typed_error_without_retry(h, code, error_cls):
    event = sse("error", {"sequence_number": 5, "code": code, "message": f"boom: {code}", "param": None})
    route = mock_stream(h, failing_body(event))
    client = h.client()

    async with h.opened(client) as stream:
        with pytest.raises(error_cls) as caught:
            await h.run(stream.final)

    assert caught.value.code == code
    assert f"boom: {code}" in str(caught.value)
    assert caught.value.request_id == "r1"
    assert route.call_count == 1
    assert h.waits == []


@pytest.mark.parametrize(
    ("code", "error_cls"),
    [
        ("server_error", ServerError),
        ("rate_limit_exceeded", RateLimitError),
        ("image_content_policy_violation", ContentFilterError),
    ],
)
async def test_response_failed_raises_the_typed_error_without_retry(h, code, error_cls, tmp_path):
    event = sse("response.failed", {"sequence_number": 5, "response": failed_response(code)})
    route = mock_stream(h, failing_body(event))
    client = h.client()

    async with h.opened(client) as stream:
        with pytest.raises(error_cls) as caught:
            await h.run(stream.save, tmp_path / "fox.png")

    assert caught.value.code == code
    assert caught.value.request_id == "r1"
    assert listing(tmp_path) == []
    assert route.call_count == 1
    assert h.waits == []


async def test_error_event_while_iterating_events(h):
    event = sse("error", {"sequence_number": 5, "code": "server_error", "message": "boom", "param": None})
    mock_stream(h, failing_body(event))
    client = h.client()
    seen: list[str] = []

    async with h.opened(client) as stream:
        with pytest.raises(ServerError):
            async for item in h.each(stream):
                seen.append(type(item).__name__)

    assert seen == OPENAI_EVENTS[:5]


def _cut_before(marker: bytes) -> bytes:
    body = image_stream(partials=2, final=FINAL)
    return body[: body.index(marker)]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_cut_before(b"event: response.image_generation_call.partial_image"), id="before-partials"),
        pytest.param(_cut_before(b"event: response.image_generation_call.completed"), id="after-partials"),
        pytest.param(_cut_before(b"event: response.completed")[:-40], id="mid-event"),
    ],
)
async def test_stream_cut_before_completed_is_truncated(h, body, tmp_path):
    route = mock_stream(h, body)
    client = h.client()

    async with h.opened(client) as stream:
        with pytest.raises(TruncatedStreamError) as caught:
            await h.run(stream.final)

    assert caught.value.events_seen >= 5
    assert route.call_count == 1
    assert h.waits == []


async def test_a_stream_cut_after_its_final_image_still_returns_it(h):
    # Do not depend on response.completed; the final image is whole once output_item.done came.
    route = mock_stream(h, _cut_before(b"event: response.completed"))
    client = h.client()

    async with h.opened(client) as stream:
        with pytest.warns(IncompleteStreamWarning, match="final image had already arrived"):
            result = await h.run(stream.final)

    assert result.image.data == FINAL and result.response.id == "resp_s"
    assert route.call_count == 1


@pytest.mark.parametrize("partials", [False, True])
async def test_save_of_a_truncated_stream_leaves_no_file_at_all(h, tmp_path, partials):
    route = mock_stream(h, _cut_before(b"event: response.output_item.done"))
    client = h.client()

    async with h.opened(client) as stream:
        with pytest.raises(TruncatedStreamError):
            await h.run(stream.save, tmp_path / "fox.png", partials=partials)

    assert listing(tmp_path) == []  # partial renders written on the way are removed too
    assert route.call_count == 1


async def test_partials_respect_overwrite(h, tmp_path):
    mock_stream(h, image_stream(partials=1, final=FINAL))
    (tmp_path / "fox.partial-0.png").write_bytes(b"mine")
    client = h.client()

    async with h.opened(client) as stream:
        with pytest.raises(FileExistsError):
            await h.run(stream.save, tmp_path / "fox.png", partials=True)

    assert (tmp_path / "fox.partial-0.png").read_bytes() == b"mine"
    assert sorted(listing(tmp_path)) == ["fox.partial-0.png"]


async def test_save_checks_the_target_before_reading_the_stream(h, tmp_path):
    mock_stream(h, image_stream(partials=1, final=FINAL))
    (tmp_path / "fox.png").write_bytes(b"mine")
    client = h.client()

    async with h.opened(client) as stream:
        with pytest.raises(FileExistsError):
            await h.run(stream.save, tmp_path / "fox.png")
        assert stream.events_seen == 0

    assert (tmp_path / "fox.png").read_bytes() == b"mine"


async def test_connection_broken_mid_stream_is_truncated(h, tmp_path):
    body = image_stream(partials=2, final=FINAL)
    chunks = Chunks(body, fail_after=body.index(b"event: response.output_item.done"))
    route = mock_stream(h, chunks)
    client = h.client()

    async with h.opened(client) as stream:
        with pytest.raises(TruncatedStreamError) as caught:
            await h.run(stream.save, tmp_path / "fox.png")

    assert "ReadError" in str(caught.value)
    assert listing(tmp_path) == []
    assert route.call_count == 1
    assert h.waits == []


# --------------------------------------------------------------------------- JSON answer


async def test_json_answer_to_a_stream_request_is_accepted(h):
    route = h.mock.post(PROJECT_URL)
    route.mock(return_value=ok_response(request_id="r-json"))
    client = h.client()

    async with h.opened(client) as stream:
        events = await h.drain(stream)
        result = await h.run(stream.final)

    assert [type(event).__name__ for event in events] == ["ResponseCompletedEvent"]
    assert result.image.data == PNG
    assert result.request_id == "r-json"
    assert result.text == "Here is your fox."
    assert sent_json(route)["stream"] is True


async def test_json_answer_images_and_save(h, tmp_path):
    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client()

    async with h.opened(client) as stream:
        path = await h.run(stream.save, tmp_path / "fox.png", partials=True)

    assert path.read_bytes() == PNG
    assert listing(tmp_path) == ["fox.png"]


# --------------------------------------------------------------------------- misuse


async def test_using_the_stream_before_entering_its_block_raises(h):
    client = h.client()
    stream = client.stream("a red fox")

    with pytest.raises(RuntimeError, match=r"inside its (with-)?block"):
        await h.run(stream.final)
    with pytest.raises(RuntimeError, match=r"inside its (with-)?block"):
        await h.drain(stream.images())
    with pytest.raises(RuntimeError, match=r"inside its (with-)?block"):
        await h.drain(stream)


async def test_using_the_stream_after_leaving_its_block_raises(h):
    mock_stream(h, image_stream(partials=2, final=FINAL))
    client = h.client()

    async with h.opened(client) as stream:
        pass

    with pytest.raises(RuntimeError, match=r"inside its (with-)?block"):
        await h.run(stream.final)


async def test_an_async_partial_callback_is_refused_before_sending(h):
    async def preview(image):  # would never be awaited
        pass

    with pytest.raises(ConfigurationError, match="on_partial_image is an async function"):
        h.client().stream("a fox", on_partial_image=preview)
    assert h.mock.calls.call_count == 0


async def test_create_response_refuses_a_stream_request(h):
    client = h.client()
    request = ImageGenerationTool(image_deployment="gpt-image-1").build_request("x", model="gpt-4.1", stream=True)
    with pytest.raises(ConfigurationError, match=r"use client\.stream"):
        await h.run(client.create_response, request)
    assert h.mock.calls.call_count == 0


@pytest.mark.parametrize("method", ["images", "partial_images"])
async def test_an_image_let_go_by_the_caller_is_freed_before_the_next_is_decoded(h, method):
    import weakref

    mock_stream(h, image_stream(partials=3, final=FINAL))
    seen: list[weakref.ref[GeneratedImage]] = []
    alive: list[list[bool]] = []

    def decoded(image: GeneratedImage) -> None:  # runs as each partial is decoded, before it is handed out
        alive.append([ref() is not None for ref in seen])

    client = h.client()
    tool = ImageGenerationTool(partial_images=3)
    async with h.opened(client, tool=tool, on_partial_image=decoded) as stream:
        images = getattr(stream, method)()
        if h.is_async:
            async for image in images:
                seen.append(weakref.ref(image))
                del image
        else:
            for image in images:
                seen.append(weakref.ref(image))
                del image
    # Nothing of the SDK's keeps an image the caller dropped (a 4K render is 12 MB).
    assert len(alive) == 3
    assert not any(any(row) for row in alive), alive
