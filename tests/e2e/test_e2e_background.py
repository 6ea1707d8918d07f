"""Background generations end to end: both clients against an emulator on a FakeClock, which the clients'
injected sleep advances, so a generation of many seconds finishes with no real waiting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from foundry_imagegen import (
    ConfigurationError,
    ContentFilterError,
    GenerationFailedError,
    GenerationInProgressError,
    ImageGenerationTool,
)
from foundry_imagegen.emulator import Emulator, FakeClock
from tests.e2e.helpers import pil, responses_posts
from tests.harness import Harness

pytestmark = pytest.mark.e2e

DURATION = 10.0
TOOL = ImageGenerationTool(quality="low", partial_images=2)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[Emulator]:
    with Emulator(clock=clock, background_duration=DURATION) as emulator:
        yield emulator


def advancing(h: Harness, clock: FakeClock) -> Callable[[float], Any]:
    """A client ``sleep`` that moves the emulator's clock instead of waiting (and records the wait)."""

    def sleep(seconds: float) -> None:
        h.waits.append(seconds)
        clock.advance(seconds)

    if h.is_async:

        async def sleep_async(seconds: float) -> None:
            sleep(seconds)

        return sleep_async
    return sleep


async def test_start_returns_queued_at_once_and_wait_reaches_completed(h, emu, clock):
    client = h.client(emu, sleep=advancing(h, clock))
    started = clock.now()

    handle = await h.run(client.generate, "a detailed isometric city map", tool=TOOL, background=True)

    assert (handle.status, handle.done) == ("queued", False)
    assert handle.id.startswith("resp_") and clock.now() == started  # no poll, no wait
    [post] = responses_posts(emu)
    assert post.json["background"] is True and post.json["store"] is True and "stream" not in post.json

    seen: list[tuple[str | None, int, float | None]] = []
    result = await h.run(handle.wait, timeout=900, on_progress=lambda p: seen.append((p.status, p.polls, p.next_wait)))

    assert result.id == handle.id and handle.status == "completed" and handle.done
    assert pil(result.image).size == (1024, 1024)
    # 1 s, then x1.5: polls at 0, 1, 2.5, 4.75, 8.125 and 13.2 s of a 10 s generation (queued for 2.5 s).
    assert seen == [
        ("queued", 1, 1.0),
        ("queued", 2, 1.5),
        ("in_progress", 3, 2.25),
        ("in_progress", 4, 3.375),
        ("in_progress", 5, 5.0625),
        ("completed", 6, None),
    ]
    assert h.waits == [1.0, 1.5, 2.25, 3.375, 5.0625]
    gets = [r for r in emu.requests if r.method == "GET"]
    assert {r.path for r in gets} == {f"/api/projects/demo/openai/v1/responses/{handle.id}"}
    assert len(responses_posts(emu)) == 1  # never resent


async def test_a_handle_rebuilt_from_the_id_in_a_fresh_client_finishes_it(h, emu, clock):
    starter = h.client(emu)
    response_id = (await h.run(starter.generate, "a harbour town", tool=TOOL, background=True)).id
    await h.run(starter.close)

    worker = h.client(emu, sleep=advancing(h, clock))
    handle = worker.background(response_id)
    assert handle.status is None and emu.requests[-1].method == "POST"  # rebuilding sends nothing

    with pytest.raises(GenerationInProgressError, match=response_id) as info:
        await h.run(handle.result)
    assert info.value.status == "queued"

    result = await h.run(handle.wait)
    assert result.id == response_id and pil(result.image).size == (1024, 1024)
    again = await h.run(worker.background(response_id).result)  # one poll: already done
    assert again.image.data == result.image.data


async def test_a_wait_that_runs_out_of_time_leaves_it_running(h, emu, clock):
    client = h.client(emu, sleep=advancing(h, clock))
    handle = await h.run(client.generate, "a map", tool=TOOL, background=True)

    with pytest.raises(GenerationInProgressError, match="still in_progress") as info:
        await h.run(handle.wait, timeout=4)
    assert info.value.response_id == handle.id and sum(h.waits) == 4

    assert (await h.run(handle.wait)).image.format == "png"


async def test_cancel_gives_cancelled(h, emu, clock):
    client = h.client(emu, sleep=advancing(h, clock))
    handle = await h.run(client.generate, "a map", tool=TOOL, background=True)
    clock.advance(3)

    cancelled = await h.run(handle.cancel)

    assert cancelled.status == "cancelled" and handle.status == "cancelled" and handle.done
    assert (await h.run(client.background(handle.id).cancel)).status == "cancelled"  # idempotent
    with pytest.raises(GenerationFailedError, match="cancelled"):
        await h.run(handle.wait)
    clock.advance(60)
    assert (await h.run(client.background(handle.id).poll)).status == "cancelled"  # it never finishes
    posts = [r for r in emu.requests if r.method == "POST" and r.path.endswith("/cancel")]
    assert [r.path for r in posts] == [f"/api/projects/demo/openai/v1/responses/{handle.id}/cancel"] * 2


