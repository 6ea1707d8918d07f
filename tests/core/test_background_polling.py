"""Background generations without I/O: the calls, the polling decisions, and what a finished one returns."""

from __future__ import annotations

import base64

import pytest

from foundry_imagegen import (
    AgentEndpoint,
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    GeneratedImage,
    GenerationFailedError,
    GenerationInProgressError,
    NoImageGeneratedError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from foundry_imagegen._core import background as core
from foundry_imagegen._core.agent_endpoints import build_set_endpoint, endpoint_param
from foundry_imagegen._core.config import resolve_endpoint
from foundry_imagegen._core.results import Response
from foundry_imagegen._core.routes import agent_endpoint_route, default_route, endpoint_agent_name
from tests.testkit import make_png

PROJECT = resolve_endpoint("https://acme.services.ai.azure.com/api/projects/p1")
ROUTE = default_route(PROJECT)
BASE = "https://acme.services.ai.azure.com/api/projects/p1/openai/v1"
PNG = make_png()
PNG_B64 = base64.b64encode(PNG).decode()


def response(status: str, *results: str | None) -> Response:
    output = [
        {"type": "image_generation_call", "id": f"ig_{i}", "status": "completed", "result": r}
        for i, r in enumerate(results)
    ]
    return Response.model_validate({"id": "resp_1", "status": status, "output": output})


class TestCalls:
    def test_retrieve_cancel_resume(self) -> None:
        assert (core.build_retrieve(ROUTE, "resp_1").method, core.build_retrieve(ROUTE, "resp_1").url) == (
            "GET",
            f"{BASE}/responses/resp_1",
        )
        cancel = core.build_cancel(ROUTE, "resp_1")
        assert (cancel.method, cancel.url, cancel.idempotent) == ("POST", f"{BASE}/responses/resp_1/cancel", True)
        resume = core.build_resume_stream(ROUTE, "resp_1", starting_after=7)
        assert resume.params == {"stream": "true", "starting_after": "7"}
        assert resume.headers["Accept"] == "text/event-stream"
        assert core.build_resume_stream(ROUTE, "resp_1", starting_after=None).params == {"stream": "true"}

    def test_agent_endpoint_polls_there(self) -> None:
        call = core.build_retrieve(agent_endpoint_route(PROJECT, "artist"), "resp_1")
        assert call.url.endswith("/agents/artist/endpoint/protocols/openai/responses/resp_1")
        assert call.params == {"api-version": "v1"}

    @pytest.mark.parametrize("bad", ["", "../x", "resp 1", None, "a/b"])
    def test_bad_response_ids(self, bad: object) -> None:
        with pytest.raises(ConfigurationError, match="not a response id"):
            core.build_retrieve(ROUTE, bad)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [-1, True, "3"])
    def test_bad_starting_after(self, bad: object) -> None:
        with pytest.raises(ConfigurationError, match="starting_after="):
            core.build_resume_stream(ROUTE, "resp_1", starting_after=bad)  # type: ignore[arg-type]


class TestWaiter:
    def test_backoff_grows_to_the_cap_and_stops_when_done(self) -> None:
        waiter = core.Waiter("resp_1", timeout=None, now=0.0)
        waits = [waiter.after_poll("in_progress", now=0.0, retry_after=None) for _ in range(8)]
        assert waits == [1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 10.0, 10.0]
        assert waiter.after_poll("completed", now=0.0, retry_after=None) is None

    def test_retry_after_wins_but_is_capped(self) -> None:
        waiter = core.Waiter("resp_1", timeout=None, now=0.0)
        assert waiter.after_poll("queued", now=0.0, retry_after=4.0) == 4.0
        assert waiter.after_poll("queued", now=0.0, retry_after=3600.0) == 60.0

    def test_timeout_counts_sleeps_and_the_clock(self) -> None:
        waiter = core.Waiter("resp_1", timeout=3, now=100.0)
        assert waiter.after_poll("queued", now=100.0, retry_after=None) == 1.0
        waiter.slept(1.0)
        assert waiter.after_poll("queued", now=100.0, retry_after=None) == 1.5
        waiter.slept(1.5)
        assert waiter.after_poll("queued", now=100.0, retry_after=None) == 0.5  # only what is left
        waiter.slept(0.5)
        with pytest.raises(GenerationInProgressError, match="still queued after 3 s") as info:
            waiter.after_poll("queued", now=100.0, retry_after=None)
        assert (info.value.response_id, info.value.status) == ("resp_1", "queued")

    def test_wall_clock_alone_also_ends_it(self) -> None:
        waiter = core.Waiter("resp_1", timeout=10, now=0.0)
        with pytest.raises(GenerationInProgressError):
            waiter.after_poll("in_progress", now=11.0, retry_after=None)

    @pytest.mark.parametrize(
        "error",
        [
            APIConnectionError("reset", retryable=False),
            APITimeoutError("read timeout", retryable=False),
            ServerError("boom", status=503),
            RateLimitError("slow", status=429, retry_after=2.0),
        ],
    )
    def test_failed_polls_are_made_again(self, error: Exception) -> None:
        waiter = core.Waiter("resp_1", timeout=None, now=0.0)
        assert waiter.after_error(error, now=0.0) == (2.0 if isinstance(error, RateLimitError) else 1.0)

    @pytest.mark.parametrize("error", [NotFoundError("gone", status=404), ValueError("bug")])
    def test_other_failures_are_raised(self, error: Exception) -> None:
        with pytest.raises(type(error)):
            core.Waiter("resp_1", timeout=None, now=0.0).after_error(error, now=0.0)

    def test_progress(self) -> None:
        waiter = core.Waiter("resp_1", timeout=None, now=0.0)
        pause = waiter.after_poll("queued", now=0.5, retry_after=None)
        assert waiter.progress(0.5, pause) == core.PollProgress("resp_1", "queued", 1, 0.5, 1.0)

    @pytest.mark.parametrize("bad", [-1, "10", True])
    def test_bad_timeout(self, bad: object) -> None:
        with pytest.raises(ConfigurationError, match="timeout="):
            core.Waiter("resp_1", timeout=bad, now=0.0)  # type: ignore[arg-type]


