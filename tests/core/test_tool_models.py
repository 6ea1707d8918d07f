"""ImageGenerationTool against the catalog: per-model refusals naming field, value, model and fix; warnings
where sources disagree or the model is unknown; the new fields and their combination rules; None never sent;
the deployment -> model mapping and the lifecycle checks a call makes with an injected day."""

from __future__ import annotations

import warnings
from datetime import date

import pytest
from pydantic import ValidationError

from foundry_imagegen import (
    ConfigurationError,
    DisputedRuleWarning,
    ImageGenerationTool,
    InputImageMask,
    ModelRetiredWarning,
    SvgOptions,
    SvgReasoning,
    UnknownModelWarning,
    models,
)
from foundry_imagegen._core.plan import CallDefaults, prepare_request

TODAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def fresh_warnings():
    models.reset_warnings()
    yield
    models.reset_warnings()


def refusal(**fields: object) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as info:
        ImageGenerationTool(**fields)  # type: ignore[arg-type]
    [error] = info.value.errors(include_url=False)
    return error["loc"], error["msg"]


def quiet(**fields: object) -> ImageGenerationTool:
    """Build a tool and fail on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return ImageGenerationTool(**fields)  # type: ignore[arg-type]


# -- input_fidelity: the rule of the issue ----------------------------------------------------------------


def test_gpt_image_2_never_gets_a_null_input_fidelity():
    assert "input_fidelity" not in quiet(image_deployment="gpt-image-2", input_fidelity=None).to_param()


def test_gpt_image_2_refuses_low_fidelity_naming_model_and_fix():
    loc, msg = refusal(image_deployment="gpt-image-2", input_fidelity="low")
    assert loc == ("input_fidelity",)
    assert msg.startswith("input_fidelity='low' is not supported by gpt-image-2")
    assert "Fix: leave input_fidelity unset" in msg


def test_gpt_image_2_high_fidelity_is_disputed_so_it_warns():
    with pytest.warns(DisputedRuleWarning, match="invalid_input_fidelity_model"):
        tool = ImageGenerationTool(image_deployment="gpt-image-2", input_fidelity="high")
    assert tool.to_param()["input_fidelity"] == "high"


def test_mini_takes_low_with_a_warning_and_refuses_high():
    with pytest.warns(DisputedRuleWarning, match="gpt-image-1-mini"):
        ImageGenerationTool(model="gpt-image-1-mini", input_fidelity="low")
    loc, msg = refusal(model="gpt-image-1-mini", input_fidelity="high")
    assert loc == ("input_fidelity",) and "gpt-image-1-mini" in msg and "'low'" in msg


@pytest.mark.parametrize("fidelity", ["high", "low"])
def test_gpt_image_1_and_1_5_take_both_fidelities(fidelity):
    quiet(model="gpt-image-1", input_fidelity=fidelity)
    quiet(model="gpt-image-1.5-2025-12-16", input_fidelity=fidelity)


# -- quality, formats, complexity ---------------------------------------------------------------------------


@pytest.mark.parametrize("quality", ["xhigh", "max"])
def test_the_top_qualities_only_where_the_model_has_them(quality):
    assert quiet(model="gpt-image-2.5-flare", quality=quality).to_param()["quality"] == quality
    loc, msg = refusal(model="gpt-image-2", quality=quality)
    assert loc == ("quality",) and "gpt-image-2" in msg and "gpt-image-2.5" in msg and "Fix:" in msg


def test_gif_and_svg_only_on_models_that_make_them():
    quiet(model="gpt-image-2.6-sunburst", output_format="gif")
    quiet(model="gpt-image-2.6-sunburst", output_format="svg")
    loc, msg = refusal(model="gpt-image-1", output_format="gif")
    assert loc == ("output_format",) and "gpt-image-1" in msg and "gpt-image-2.6" in msg


def test_webp_on_azure_image_models_is_disputed():
    with pytest.warns(DisputedRuleWarning, match="WEBP"):
        ImageGenerationTool(model="gpt-image-2", output_format="webp")


def test_complexity_is_refused_where_the_model_predates_it():
    loc, msg = refusal(model="gpt-image-1.5", complexity="high")
    assert loc == ("complexity",) and "gpt-image-1.5" in msg and "Fix:" in msg
    with pytest.warns(DisputedRuleWarning, match="complexity"):
        tool = ImageGenerationTool(model="gpt-image-2.6-flare", complexity="high")
    assert tool.to_param()["complexity"] == "high"


# -- GIF and SVG combination rules ----------------------------------------------------------------------


def test_gif_fields_and_their_wire_shape():
    tool = quiet(model="gpt-image-2.6-flare", output_format="gif", frame_count=12, frame_duration_ms=80)
    assert tool.to_param() == {
        "type": "image_generation",
        "model": "gpt-image-2.6-flare",
        "output_format": "gif",
        "frame_count": 12,
        "frame_duration_ms": 80,
    }


@pytest.mark.parametrize(
    ("fields", "loc", "needle"),
    [
        ({"partial_images": 2}, "partial_images", "GIF output has no partial images"),
        ({"input_image_mask": InputImageMask(file_id="f")}, "input_image_mask", "GIF output takes no mask"),
        ({"output_compression": 50}, "output_compression", "applies only to jpeg or webp"),
    ],
)
def test_gif_forbids_partials_masks_and_compression(fields, loc, needle):
    got_loc, msg = refusal(model="gpt-image-2.6-flare", output_format="gif", **fields)
    assert got_loc == (loc,) and needle in msg and "Fix:" in msg


def test_gif_with_zero_partials_is_fine():
    assert quiet(model="gpt-image-2.6-flare", output_format="gif", partial_images=0).partial_images == 0


@pytest.mark.parametrize("field", ["frame_count", "frame_duration_ms"])
def test_frame_fields_need_gif_and_a_positive_int(field):
    loc, msg = refusal(model="gpt-image-2.6-flare", **{field: 5})
    assert loc == (field,) and "applies only to GIF output" in msg
    loc, msg = refusal(model="gpt-image-2.6-flare", output_format="gif", **{field: 0})
    assert loc == (field,) and "at least 1" in msg
    loc, msg = refusal(model="gpt-image-2.6-flare", output_format="gif", **{field: True})
    assert loc == (field,) and "not a bool" in msg


def test_svg_options_need_svg_output():
    svg = SvgOptions(model="svg-writer", reasoning=SvgReasoning(effort="low"))
    tool = quiet(model="gpt-image-2.6-flare", output_format="svg", svg=svg)
    assert tool.to_param()["svg"] == {"model": "svg-writer", "reasoning": {"effort": "low"}}
    loc, msg = refusal(model="gpt-image-2.6-flare", output_format="png", svg=svg)
    assert loc == ("svg",) and "applies only to SVG output" in msg


def test_streaming_a_gif_sends_no_default_partial_image():
    tool = quiet(image_deployment="gpt-image-2.6-flare", output_format="gif")
    assert "partial_images" not in tool.build_request("a spinning fox", model="gpt-5.1", stream=True).json["tools"][0]


# -- unknown names and the deployment -> model mapping --------------------------------------------------------


def test_unknown_name_warns_once_per_tool_listing_what_was_not_checked():
    with pytest.warns(UnknownModelWarning) as record:
        ImageGenerationTool(image_deployment="prod-images", size="2048x1152", quality="xhigh", input_fidelity="high")
    [warning] = record
    text = str(warning.message)
    assert "'prod-images'" in text and "size='2048x1152'" in text and "quality='xhigh'" in text
    assert "input_fidelity='high'" in text and "image_model=" in text


def test_unknown_name_with_settings_every_model_takes_says_nothing():
    quiet(image_deployment="prod-images", size="1024x1024", quality="high", output_format="png")


def test_no_name_yet_means_no_check_until_the_client_fills_one_in():
    tool = quiet(size="2048x1152")
    loc, msg = refusal(image_deployment="gpt-image-1", size="2048x1152")
    assert loc == ("size",) and "gpt-image-1" in msg
    with pytest.raises(ValidationError, match="which gpt-image-1 does not support"):
        tool.with_defaults(image_deployment="gpt-image-1")


def test_image_model_names_the_model_of_a_custom_deployment_and_is_never_sent():
    tool = quiet(image_deployment="my-img", image_model="gpt-image-2", size="2048x1152")
    assert tool.to_param() == {"type": "image_generation", "model": "my-img", "size": "2048x1152"}
    loc, msg = refusal(image_deployment="my-img", image_model="gpt-image-1-mini", size="2048x1152")
    assert loc == ("size",) and "gpt-image-1-mini" in msg


def test_with_defaults_maps_the_deployment_to_its_model():
    tool = quiet(quality="xhigh")
    with pytest.raises(ValidationError, match="quality='xhigh' is not supported by gpt-image-2"):
        tool.with_defaults(image_deployment="img", deployment_models={"img": "gpt-image-2"})
    mapped = tool.with_defaults(image_deployment="img", deployment_models={"img": "gpt-image-2.5-flare"})
    assert mapped.image_model == "gpt-image-2.5-flare" and mapped.to_param()["model"] == "img"
    # The tool's own image_model wins over the mapping.
    own = quiet(image_model="gpt-image-2.5-flare", quality="max")
    assert own.with_defaults(image_deployment="img", deployment_models={"img": "gpt-image-2"}).quality == "max"


# -- the call-time checks (pure core: the day is passed in) ---------------------------------------------------


def call(defaults: CallDefaults, *, model: str | None = None, tool: object = None):
    return prepare_request(
        "a fox",
        defaults,
        tool=tool,  # type: ignore[arg-type]
        model=model,
        instructions=None,
        previous_response_id=None,
        store=None,
        force_image=None,
        stream=False,
        extra_body=None,
    )


def test_a_call_with_a_retired_image_model_warns_once_naming_date_and_replacement():
    defaults = CallDefaults(model="gpt-5.1", image_deployment="gpt-image-1", today=TODAY)
    with pytest.warns(ModelRetiredWarning) as record:
        call(defaults)
        call(defaults)
    [warning] = record
    assert "2026-10-23" in str(warning.message) and "gpt-image-2" in str(warning.message)


def test_a_mapped_deployment_is_judged_by_its_model():
    defaults = CallDefaults(
        model="chat",
        image_deployment="prod-img",
        deployment_models={"prod-img": "gpt-image-1", "chat": "gpt-5.1"},
        today=TODAY,
    )
    with pytest.warns(ModelRetiredWarning, match="gpt-image-1 \\(deployment 'prod-img'\\)"):
        request, tool = call(defaults)
    assert request.headers["x-ms-oai-image-generation-deployment"] == "prod-img"
    assert tool.image_model == "gpt-image-1" and "image_model" not in request.json["tools"][0]


def test_current_models_pass_a_call_silently():
    defaults = CallDefaults(model="gpt-5.1", image_deployment="gpt-image-2", today=TODAY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call(defaults)


def test_no_day_means_no_lifecycle_check():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call(CallDefaults(model="gpt-4.1", image_deployment="gpt-image-1"))


def test_unknown_deployments_warn_once_at_call_time():
    defaults = CallDefaults(model="chat-prod", image_deployment="img-prod", today=TODAY)
    with pytest.warns(UnknownModelWarning) as record:
        call(defaults)
        call(defaults)
    assert sorted("img-prod" in str(w.message) for w in record) == [False, True]


def test_an_image_model_as_orchestrator_is_refused():
    defaults = CallDefaults(model="gpt-image-2", image_deployment="img", deployment_models={"img": "gpt-image-1-mini"})
    with pytest.raises(ConfigurationError, match="orchestrator must be a chat model") as info:
        call(defaults)
    assert "model='gpt-image-2'" in str(info.value) and "Fix:" in str(info.value)


def test_warnings_point_at_the_callers_line():
    with pytest.warns(UnknownModelWarning) as record:
        ImageGenerationTool(image_deployment="prod-x", size="2048x1152")
    tool = ImageGenerationTool(output_format="webp")
    with pytest.warns(DisputedRuleWarning) as later:
        tool.with_defaults(image_deployment="gpt-image-2")
    assert record[0].filename == __file__ and later[0].filename == __file__


def test_custom_sizes_follow_the_model_rule_and_warn_where_unstated():
    assert quiet(model="gpt-image-2.5-flare", size="2048x1152").size == "2048x1152"
    loc, msg = refusal(model="gpt-image-2.5-flare", size="4096x2304")
    assert loc == ("size",) and "gpt-image-2.5-flare size rules" in msg
    # gpt-image-2.6: no source gives its custom sizes, so even an odd one is sent, with a warning.
    with pytest.warns(DisputedRuleWarning, match="no source states"):
        ImageGenerationTool(model="gpt-image-2.6-flare", size="4096x2304")


def test_an_orchestrator_no_source_vouches_for_warns_once():
    defaults = CallDefaults(model="gpt-6-sol", image_deployment="gpt-image-2", today=TODAY)
    with pytest.warns(UnknownModelWarning, match="can host the image tool") as record:
        call(defaults)
        call(defaults)
    assert len([w for w in record if "can host" in str(w.message)]) == 1
