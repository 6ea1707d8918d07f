"""Background generations through both clients: start once, poll with backoff, cancel, resume, rebuild by id."""

from __future__ import annotations

import json

import httpx
import pytest

from foundry_imagegen import (
    APITimeoutError,
    ConfigurationError,
    GenerationFailedError,
    GenerationInProgressError,
    NoImageGeneratedError,
    NotFoundError,
    ServerError,
)
from tests.client.wire import PNG, PNG_B64, PROJECT_URL, image_call, response_body, server_error
from tests.harness import PROJECT_ENDPOINT
from tests.testkit import image_stream, make_png

RESP_URL = PROJECT_URL + "/resp_bg"
AGENT_BASE = f"{PROJECT_ENDPOINT}/agents/artist/endpoint/protocols/openai"


def state(status: str, *, result: str | None = PNG_B64, headers: dict[str, str] | None = None) -> httpx.Response:
    output = [image_call(result)] if status == "completed" else []
    body = response_body(output, id="resp_bg", status=status, background=True, store=True)
    return httpx.Response(200, json=body, headers={"x-request-id": f"req-{status}", **(headers or {})})


class TestStart:
    async def test_returns_a_handle_at_once_without_polling(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=state("queued"))
        client = h.client()

        handle = await h.run(client.generate, "a detailed city map", background=True)

        body = json.loads(route.calls.last.request.content)
        assert body["background"] is True and body["store"] is True
        assert (handle.id, handle.status, handle.done) == ("resp_bg", "queued", False)
        assert h.waits == []
        assert type(handle).__name__ == ("AsyncBackgroundGeneration" if h.is_async else "BackgroundGeneration")

    async def test_store_false_is_refused_before_sending(self, h):
        client = h.client()
        with pytest.raises(ConfigurationError, match="store=False"):
            await h.run(client.generate, "a map", background=True, store=False)

    async def test_a_start_that_may_have_reached_the_service_is_not_resent(self, h):
        route = h.mock.post(PROJECT_URL).mock(side_effect=httpx.ReadTimeout("slow"))
        client = h.client()
        with pytest.raises(APITimeoutError):
            await h.run(client.generate, "a map", background=True)
        assert route.call_count == 1


class TestWait:
    async def test_polls_with_backoff_until_done(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=state("queued"))
        polls = h.mock.get(RESP_URL).mock(
            side_effect=[state("queued"), state("in_progress"), state("in_progress"), state("completed")]
        )
        client = h.client()
        seen = []

        handle = await h.run(client.generate, "a map", background=True)
        result = await h.run(handle.wait, on_progress=lambda p: seen.append((p.status, p.polls, p.next_wait)))

        assert result.image.data == PNG and result.request_id == "req-completed"
        assert polls.call_count == 4
        assert h.waits == [1.0, 1.5, 2.25]
        assert seen == [("queued", 1, 1.0), ("in_progress", 2, 1.5), ("in_progress", 3, 2.25), ("completed", 4, None)]
        assert handle.done and handle.status == "completed"

    async def test_retry_after_on_a_poll_is_honoured(self, h):
        h.mock.get(RESP_URL).mock(side_effect=[state("in_progress", headers={"retry-after": "4"}), state("completed")])
        client = h.client()
        await h.run(client.background("resp_bg").wait)
        assert h.waits == [4.0]

    async def test_timeout_leaves_it_running(self, h):
        h.mock.get(RESP_URL).mock(return_value=state("in_progress"))
        client = h.client()
        with pytest.raises(GenerationInProgressError, match="still in_progress") as info:
            await h.run(client.background("resp_bg").wait, timeout=2)
        assert info.value.response_id == "resp_bg"
        assert h.waits == [1.0, 1.0]

    async def test_failed_polls_are_simply_made_again(self, h):
        h.mock.get(RESP_URL).mock(side_effect=[server_error(), httpx.ReadTimeout("slow"), state("completed")])
        client = h.client(max_retries=0)
        result = await h.run(client.background("resp_bg").wait)
        assert result.image.data == PNG
        assert h.waits == [1.0, 1.5]

    async def test_an_unknown_id_is_raised_at_once(self, h):
        h.mock.get(RESP_URL).mock(
            return_value=httpx.Response(404, json={"error": {"message": "No response found", "code": "not_found"}})
        )
        client = h.client()
        with pytest.raises(NotFoundError):
            await h.run(client.background("resp_bg").wait)
        assert h.waits == []

    async def test_a_failed_generation_raises_its_error(self, h):
        failed = response_body([], id="resp_bg", status="failed", error={"code": "server_error", "message": "x"})
        h.mock.get(RESP_URL).mock(return_value=httpx.Response(200, json=failed))
        client = h.client()
        with pytest.raises(ServerError, match="x"):
            await h.run(client.background("resp_bg").wait)

    async def test_async_progress_callbacks_are_refused(self, h):
        client = h.client()

        async def progress(p):  # pragma: no cover - never called
            pass

        with pytest.raises(ConfigurationError, match="on_progress is an async function"):
            await h.run(client.background("resp_bg").wait, on_progress=progress)