class TestFinish:
    def test_completed_with_bytes(self) -> None:
        result = core.finish(response("completed", PNG_B64), request_id="r1")
        assert result.image.data == PNG and result.request_id == "r1"

    def test_stored_copy_without_bytes_keeps_what_is_known(self) -> None:
        known = [GeneratedImage(id="ig_0", data=PNG, format="png")]
        result = core.finish(response("completed", None), request_id=None, known=known)
        assert result.images == tuple(known)

    def test_stored_copy_without_bytes_and_nothing_known(self) -> None:
        with pytest.raises(NoImageGeneratedError, match="result: null") as info:
            core.finish(response("completed", None), request_id=None)
        assert "handle.stream()" in info.value.hint

    @pytest.mark.parametrize("status", ["queued", "in_progress"])
    def test_pending(self, status: str) -> None:
        with pytest.raises(GenerationInProgressError, match=f"still {status}"):
            core.finish(response(status), request_id=None)

    def test_cancelled_and_failed(self) -> None:
        with pytest.raises(GenerationFailedError, match="cancelled"):
            core.finish(response("cancelled"), request_id=None)
        failed = Response.model_validate(
            {"id": "resp_1", "status": "failed", "error": {"code": "server_error", "message": "x"}}
        )
        with pytest.raises(ServerError):
            core.finish(failed, request_id=None)


class TestAgentEndpoints:
    def test_one_version_gets_all_traffic(self) -> None:
        assert endpoint_param("3") == {
            "version_selector": {
                "version_selection_rules": [{"agent_version": "3", "traffic_percentage": 100, "type": "FixedRatio"}]
            },
            "protocol_configuration": {"responses": {}},
        }

    def test_split_and_protocols(self) -> None:
        param = endpoint_param({"3": 90, "4": 10}, protocols=["responses", "mcp"])
        assert [r["traffic_percentage"] for r in param["version_selector"]["version_selection_rules"]] == [90, 10]
        assert param["protocol_configuration"] == {"responses": {}, "mcp": {}}

    def test_restoring_a_saved_endpoint_drops_read_only_fields(self) -> None:
        saved = AgentEndpoint.model_validate(
            {
                "version_selector": {"version_selection_rules": [{"agent_version": "1", "traffic_percentage": 100}]},
                "protocol_configuration": {"responses": {}},
                "publish_approval_status": "approved",
            }
        )
        assert "publish_approval_status" not in endpoint_param(saved)
        assert saved.versions == {"1": 100} and saved.protocols == ["responses"]

    @pytest.mark.parametrize(
        ("version", "protocols", "fragment"),
        [
            ({"3": 90}, ("responses",), "add up to 100"),
            ({"3": 150, "4": -50}, ("responses",), "add up to 100"),
            ("", ("responses",), "version=''"),
            ("3", ("smtp",), "protocols="),
            ("3", "responses", "protocols="),
        ],
    )
    def test_refusals(self, version: object, protocols: object, fragment: str) -> None:
        with pytest.raises(ConfigurationError, match=fragment):
            endpoint_param(version, protocols=protocols)  # type: ignore[arg-type]

    def test_patch(self) -> None:
        call = build_set_endpoint("https://p", "artist", None)
        assert (call.method, call.url, call.json) == ("PATCH", "https://p/agents/artist", {"agent_endpoint": None})
        assert call.headers == {"Content-Type": "application/merge-patch+json"} and call.idempotent

    def test_endpoint_agent_name(self) -> None:
        from foundry_imagegen import AgentReference, AgentVersion

        assert endpoint_agent_name("artist") == "artist"
        assert endpoint_agent_name(AgentVersion(name="artist", version="2")) == "artist"
        with pytest.raises(ConfigurationError, match="pinned version would be ignored"):
            endpoint_agent_name(AgentReference(name="artist", version="2"))
        with pytest.raises(ConfigurationError, match="needs agent="):
            endpoint_agent_name(None)

    def test_agent_endpoints_need_a_project(self) -> None:
        with pytest.raises(ConfigurationError, match="Foundry projects"):
            agent_endpoint_route(resolve_endpoint("https://acme.openai.azure.com"), "artist")


class TestBytes:
    def test_images_in_and_lost_bytes(self) -> None:
        with_bytes, without = response("completed", PNG_B64), response("completed", None)
        known = core.images_in(with_bytes, request_id=None)
        assert [image.id for image in known] == ["ig_0"]
        assert core.lost_bytes(without, []) and not core.lost_bytes(without, known)
        assert not core.lost_bytes(with_bytes, []) and not core.lost_bytes(response("in_progress"), [])


def test_the_stream_processor_remembers_what_resuming_needs() -> None:
    from foundry_imagegen import StreamProcessor
    from tests.testkit import image_stream

    processor = StreamProcessor()
    assert (processor.response_id, processor.last_sequence_number) == (None, None)
    body = image_stream(partials=1)
    processor.feed(body[: body.index(b"event: response.image_generation_call.partial_image")])
    assert (processor.response_id, processor.last_sequence_number) == ("resp_s", 4)
