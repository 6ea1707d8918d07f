"""Current models (2026-12): default deployments, per-model tool rules, reasoning items, tool_usage, GIF/SVG."""

from __future__ import annotations

import base64
import io
import xml.dom.minidom

import pytest

from foundry_imagegen.emulator import DEFAULT_IMAGE_DEPLOYMENTS, DEFAULT_MODEL_DEPLOYMENTS

NEW_MODELS = {
    "gpt-image-2": "gpt-image-2",
    "gpt-image-1-mini": "gpt-image-1-mini",
    "gpt-image-1": "gpt-image-1",
    "flare": "gpt-image-2.5-flare",
    "anim": "gpt-image-2.6-sunburst",
}


@pytest.fixture
def mapi(make_api):
    return make_api(image_deployments=NEW_MODELS)


def _body(tool=None, model="gpt-4.1", **extra):
    return {
        "model": model,
        "input": "a red fox in the snow",
        "tools": [{"type": "image_generation", **(tool or {})}],
        **extra,
    }


def _error(r, status=400):
    assert r.status_code == status, r.text
    return r.json()["error"]


def test_defaults_name_current_models() -> None:
    assert DEFAULT_IMAGE_DEPLOYMENTS["gpt-image-2"] == "gpt-image-2"
    assert DEFAULT_IMAGE_DEPLOYMENTS["gpt-image-1-mini"] == "gpt-image-1-mini"
    assert any(m.startswith("gpt-5.") for m in DEFAULT_MODEL_DEPLOYMENTS.values())
    assert "gpt-4.1" in DEFAULT_MODEL_DEPLOYMENTS  # retired, still accepted for existing callers


def test_current_default_deployments_generate(api) -> None:
    r = api.create(_body(model="gpt-5.5"), image_deployment="gpt-image-2")
    assert r.status_code == 200
    assert [o["type"] for o in r.json()["output"]] == ["reasoning", "image_generation_call", "message"]


# ---------------------------------------------------------------------------- rules per model


def test_input_fidelity_is_refused_by_gpt_image_2(api) -> None:
    err = _error(api.create(_body({"input_fidelity": "high"}), image_deployment="gpt-image-2"))
    assert err["code"] == "invalid_input_fidelity_model"
    assert err["param"] == "tools[0].input_fidelity"
    assert err["type"] == "invalid_request_error"
    assert "gpt-image-2" in err["message"]


def test_mini_takes_only_low_fidelity(api) -> None:
    assert api.create(_body({"input_fidelity": "low"}), image_deployment="gpt-image-1-mini").status_code == 200
    err = _error(api.create(_body({"input_fidelity": "high"}), image_deployment="gpt-image-1-mini"))
    assert (err["param"], err["code"]) == ("tools[0].input_fidelity", "invalid_value")


def test_xhigh_and_max_quality_only_where_the_model_has_them(mapi) -> None:
    err = _error(mapi.create(_body({"quality": "xhigh"}), image_deployment="gpt-image-2"))
    assert err["param"] == "tools[0].quality"
    assert err["message"] == (
        "Invalid value: 'xhigh'. Supported values are: 'low', 'medium', 'high', and 'auto' for gpt-image-2."
    )
    for quality in ("xhigh", "max"):
        r = mapi.create(_body({"quality": quality, "size": "1024x1024"}), image_deployment="flare")
        assert r.status_code == 200
        assert r.json()["output"][0]["quality"] == quality


def test_complexity_is_accepted_and_echoed(api) -> None:
    body = api.create(_body({"complexity": "high"}), image_deployment="gpt-image-2").json()
    assert body["tools"][0]["complexity"] == "high"
    err = _error(api.create(_body({"complexity": "extreme"}), image_deployment="gpt-image-2"))
    assert err["param"] == "tools[0].complexity"


@pytest.mark.parametrize("fmt", ["gif", "svg"])
def test_gif_and_svg_need_a_model_that_has_them(mapi, fmt) -> None:
    err = _error(mapi.create(_body({"output_format": fmt}), image_deployment="gpt-image-2"))
    assert err["param"] == "tools[0].output_format" and err["code"] == "invalid_value"


