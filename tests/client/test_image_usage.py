"""What the service returns beside the image: image token usage, the image call's own fields, the moderation
stage of a block; GIF/SVG outputs saved under their own names; the client's deployment_models and today."""

from __future__ import annotations

import base64
import json
import warnings
from datetime import date

import httpx
import pytest
from pydantic import ValidationError

from foundry_imagegen import (
    ConfigurationError,
    ContentFilterError,
    ImageGenerationTool,
    ModelRetiredWarning,
    ModelRetiringWarning,
    models,
)
from foundry_imagegen._core.images import image_dimensions, sniff_format
from foundry_imagegen._core.results import ImageUsage
from foundry_imagegen._core.stream import StreamProcessor
from tests import harness
from tests.client import wire
from tests.client.wire import PROJECT_URL, error_response, image_call, message, ok_response
from tests.testkit import sse

IMAGE_GEN_USAGE = {
    "input_tokens": 52,
    "output_tokens": 4160,
    "total_tokens": 4212,
    "input_tokens_details": {"image_tokens": 0, "text_tokens": 52},
    "output_tokens_details": {"image_tokens": 4160, "text_tokens": 0},
}
GIF = b"GIF89a" + (40).to_bytes(2, "little") + (30).to_bytes(2, "little") + b"\x00" * 8 + b";"
SVG = b'\xef\xbb\xbf  <?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>'


@pytest.fixture(autouse=True)
def fresh_warnings():
    models.reset_warnings()
    yield
    models.reset_warnings()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class TestImageUsage:
    async def test_tool_usage_image_gen_is_typed_next_to_usage(self, h):
        h.mock.post(PROJECT_URL).mock(
            return_value=ok_response(
                usage={"input_tokens": 1977, "output_tokens": 65, "total_tokens": 2042},
                tool_usage={"image_gen": IMAGE_GEN_USAGE, "web_search": {"num_requests": 0}},
            )
        )
        result = await h.run(h.client().generate, "a fox")
        assert result.usage.total_tokens == 2042
        usage = result.image_usage
        assert isinstance(usage, ImageUsage)
        assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (52, 4160, 4212)
        assert usage.input_tokens_details is not None and usage.input_tokens_details.text_tokens == 52
        assert usage.output_tokens_details is not None and usage.output_tokens_details.image_tokens == 4160
        assert usage.cached_tokens is None  # omitted = unknown
        assert json.loads(json.dumps(usage.model_dump())) == {
            **IMAGE_GEN_USAGE,
            "cached_tokens": None,
            "cached_tokens_details": None,
        }
        # The other tool families stay reachable.
        assert result.response.tool_usage.model_extra == {"web_search": {"num_requests": 0}}

    async def test_no_tool_usage_means_none(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        assert (await h.run(h.client().generate, "a fox")).image_usage is None

    async def test_malformed_usage_costs_nothing_but_the_usage(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response(tool_usage={"image_gen": {"input_tokens": "many"}}))
        result = await h.run(h.client().generate, "a fox")
        assert result.image and result.image_usage is None


def test_usages_add_up_and_unknown_parts_stay_unknown():
    one = ImageUsage.model_validate(IMAGE_GEN_USAGE)
    two = ImageUsage.model_validate({**IMAGE_GEN_USAGE, "cached_tokens": 10})
    total = one + two
    assert total.input_tokens_details is not None
    assert total.total_tokens == 8424 and total.input_tokens_details.text_tokens == 104
    assert total.cached_tokens is None  # one side did not say
    assert ImageUsage.total([one, None, two]) == total and ImageUsage.total([None]) is None


def test_a_stream_carries_the_usage_of_its_completed_response():
    png = wire.PNG
    item = image_call(b64(png), revised_prompt="a fox", quality="low", size="1024x1024")
    body = (
        sse("response.created", {"response": {"id": "resp_s", "status": "in_progress", "output": []}})
        + sse("response.output_item.done", {"output_index": 0, "item": item})
        + sse(
            "response.completed",
            {
                "response": {
                    "id": "resp_s",
                    "status": "completed",
                    "output": [item],
                    "tool_usage": {"image_gen": IMAGE_GEN_USAGE},
                }
            },
        )
    )
    processor = StreamProcessor()
    processor.feed(body)
    processor.end()
    result = processor.result()
    assert result.image_usage is not None and result.image_usage.total_tokens == 4212
    assert result.image.quality == "low" and result.image.revised_prompt == "a fox"


class TestImageCallFields:
    async def test_every_reported_field_reaches_the_image(self, h):
        item = image_call(
            revised_prompt="A red fox, snow",
            size="1536x1024",
            quality="high",
            background="opaque",
            output_format="png",
            action="generate",
            response_id="resp_123",
            brand_new_field={"x": 1},
        )
        h.mock.post(PROJECT_URL).mock(
            return_value=ok_response([{"type": "reasoning", "id": "rs_1"}, item, message("ok")])
        )
        image = (await h.run(h.client().generate, "a fox")).image
        assert (image.revised_prompt, image.size, image.quality) == ("A red fox, snow", "1536x1024", "high")
        assert (image.background, image.output_format, image.action) == ("opaque", "png", "generate")
        assert image.call is not None and image.call.model_extra == {
            "response_id": "resp_123",
            "brand_new_field": {"x": 1},
        }

    @pytest.mark.parametrize("stage", ["input", "output"])
    async def test_a_blocked_call_says_which_moderation_blocked_it(self, h, stage):
        item = image_call(
            None,
            status="failed",
            error={
                "code": "moderation_blocked",
                "message": "Your request was rejected by the safety system.",
                "type": "image_generation_user_error",
                "moderation_details": {"categories": ["violence"], "moderation_stage": stage},
            },
        )
        h.mock.post(PROJECT_URL).mock(return_value=ok_response([item]))
        with pytest.raises(ContentFilterError) as info:
            await h.run(h.client().generate, "a fox")
        assert info.value.moderation_stage == stage and info.value.categories == ("violence",)
        assert info.value.body["id"] == "ig_1"  # the whole item stays on the error
        assert f"{stage.capitalize()} moderation" in info.value.hint

    async def test_an_http_moderation_error_keeps_its_stage(self, h):
        h.mock.post(PROJECT_URL).mock(
            return_value=error_response(
                400,
                {
                    "code": "moderation_blocked",
                    "message": "blocked",
                    "type": "invalid_request_error",
                    "moderation_details": {"categories": [], "moderation_stage": "input"},
                },
            )
        )
        with pytest.raises(ContentFilterError) as info:
            await h.run(h.client().generate, "a fox")
        assert info.value.moderation_stage == "input"

    async def test_a_filter_that_does_not_say_leaves_the_stage_unknown(self, h):
        h.mock.post(PROJECT_URL).mock(
            return_value=error_response(400, {"code": "content_filter", "message": "filtered", "type": None})
        )
        with pytest.raises(ContentFilterError) as info:
            await h.run(h.client().generate, "a fox")
        assert info.value.moderation_stage is None


class TestGifAndSvg:
    def test_sniffing(self):
        assert sniff_format(GIF) == "gif" and image_dimensions(GIF) == (40, 30)
        assert sniff_format(SVG) == "svg" and image_dimensions(SVG) is None
        assert sniff_format(b"<html><body>no</body></html>") is None

    @pytest.mark.parametrize(
        ("data", "fmt", "suffix", "mime"), [(GIF, "gif", ".gif", "image/gif"), (SVG, "svg", ".svg", "image/svg+xml")]
    )
    async def test_saved_under_their_own_names(self, h, tmp_path, data, fmt, suffix, mime):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response([image_call(b64(data), output_format=fmt)]))
        tool = ImageGenerationTool(image_deployment="gpt-image-2.6-flare", output_format=fmt)
        result = await h.run(h.client(model="gpt-5.1").generate, "a spinning fox", tool=tool)
        assert result.image.format == fmt and result.image.mime_type == mime
        written = result.save(tmp_path / "fox.png")
        assert written.name == f"fox{suffix}" and written.read_bytes() == data