async def test_a_cut_background_stream_resumes_after_its_last_event(h, emu, clock):
    client = h.client(emu)
    kept: list[int] = []

    # The emulator's stream faults do not apply to background streams: the cut is the client going away
    # after the first partial image, as a proxy would cut it.
    async with h.opened(client, "a city map", tool=TOOL, background=True) as stream:
        clock.advance(DURATION)  # every event is due now
        async for event in h.each(stream):
            kept.append(event.sequence_number)
            if event.type == "response.image_generation_call.partial_image":
                break
    response_id, last = stream.response_id, stream.last_sequence_number
    assert response_id is not None and last == kept[-1]
    assert kept == list(range(len(kept)))

    handle = client.background(response_id)
    async with h.entered(handle.stream(starting_after=last)) as rest:
        events = await h.drain(rest)
        result = await h.run(rest.final)

    assert [e.sequence_number for e in events] == list(range(last + 1, last + 1 + len(events)))
    assert [e.partial_image_index for e in events if e.type.endswith("partial_image")] == [1]
    assert events[-1].type == "response.completed"
    assert result.id == response_id and pil(result.image).size == (1024, 1024)
    resume = emu.requests[-1]
    assert (resume.method, resume.query) == ("GET", {"stream": "true", "starting_after": str(last)})
    assert len(responses_posts(emu)) == 1
    # The handle keeps the streamed bytes: its result needs no more than one poll.
    assert (await h.run(handle.result)).image.data == result.image.data


async def test_store_false_is_refused_before_sending(h, emu):
    client = h.client(emu)
    with pytest.raises(ConfigurationError, match="store=False"):
        await h.run(client.generate, "a map", background=True, store=False)
    with pytest.raises(ConfigurationError, match="store=False"):
        async with h.opened(client, "a map", background=True, store=False):
            pass
    assert emu.requests == []


async def test_a_background_result_in_a_conversation_is_edited_there(h, emu, clock):
    client = h.client(emu, sleep=advancing(h, clock))
    conversation = await h.run(client.conversations.create)

    handle = await h.run(client.generate, "a harbour", tool=TOOL, conversation=conversation, background=True)
    result = await h.run(handle.wait)
    edited = await h.run(client.edit, result, "at night", tool=TOOL)

    assert result.conversation_id == conversation.id
    assert edited.edited_via == "conversation" and edited.conversation_id == conversation.id
    assert responses_posts(emu)[-1].json["input"] == "at night"
    items = await h.run(client.conversations.list_items, conversation)
    assert [item.id for item in items if item.type == "image_generation_call"] == [result.image.id, edited.image.id]


async def test_a_finished_background_result_is_continued_by_its_id(h, emu, clock):
    client = h.client(emu, sleep=advancing(h, clock))
    result = await h.run((await h.run(client.generate, "a harbour", tool=TOOL, background=True)).wait)

    edited = await h.run(client.edit, result, "at night", tool=TOOL)

    assert edited.edited_via == "previous_response_id"
    assert responses_posts(emu)[-1].json["previous_response_id"] == result.id
    assert edited.response.image_calls[0].action == "edit"


async def test_a_blocked_background_generation_raises_its_error(h, emu, clock):
    client = h.client(emu, sleep=advancing(h, clock))
    emu.inject("moderation_blocked", code="image_content_policy_violation")
    handle = await h.run(client.generate, "a harbour", tool=TOOL, background=True)
    assert handle.status == "queued"

    with pytest.raises(ContentFilterError, match="safety system"):
        await h.run(handle.wait)
    assert handle.status == "failed"


@pytest.mark.parametrize("dialect", ["openai", "azure"])
async def test_a_background_stream_in_either_dialect(h, clock, dialect):
    with Emulator(clock=clock, background_duration=DURATION, stream_dialect=dialect) as emu:
        client = h.client(emu)
        async with h.opened(client, "a city map", tool=TOOL, background=True) as stream:
            clock.advance(DURATION)
            result = await h.run(stream.final)
        assert result.id == stream.response_id and pil(result.image).size == (1024, 1024)
        polled = await h.run(client.background(result.id).result)
        assert polled.image.data == result.image.data
