"""client.stream() end to end: both clients over real loopback sockets against the emulator, in both
SSE dialects; partial images, real decodable images, stream faults and retries before the stream."""

from __future__ import annotations

import pytest
from PIL import Image

from foundry_imagegen import (
    APIConnectionError,
    ContentFilterError,
    GeneratedImage,
    ImageGenerationTool,
    RateLimitError,
    ServerError,
    TruncatedStreamError,
)
from tests.e2e.helpers import band_extrema, pil, responses_posts
from tests.testkit import listing

pytestmark = pytest.mark.e2e

DIALECTS = ["openai", "azure"]

# --------------------------------------------------------------------------- partial images


@pytest.mark.parametrize("partial_images", [0, 1, 2, 3])
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_partial_images_arrive_then_the_final(h, foundry_emulator_factory, dialect, partial_images):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    client = h.client(emu)
    tool = ImageGenerationTool(partial_images=partial_images, size="1536x1024", quality="low")

    async with h.opened(client, tool=tool) as stream:
        images = await h.drain(stream.images())
        result = await h.run(stream.final)
        assert stream.partials_seen == partial_images

    assert [image.partial_index for image in images] == [*range(partial_images), None]
    partials, final = images[:-1], images[-1]
    for image in images:
        assert image.format == "png"
        assert (image.width, image.height) == (1536, 1024)
        decoded = pil(image)
        assert (decoded.format, decoded.size, decoded.mode) == ("PNG", (1536, 1024), "RGB")
    # Partials are intermediate renders: all different, none is the final, the first is the coarsest.
    assert len({image.data for image in images}) == partial_images + 1
    if partials:
        assert len(partials[0].data) < len(final.data)
    assert result.image.data == final.data
    assert result.request_id and stream.request_id == result.request_id
    [request] = responses_posts(emu)
    assert request.json["stream"] is True
    assert request.json["tools"][0]["partial_images"] == partial_images
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["x-ms-oai-image-generation-deployment"] == "gpt-image-1"


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_default_tool_streams_one_partial(h, foundry_emulator_factory, dialect):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    client = h.client(emu)
    seen: list[GeneratedImage] = []

    async with h.opened(client, on_partial_image=seen.append) as stream:
        result = await h.run(stream.final)

    assert [image.partial_index for image in seen] == [0]
    assert (result.image.width, result.image.height) == (1024, 1024)
    assert pil(result.image).size == (1024, 1024)
    [request] = responses_posts(emu)
    assert request.json["tools"][0]["partial_images"] == 1


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_events_of_a_real_stream(h, foundry_emulator_factory, dialect):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    client = h.client(emu)

    async with h.opened(client, tool=ImageGenerationTool(partial_images=2)) as stream:
        events = await h.drain(stream)

    names = [type(event).__name__ for event in events]
    assert names[:5] == [
        "ResponseCreatedEvent",
        "ResponseInProgressEvent",
        "OutputItemAddedEvent",
        "ImageGenerationInProgressEvent",
        "ImageGenerationGeneratingEvent",
    ]
    assert names[5:7] == ["PartialImageEvent", "PartialImageEvent"]
    assert ("ImageGenerationCompletedEvent" in names) == (dialect == "openai")
    assert names[-1] == "ResponseCompletedEvent"
    assert [event.sequence_number for event in events] == list(range(len(events)))
    done = next(e for e in events if type(e).__name__ == "OutputItemDoneEvent")
    assert done.item.status == ("completed" if dialect == "openai" else "generating")


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_transparent_background_gives_rgba_images(h, foundry_emulator_factory, dialect):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    client = h.client(emu)
    tool = ImageGenerationTool(partial_images=2, background="transparent", size="1024x1536")

    async with h.opened(client, tool=tool) as stream:
        images = await h.drain(stream.images())

    assert [image.partial_index for image in images] == [0, 1, None]
    for image in images:
        decoded = pil(image)
        assert (decoded.mode, decoded.size) == ("RGBA", (1024, 1536))
    alpha_low, alpha_high = band_extrema(pil(images[-1]))[3]
    assert (alpha_low, alpha_high) == (0, 255)


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_jpeg_streams_jpeg_partials_and_final(h, foundry_emulator_factory, dialect, tmp_path):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    client = h.client(emu)
    tool = ImageGenerationTool(partial_images=2, output_format="jpeg", output_compression=80)

    async with h.opened(client, tool=tool) as stream:
        path = await h.run(stream.save, tmp_path / "fox", partials=True)

    assert path == tmp_path / "fox.jpg"
    assert listing(tmp_path) == ["fox.jpg", "fox.partial-0.jpg", "fox.partial-1.jpg"]
    for name in listing(tmp_path):
        with Image.open(tmp_path / name) as decoded:
            assert (decoded.format, decoded.size, decoded.mode) == ("JPEG", (1024, 1024), "RGB")
    assert len({(tmp_path / name).read_bytes() for name in listing(tmp_path)}) == 3
    [request] = responses_posts(emu)
    assert request.json["tools"][0]["output_format"] == "jpeg"
    assert request.json["tools"][0]["output_compression"] == 80


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_save_with_partials_over_sockets(h, foundry_emulator_factory, dialect, tmp_path):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    client = h.client(emu)

    async with h.opened(client, tool=ImageGenerationTool(partial_images=3)) as stream:
        path = await h.run(stream.save, tmp_path / "out" / "fox.png", partials=True)

    assert path == tmp_path / "out" / "fox.png"
    assert listing(tmp_path / "out") == [
        "fox.partial-0.png",
        "fox.partial-1.png",
        "fox.partial-2.png",
        "fox.png",
    ]
    with Image.open(path) as decoded:
        assert decoded.size == (1024, 1024)