class TestClientModelChecks:
    async def test_today_is_injected_and_a_retired_deployment_warns_once(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(
            model="chat",
            image_deployment="img",
            deployment_models={"img": "gpt-image-1", "chat": "gpt-5.1"},
            today=lambda: date(2026, 12, 2),
        )
        with pytest.warns(ModelRetiredWarning) as record:
            await h.run(client.generate, "a fox")
            await h.run(client.generate, "a fox")
        assert [str(w.message).count("2026-10-23") for w in record] == [1]
        assert record[0].filename.endswith("harness.py")  # the caller of generate (h.run), not the SDK

    async def test_a_day_before_retirement_is_quiet_and_soon_warns(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(model="gpt-5.1", image_deployment="gpt-image-1", today=lambda: date(2026, 10, 1))
        with pytest.warns(ModelRetiringWarning, match="in 22 days"):
            await h.run(client.generate, "a fox")

    async def test_current_models_are_quiet(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(model="gpt-5.1", image_deployment="gpt-image-2", today=lambda: date(2026, 12, 2))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            await h.run(client.generate, "a fox")
        assert client.deployment_models == {}

    @pytest.mark.parametrize(
        ("kwargs", "needle"),
        [
            ({"deployment_models": ["img"]}, "deployment_models is a list"),
            ({"deployment_models": {"img": ""}}, "deployment_models['img']=''"),
            ({"today": date(2026, 12, 2)}, "today=datetime.date(2026, 12, 2) is not callable"),
        ],
    )
    def test_bad_settings_are_refused(self, h, kwargs, needle):
        with pytest.raises(ConfigurationError, match="Fix:") as info:
            h.client(**kwargs)
        assert needle in str(info.value)

    async def test_the_mapping_checks_a_custom_deployment_before_sending(self, h):
        client = h.client(image_deployment="img", deployment_models={"img": "gpt-image-1-mini"})
        with pytest.raises(ValidationError, match="custom size, which gpt-image-1-mini does not support"):
            await h.run(client.generate, "a fox", tool=ImageGenerationTool(size="2048x1152"))
        assert not h.mock.calls  # nothing was sent

    async def test_creating_an_agent_on_a_retired_orchestrator_warns(self, h):
        version = {
            "object": "agent.version",
            "id": "poster:1",
            "name": "poster",
            "version": "1",
            "definition": {
                "kind": "prompt",
                "model": "gpt-4o",
                "tools": [{"type": "image_generation", "model": "img"}],
            },
        }
        h.mock.post(harness.PROJECT_ENDPOINT + "/agents/poster/versions").mock(
            return_value=httpx.Response(200, json=version)
        )
        client = h.client(
            image_deployment="img", deployment_models={"img": "gpt-image-2"}, today=lambda: date(2026, 12, 2)
        )
        with pytest.warns(ModelRetiredWarning, match="gpt-4o") as record:
            await h.run(client.agents.create_version, "poster", model="gpt-4o")
        assert all("gpt-image-2" not in str(w.message) for w in record)
