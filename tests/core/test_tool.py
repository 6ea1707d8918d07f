"""ImageGenerationTool: local validation (exact error lists), wire JSON, header, request building."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from foundry_imagegen import (
    IMAGE_DEPLOYMENT_HEADER,
    ConfigurationError,
    ImageGenerationTool,
    InputImageMask,
    MissingImageDeploymentError,
    ToolConfigWarning,
)


def errors(**fields: object) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as info:
        ImageGenerationTool(**fields)  # type: ignore[arg-type]
    return [(e["loc"], e["msg"]) for e in info.value.errors(include_url=False)]


def test_defaults_send_only_the_type() -> None:
    assert ImageGenerationTool().to_param() == {"type": "image_generation"}


def test_to_param_omits_unset_and_puts_deployment_in_model() -> None:
    tool = ImageGenerationTool(image_deployment="img-prod", size="1024x1536", quality="low", partial_images=2)
    assert tool.to_param() == {
        "type": "image_generation",
        "model": "img-prod",
        "quality": "low",
        "size": "1024x1536",
        "partial_images": 2,
    }
    assert "deployment" not in tool.to_param()


def test_explicit_model_wins_on_the_wire() -> None:
    assert ImageGenerationTool(image_deployment="img", model="gpt-image-1").to_param()["model"] == "gpt-image-1"


def test_every_field_round_trips() -> None:
    tool = ImageGenerationTool(
        image_deployment="gpt-image-1",
        model="gpt-image-1",
        output_format="webp",
        background="transparent",
        output_compression=70,
        quality="high",
        size="1536x1024",
        moderation="low",
        partial_images=3,
        input_fidelity="high",
        input_image_mask=InputImageMask(file_id="assistant-1"),
        action="edit",
    )
    param = tool.to_param()
    assert param["input_image_mask"] == {"file_id": "assistant-1"}
    assert ImageGenerationTool.coerce({**param, "image_deployment": "gpt-image-1"}) == tool


def test_headers_and_missing_deployment() -> None:
    assert ImageGenerationTool(image_deployment="gpt-image-1").headers() == {IMAGE_DEPLOYMENT_HEADER: "gpt-image-1"}
    with pytest.raises(MissingImageDeploymentError) as info:
        ImageGenerationTool().headers()
    message = str(info.value)
    assert IMAGE_DEPLOYMENT_HEADER in message and "deployment=" in message and "Fix:" in message
    assert isinstance(info.value, ValueError)


def test_openai_adapter() -> None:
    tool = ImageGenerationTool(image_deployment="gpt-image-1", quality="low")
    assert tool.to_openai_kwargs() == {
        "tools": [{"type": "image_generation", "model": "gpt-image-1", "quality": "low"}],
        "extra_headers": {IMAGE_DEPLOYMENT_HEADER: "gpt-image-1"},
    }


def test_partial_images_range() -> None:
    assert errors(partial_images=4) == [
        (("partial_images",), "partial_images=4 is out of range. Fix: use 0, 1, 2 or 3")
    ]
    assert errors(partial_images=True) == [
        (("partial_images",), "partial_images=True must be an integer, not a bool. Fix: pass a number")
    ]


def test_compression_needs_jpeg_or_webp() -> None:
    assert errors(output_compression=80) == [
        (
            ("output_compression",),
            "output_compression=80 applies only to jpeg or webp output, but output_format is png (the "
            "default). Fix: set output_format='jpeg' or 'webp', or leave output_compression unset",
        )
    ]
    assert errors(output_format="jpeg", output_compression=101) == [
        (("output_compression",), "output_compression=101 is out of range. Fix: use an integer from 0 to 100")
    ]
    assert ImageGenerationTool(output_format="jpeg", output_compression=0).output_compression == 0


def test_transparent_needs_alpha() -> None:
    assert errors(output_format="jpeg", background="transparent") == [
        (
            ("background",),
            "background='transparent' needs an alpha channel, which jpeg lacks. Fix: set "
            "output_format='png' (or 'webp'), or background='opaque'",
        )
    ]
    ImageGenerationTool(background="transparent")  # png by default
    ImageGenerationTool(background="transparent", output_format="webp")


def test_enum_fields_list_the_choices() -> None:
    [(loc, msg)] = errors(quality="ultra")
    assert loc == ("quality",) and "'low', 'medium', 'high', 'xhigh', 'max' or 'auto'" in msg


def test_unknown_field_is_refused() -> None:
    [(loc, msg)] = errors(n=2)
    assert loc == ("n",) and "Extra inputs are not permitted" in msg


@pytest.mark.parametrize("size", ["1024x1024", "1024x1536", "1536x1024", "auto"])
def test_fixed_sizes_are_fine_for_every_model(size: str) -> None:
    for model in ("gpt-image-1", "gpt-image-1-mini", "gpt-image-2", "some-future-model"):
        ImageGenerationTool(model=model, size=size)


def test_custom_size_only_for_gpt_image_2() -> None:
    assert ImageGenerationTool(model="gpt-image-2", size="2048x1152").size == "2048x1152"
    assert ImageGenerationTool(image_deployment="gpt-image-2-2026-04-21", size="3840x2160").size == "3840x2160"
    assert errors(model="gpt-image-1", size="2048x1152") == [
        (
            ("size",),
            "size='2048x1152' is a custom size, which gpt-image-1 does not support. Fix: use one of "
            "1024x1024, 1024x1536, 1536x1024 or 'auto', or a gpt-image-2 deployment",
        )
    ]


@pytest.mark.parametrize(
    ("size", "problem"),
    [
        ("1000x1008", "both edges must be multiples of 16"),
        ("3200x1024", "the aspect ratio must be between 1:3 and 3:1"),
        ("4096x2304", "the long edge must be at most 3840"),
        ("512x512", "the pixel count must be between 655,360 and 8,294,400"),
    ],
)
def test_gpt_image_2_size_rules(size: str, problem: str) -> None:
    [(loc, msg)] = errors(model="gpt-image-2", size=size)
    assert loc == ("size",)
    assert msg.startswith(f"size={size!r} breaks the gpt-image-2 size rules:") and problem in msg


def test_size_syntax() -> None:
    [(loc, msg)] = errors(size="big")
    assert loc == ("size",) and "is not a size" in msg and "WIDTHxHEIGHT" in msg


def test_custom_size_on_unknown_model_warns_but_passes() -> None:
    with pytest.warns(ToolConfigWarning, match="not checked locally"):
        tool = ImageGenerationTool(image_deployment="prod-images", size="2048x1152")
    assert tool.size == "2048x1152"


def test_input_fidelity_not_on_mini() -> None:
    # gpt-image-1-mini takes only 'low' (and the sources disagree on that); 'high' is refused.
    assert errors(model="gpt-image-1-mini", input_fidelity="high") == [
        (
            ("input_fidelity",),
            "input_fidelity='high' is not supported by gpt-image-1-mini (it takes only 'low', and sources "
            "disagree even on that). Fix: leave input_fidelity unset (None is never sent), or a deployment "
            "of gpt-image-1, gpt-image-1.5",
        )
    ]
    ImageGenerationTool(model="gpt-image-1", input_fidelity="high")


def test_deployment_name_is_checked() -> None:
    [(loc, msg)] = errors(image_deployment="gpt image\n1")
    assert loc == ("image_deployment",) and "is not a deployment name" in msg


def test_mask_needs_exactly_one_source() -> None:
    with pytest.raises(ValidationError, match="exactly one of image_url or file_id"):
        InputImageMask()
    with pytest.raises(ValidationError, match="exactly one of image_url or file_id"):
        InputImageMask(image_url="data:image/png;base64,AA", file_id="f")


def test_frozen_and_replace_revalidates() -> None:
    tool = ImageGenerationTool(image_deployment="gpt-image-1")
    with pytest.raises(ValidationError):
        tool.quality = "low"
    assert tool.replace(quality="low").quality == "low"
    with pytest.raises(ValidationError):
        tool.replace(partial_images=9)


def test_coerce_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="Fix: pass an ImageGenerationTool"):
        ImageGenerationTool.coerce(["image_generation"])  # type: ignore[arg-type]


def test_build_request_shape() -> None:
    tool = ImageGenerationTool(image_deployment="gpt-image-1", quality="low")
    req = tool.build_request(
        "a red fox",
        model="gpt-4.1",
        instructions="Draw.",
        tool_choice="image_generation",
        previous_response_id="resp_1",
        store=True,
    )
    assert (req.method, req.path) == ("POST", "/responses")
    assert req.headers == {IMAGE_DEPLOYMENT_HEADER: "gpt-image-1"}
    assert req.json == {
        "model": "gpt-4.1",
        "input": "a red fox",
        "instructions": "Draw.",
        "tools": [{"type": "image_generation", "model": "gpt-image-1", "quality": "low"}],
        "tool_choice": {"type": "image_generation"},
        "previous_response_id": "resp_1",
        "store": True,
    }
    assert not req.stream and req.image_deployment == "gpt-image-1"


def test_streaming_without_partial_images_sends_one() -> None:
    req = ImageGenerationTool(image_deployment="gpt-image-1").build_request("x", model="gpt-4.1", stream=True)
    assert req.json["stream"] is True and req.stream
    assert req.json["tools"][0]["partial_images"] == 1
    assert req.headers["Accept"] == "text/event-stream"
    explicit = ImageGenerationTool(image_deployment="gpt-image-1", partial_images=0)
    assert explicit.build_request("x", model="gpt-4.1", stream=True).json["tools"][0]["partial_images"] == 0


def test_message_list_input_is_copied() -> None:
    messages = [{"role": "user", "content": "a fox"}]
    req = ImageGenerationTool(image_deployment="d").build_request(messages, model="gpt-4.1")
    assert req.json["input"] == messages and req.json["input"][0] is not messages[0]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"input": "a cat", "model": None}, "model=None"),
        ({"input": "a cat", "model": "gpt-image-1"}, "is also the image deployment"),
        ({"input": "   ", "model": "gpt-4.1"}, "input='' is empty"),
        ({"input": [], "model": "gpt-4.1"}, "input=[] has no items"),
        ({"input": ["a cat"], "model": "gpt-4.1"}, "input[0] is a str"),
        ({"input": b"a cat", "model": "gpt-4.1"}, "input is a bytes"),
        ({"input": "a cat", "model": "gpt-4.1", "tool_choice": "always"}, "tool_choice='always'"),
    ],
)
def test_build_request_refuses_bad_calls(kwargs: dict[str, object], needle: str) -> None:
    tool = ImageGenerationTool(image_deployment="gpt-image-1")
    with pytest.raises(ConfigurationError) as info:
        tool.build_request(**kwargs)  # type: ignore[arg-type]
    assert needle in str(info.value) and "Fix:" in str(info.value)


_any_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5000),
    st.text(max_size=12),
    st.sampled_from(["png", "jpeg", "webp"]),
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        name: _any_value
        for name in (
            "model",
            "size",
            "quality",
            "background",
            "output_format",
            "output_compression",
            "moderation",
            "partial_images",
            "input_fidelity",
            "action",
        )
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_fields)
def test_any_input_gives_a_valid_tool_or_a_validation_error(fields: dict[str, object]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolConfigWarning)
        try:
            tool = ImageGenerationTool(**fields)  # type: ignore[arg-type]
        except ValidationError as exc:
            for error in exc.errors():
                assert error["loc"], error  # every error names its field
            return
    param = tool.to_param()
    assert param["type"] == "image_generation"
    assert None not in param.values()
    if tool.output_compression is not None:
        assert tool.output_format in ("jpeg", "webp")
    if tool.background == "transparent":
        assert tool.output_format != "jpeg"


def test_the_old_deployment_spelling_still_works_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match="image_deployment"):
        tool = ImageGenerationTool(deployment="img")  # type: ignore[call-arg]
    assert tool.image_deployment == "img" and tool.headers() == {IMAGE_DEPLOYMENT_HEADER: "img"}
    with pytest.warns(DeprecationWarning, match="tool.image_deployment"):
        assert tool.deployment == "img"
    with pytest.raises(ValidationError, match="image_deployment= only"):
        ImageGenerationTool(deployment="a", image_deployment="b")  # type: ignore[call-arg]