@pytest.mark.parametrize(
    ("tool", "param"),
    [
        ({"output_format": "gif", "partial_images": 1}, "tools[0].partial_images"),
        ({"output_format": "gif", "output_compression": 50}, "tools[0].output_compression"),
        ({"output_format": "gif", "input_image_mask": {"file_id": "assistant-x"}}, "tools[0].input_image_mask"),
        ({"output_format": "gif", "frame_count": 0}, "tools[0].frame_count"),
        ({"output_format": "png", "frame_count": 4}, "tools[0].frame_count"),
        ({"output_format": "png", "frame_duration_ms": 100}, "tools[0].frame_duration_ms"),
        ({"output_format": "png", "svg": {"model": "gpt-5.5"}}, "tools[0].svg"),
        ({"output_format": "svg", "svg": {"colour": 1}}, "tools[0].svg.colour"),
        ({"output_format": "svg", "svg": {"reasoning": {"effort": "huge"}}}, "tools[0].svg.reasoning"),
    ],
)
def test_gif_and_svg_combination_rules(mapi, tool, param) -> None:
    err = _error(mapi.create(_body(tool), image_deployment="anim"))
    assert err["param"] == param
    assert err["message"]


def test_gif_output_is_an_animated_gif(mapi) -> None:
    from PIL import Image

    tool = {"output_format": "gif", "frame_count": 4, "frame_duration_ms": 120}
    body = mapi.create(_body(tool), image_deployment="anim").json()
    call = body["output"][0]
    assert call["output_format"] == "gif"
    data = base64.b64decode(call["result"], validate=True)
    assert data.startswith(b"GIF89a") and data.endswith(b"\x3b")
    img = Image.open(io.BytesIO(data))
    assert (img.size, img.n_frames, img.info["duration"]) == ((1024, 1024), 4, 120)
    assert body["tools"][0]["frame_count"] == 4
    default = mapi.create(_body({"output_format": "gif"}), image_deployment="anim").json()
    assert default["tools"][0]["frame_count"] == 9 and default["tools"][0]["frame_duration_ms"] == 200


def test_svg_output_is_an_svg_document(mapi) -> None:
    tool = {"output_format": "svg", "svg": {"model": "gpt-5.5", "reasoning": {"effort": "low"}}}
    call = mapi.create(_body(tool), image_deployment="anim").json()["output"][0]
    text = base64.b64decode(call["result"]).decode("utf-8")
    doc = xml.dom.minidom.parseString(text)
    root = doc.documentElement
    assert (root.tagName, root.getAttribute("width"), root.getAttribute("height")) == ("svg", "1024", "1024")
    usage = call["svg_usage"]
    assert usage["model"] == "gpt-5.5"
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def test_svg_streams_partial_svgs(make_api) -> None:
    api = make_api(image_deployments=NEW_MODELS)
    _, events = api.stream(_body({"output_format": "svg", "partial_images": 2}), image_deployment="anim")
    partials = [e.json for e in events if e.event == "response.image_generation_call.partial_image"]
    assert len(partials) == 2
    assert base64.b64decode(partials[0]["partial_image_b64"]).startswith(b"<svg")


# ---------------------------------------------------------------------------- reasoning orchestrators


def test_reasoning_orchestrator_puts_a_reasoning_item_first(api) -> None:
    body = api.create(_body(model="gpt-5-mini")).json()
    first = body["output"][0]
    assert first["type"] == "reasoning" and first["id"].startswith("rs_") and first["summary"] == []
    assert body["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
    assert body["reasoning"]["effort"] == "medium"


def test_reasoning_item_events_come_first_in_the_stream(api) -> None:
    _, events = api.stream(_body(model="gpt-5.1", reasoning={"effort": "low"}))
    types = [e.event for e in events]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
    ]
    assert events[2].json["item"]["type"] == "reasoning" and events[2].json["output_index"] == 0
    added_ig = next(e.json for e in events[4:] if e.event == "response.output_item.added")
    assert added_ig["item"]["type"] == "image_generation_call" and added_ig["output_index"] == 1
    assert all(e.json["output_index"] == 1 for e in events if e.event.startswith("response.image_generation_call"))
    completed = events[-1].json["response"]
    assert [o["type"] for o in completed["output"]] == ["reasoning", "image_generation_call", "message"]
    assert completed["reasoning"]["effort"] == "low"