# --------------------------------------------------------------------------- stream faults


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_stream_drop_is_truncated_and_writes_nothing(h, foundry_emulator_factory, dialect, tmp_path):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    emu.inject("stream_drop", after=3)
    client = h.client(emu)

    async with h.opened(client, tool=ImageGenerationTool(partial_images=2)) as stream:
        with pytest.raises(TruncatedStreamError) as caught:
            await h.run(stream.save, tmp_path / "fox.png", partials=True)

    assert caught.value.events_seen == 3
    assert listing(tmp_path) == []
    assert len(responses_posts(emu)) == 1
    assert h.waits == []


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_stream_drop_after_partials_writes_no_final(h, foundry_emulator_factory, dialect, tmp_path):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    emu.inject("stream_drop", after=7)  # created .. generating, two partials, then the cut
    client = h.client(emu)

    async with h.opened(client, tool=ImageGenerationTool(partial_images=2)) as stream:
        with pytest.raises(TruncatedStreamError):
            await h.run(stream.save, tmp_path / "fox.png")

    assert listing(tmp_path) == []
    assert len(responses_posts(emu)) == 1


@pytest.mark.parametrize(
    ("params", "error_cls", "code"),
    [
        ({"code": "content_filter"}, ContentFilterError, "content_filter"),
        ({}, ServerError, "server_error"),
        ({"code": "rate_limit_exceeded"}, RateLimitError, "rate_limit_exceeded"),
    ],
)
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_stream_error_event_is_typed_and_not_retried(
    h, foundry_emulator_factory, dialect, params, error_cls, code, tmp_path
):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    emu.inject("stream_error", after=3, **params)
    client = h.client(emu)

    async with h.opened(client) as stream:
        with pytest.raises(error_cls) as caught:
            await h.run(stream.save, tmp_path / "fox.png")

    assert caught.value.code == code
    assert caught.value.request_id == stream.request_id is not None
    assert listing(tmp_path) == []
    assert len(responses_posts(emu)) == 1
    assert h.waits == []


@pytest.mark.parametrize(
    ("params", "error_cls", "code"),
    [
        ({}, ServerError, "server_error"),
        ({"code": "image_content_policy_violation"}, ContentFilterError, "image_content_policy_violation"),
    ],
)
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_stream_failed_is_typed_and_not_retried(h, foundry_emulator_factory, dialect, params, error_cls, code):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    emu.inject("stream_failed", after=6, **params)  # after the first partial
    client = h.client(emu)
    seen: list[GeneratedImage] = []

    async with h.opened(client, tool=ImageGenerationTool(partial_images=2), on_partial_image=seen.append) as stream:
        with pytest.raises(error_cls) as caught:
            await h.run(stream.final)

    assert caught.value.code == code
    assert [image.partial_index for image in seen] == [0]
    assert len(responses_posts(emu)) == 1
    assert h.waits == []


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_moderation_blocked_stream_is_a_content_filter_error(h, foundry_emulator_factory, dialect):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    emu.inject("moderation_blocked")
    client = h.client(emu)

    async with h.opened(client) as stream:
        with pytest.raises(ContentFilterError) as caught:
            await h.run(stream.final)

    assert caught.value.code == "moderation_blocked"
    assert len(responses_posts(emu)) == 1


async def test_content_filter_before_the_stream_is_not_retried(h, foundry_emulator):
    foundry_emulator.inject("content_filter", category="hate", severity="high")
    client = h.client(foundry_emulator)

    with pytest.raises(ContentFilterError) as caught:
        async with h.opened(client):
            raise AssertionError("the block must not run")

    assert caught.value.status == 400
    assert caught.value.categories == ("hate",)
    assert len(responses_posts(foundry_emulator)) == 1
    assert h.waits == []


# --------------------------------------------------------------------------- retries before the stream


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_rate_limit_before_the_stream_is_retried(h, foundry_emulator_factory, dialect):
    emu = foundry_emulator_factory(stream_dialect=dialect)
    emu.inject("rate_limit", retry_after=2)
    client = h.client(emu)

    async with h.opened(client, tool=ImageGenerationTool(partial_images=2)) as stream:
        images = await h.drain(stream.images())
        result = await h.run(stream.final)

    assert [image.partial_index for image in images] == [0, 1, None]
    assert result.image.data == images[-1].data
    assert h.waits == [2.0]
    posts = responses_posts(emu)
    assert len(posts) == 2
    assert posts[0].headers["x-ms-client-request-id"] == posts[1].headers["x-ms-client-request-id"]
    assert emu.faults == []


async def test_dropped_connection_before_the_stream_is_not_resent(h, foundry_emulator):
    foundry_emulator.inject("drop_connection")
    client = h.client(foundry_emulator)

    with pytest.raises(APIConnectionError) as caught:
        async with h.opened(client):
            pass

    assert not caught.value.retryable
    assert len(responses_posts(foundry_emulator)) == 1
    assert h.waits == []


# --------------------------------------------------------------------------- early exit


async def test_leaving_after_the_first_partial_closes_the_connection(h, foundry_emulator):
    client = h.client(foundry_emulator)

    async with h.opened(client, tool=ImageGenerationTool(partial_images=3)) as stream:
        seen = []
        if h.is_async:
            async for image in stream.partial_images():
                seen.append(image)
                break
        else:
            for image in stream.partial_images():
                seen.append(image)
                break
        assert [image.partial_index for image in seen] == [0]

    assert stream._response.is_closed
    # The client is still usable afterwards.
    result = await h.run(client.generate, "a cat", tool=ImageGenerationTool(quality="low"))
    assert result.image.format == "png"