class TestResultCancelStream:
    async def test_result_never_waits(self, h):
        h.mock.get(RESP_URL).mock(side_effect=[state("in_progress"), state("completed")])
        client = h.client()
        handle = client.background("resp_bg")
        assert handle.status is None
        with pytest.raises(GenerationInProgressError):
            await h.run(handle.result)
        assert (await h.run(handle.result)).image.data == PNG
        assert h.waits == []

    async def test_cancel_is_idempotent_so_it_is_resent(self, h):
        cancelled = response_body([], id="resp_bg", status="cancelled")
        route = h.mock.post(RESP_URL + "/cancel").mock(
            side_effect=[httpx.ReadError("reset"), httpx.Response(200, json=cancelled)]
        )
        client = h.client()
        handle = client.background("resp_bg")
        response = await h.run(handle.cancel)
        assert response.status == "cancelled" and route.call_count == 2
        with pytest.raises(GenerationFailedError, match="cancelled"):
            await h.run(handle.result)

    async def test_resumed_stream_and_bytes_kept_when_the_stored_copy_has_none(self, h):
        final = make_png(16, 16)
        stored = response_body([image_call(None, id="ig_s")], id="resp_bg", status="completed")

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.params.get("stream") == "true":
                assert request.url.params["starting_after"] == "3"
                assert request.headers["accept"] == "text/event-stream"
                headers = {"content-type": "text/event-stream"}
                return httpx.Response(200, headers=headers, content=image_stream(final=final))
            return httpx.Response(200, json=stored)

        route = h.mock.get(RESP_URL).mock(side_effect=answer)
        client = h.client()
        handle = client.background("resp_bg")

        stream = handle.stream(starting_after=3)
        if h.is_async:
            async with stream:
                streamed = await stream.final()
        else:
            with stream:
                streamed = stream.final()

        assert streamed.image.data == final
        assert (await h.run(handle.result)).image.data == final
        assert route.call_count == 2

    async def test_rebuilt_for_an_agent_endpoint(self, h):
        route = h.mock.get(f"{AGENT_BASE}/responses/resp_bg", params={"api-version": "v1"}).mock(
            return_value=state("completed")
        )
        client = h.client()
        await h.run(client.background("resp_bg", agent_endpoint="artist").result)
        assert route.calls.last.request.headers["foundry-features"].startswith("WorkflowAgents=V1Preview")

    async def test_bad_id_is_refused_before_sending(self, h):
        client = h.client()
        with pytest.raises(ConfigurationError, match="not a response id"):
            client.background("../../agents")


class TestBytesKept:
    async def test_a_start_that_already_finished_needs_no_poll(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=state("completed"))
        client = h.client()
        handle = await h.run(client.generate, "a map", background=True)
        assert (await h.run(handle.wait)).image.data == PNG
        assert h.waits == []

    async def test_bytes_seen_once_survive_a_stored_copy_without_them(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=state("completed"))
        h.mock.get(RESP_URL).mock(return_value=state("completed", result=None))
        client = h.client()
        handle = await h.run(client.generate, "a map", background=True)
        await h.run(handle.poll)
        assert handle.response.image_calls[0].result is None
        assert (await h.run(handle.result)).image.data == PNG

    async def test_a_stored_copy_without_bytes_is_read_from_the_event_stream(self, h):
        final = make_png(16, 16)
        stored = response_body([image_call(None, id="ig_s")], id="resp_bg", status="completed")

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.params.get("stream") == "true":
                assert "starting_after" not in request.url.params
                headers = {"content-type": "text/event-stream"}
                return httpx.Response(200, headers=headers, content=image_stream(final=final))
            return httpx.Response(200, json=stored)

        route = h.mock.get(RESP_URL).mock(side_effect=answer)
        client = h.client()
        assert (await h.run(client.background("resp_bg").wait)).image.data == final
        assert route.call_count == 2

    async def test_when_the_stream_is_gone_too_the_error_says_so(self, h):
        stored = response_body([image_call(None)], id="resp_bg", status="completed")

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.params.get("stream") == "true":
                return httpx.Response(400, json={"error": {"message": "not created with stream", "code": "x"}})
            return httpx.Response(200, json=stored)

        h.mock.get(RESP_URL).mock(side_effect=answer)
        client = h.client()
        with pytest.raises(NoImageGeneratedError, match="result: null"):
            await h.run(client.background("resp_bg").wait)


class TestStreamedBackground:
    async def test_a_cut_background_stream_is_resumed_after_its_last_event(self, h):
        from foundry_imagegen import TruncatedStreamError

        full = image_stream(final=make_png(16, 16))
        cut = full[: full.index(b"event: response.output_item.done")]
        start = h.mock.post(PROJECT_URL).mock(
            return_value=httpx.Response(200, headers={"content-type": "text/event-stream"}, content=cut)
        )

        def resumed(request: httpx.Request) -> httpx.Response:
            after = int(request.url.params["starting_after"])
            assert request.url.params["stream"] == "true"
            tail = full[full.index(b"event: response.output_item.done") :]
            assert after == 7  # image_generation_call.completed, the last event before the cut
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=tail)

        h.mock.get(PROJECT_URL + "/resp_s").mock(side_effect=resumed)
        client = h.client()

        stream = client.stream("a map", background=True)
        with pytest.raises(TruncatedStreamError):
            if h.is_async:
                async with stream:
                    await stream.final()
            else:
                with stream:
                    stream.final()
        body = json.loads(start.calls.last.request.content)
        assert body["background"] is True and body["store"] is True and body["stream"] is True
        assert (stream.response_id, stream.last_sequence_number) == ("resp_s", 7)

        again = client.background(stream.response_id).stream(starting_after=stream.last_sequence_number)
        if h.is_async:
            async with again:
                result = await again.final()
        else:
            with again:
                result = again.final()
        assert result.image.data == make_png(16, 16)

    async def test_store_false_is_refused_for_a_background_stream_too(self, h):
        client = h.client()
        with pytest.raises(ConfigurationError, match="store=False"):
            client.stream("a map", background=True, store=False)