def test_non_reasoning_orchestrators_have_no_reasoning_item(api) -> None:
    for model in ("gpt-4.1", "gpt-5"):
        assert api.create(_body(model=model)).json()["output"][0]["type"] == "image_generation_call"


def test_o_series_deployment_reasons(make_api) -> None:
    api = make_api(model_deployments={"planner": "o4-mini"})
    assert api.create(_body(model="planner")).json()["output"][0]["type"] == "reasoning"


# ---------------------------------------------------------------------------- tool_usage


def _image_gen(body):
    return body["tool_usage"]["image_gen"]


def test_tool_usage_in_json_and_in_the_streamed_completed_event(api) -> None:
    usage = _image_gen(api.create(_body()).json())
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    details_in, details_out = usage["input_tokens_details"], usage["output_tokens_details"]
    assert usage["input_tokens"] == details_in["image_tokens"] + details_in["text_tokens"]
    assert usage["output_tokens"] == details_out["image_tokens"] + details_out["text_tokens"]
    assert details_out["image_tokens"] > 0 and details_in["text_tokens"] > 0
    _, events = api.stream(_body())
    completed = events[-1].json["response"]
    assert _image_gen(completed) == usage
    assert completed["tool_usage"]["web_search"] == {"num_requests": 0}
    assert "tool_usage" not in events[0].json["response"]


def test_tool_usage_grows_with_size_and_quality(api) -> None:
    def out(tool):
        return _image_gen(api.create(_body(tool), image_deployment="gpt-image-2").json())["output_tokens"]

    low, medium, high = (out({"quality": q, "size": "1024x1024"}) for q in ("low", "medium", "high"))
    assert low < medium < high
    assert high == 7024
    assert out({"quality": "high", "size": "1536x1024"}) > high
    assert out({"quality": "high", "size": "2048x2048"}) > out({"quality": "high", "size": "1536x1024"})


def test_partial_images_add_output_tokens_and_edits_add_input_tokens(api) -> None:
    plain = _image_gen(api.create(_body()).json())
    _, events = api.stream(_body({"partial_images": 2}))
    streamed = _image_gen(events[-1].json["response"])
    assert streamed["output_tokens"] == plain["output_tokens"] + 200
    first = api.create(_body()).json()
    edit = api.create(_body(previous_response_id=first["id"])).json()
    assert _image_gen(edit)["input_tokens_details"]["image_tokens"] > 0


def test_text_answers_have_zero_image_tokens(api) -> None:
    body = api.create({"model": "gpt-4.1", "input": "hi"}, image_deployment=None).json()
    assert _image_gen(body)["total_tokens"] == 0


# ---------------------------------------------------------------------------- image_generation_call fields


def test_image_call_carries_the_resolved_fields(api) -> None:
    call = api.create(_body({"size": "1536x1024", "quality": "high", "output_format": "png"})).json()["output"][0]
    assert call["revised_prompt"]
    assert (call["size"], call["quality"], call["background"], call["output_format"], call["action"]) == (
        "1536x1024",
        "high",
        "opaque",
        "png",
        "generate",
    )


def test_moderation_block_has_moderation_details(api) -> None:
    api.emu.inject("moderation_blocked", categories=["sexual", "minors"], moderation_stage="output")
    body = api.create(_body()).json()
    call = body["output"][0]
    assert call["status"] == "failed"
    error = call["error"]
    assert error["code"] == "moderation_blocked" and error["message"]
    assert error["moderation_details"] == {"categories": ["sexual", "minors"], "moderation_stage": "output"}
    assert _image_gen(body)["output_tokens"] > 0  # an output-stage block comes after the drawing


def test_moderation_details_default_to_the_input_stage(api) -> None:
    api.emu.inject("moderation_blocked")
    _, events = api.stream(_body())
    failed = next(e.json for e in events if e.event == "response.output_item.done")["item"]
    assert failed["error"]["moderation_details"]["moderation_stage"] == "input"
    assert _image_gen(events[-1].json["response"])["output_tokens"] == 0


def test_moderation_fault_params_are_checked(emu) -> None:
    with pytest.raises(ValueError):
        emu.inject("moderation_blocked", moderation_stage="later")
    with pytest.raises(ValueError):
        emu.inject("moderation_blocked", categories="sexual")
