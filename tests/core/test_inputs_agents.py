"""Pure core of agents, image inputs, masks and edits: names, wire shapes of agent builders and agent
calls, how every kind of image input resolves (and how it is refused), mask checks and edit plans."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image

from foundry_imagegen import (
    IMAGE_DEPLOYMENT_HEADER,
    Agent,
    AgentReference,
    AgentVersion,
    ConfigurationError,
    FileId,
    GeneratedImage,
    GenerationResult,
    ImageGenerationTool,
    MaskWarning,
    MissingImageDeploymentError,
)
from foundry_imagegen._core.agents import (
    agent_reference_param,
    build_create_version,
    build_delete_agent,
    build_delete_file,
    build_delete_version,
    build_get_agent,
    build_get_version,
    build_list_versions,
    build_upload,
    validate_agent_name,
)
from foundry_imagegen._core.inputs import (
    MAX_DATA_URL_CHARS,
    MAX_IMAGE_BYTES,
    check_mask,
    plan_edit,
)
from foundry_imagegen._core.request import build_responses_request, with_images
from foundry_imagegen._core.results import Response
from foundry_imagegen._shell.disk import resolve_image
from testkit import make_png

PROJECT = "https://acme.services.ai.azure.com/api/projects/p1"
BASE = PROJECT + "/openai/v1"
TOOL = ImageGenerationTool(image_deployment="gpt-image-1")


def pil_png(width: int, height: int, mode: str = "RGBA", *, clear: tuple[int, int, int, int] | None = None) -> bytes:
    """A PNG drawn with Pillow; ``clear`` (x0, y0, x1, y1) is made fully transparent (alpha 0)."""
    image = Image.new(mode, (width, height), (10, 20, 30, 255) if mode == "RGBA" else (10, 20, 30))
    if clear is not None:
        x0, y0, x1, y1 = clear
        for x in range(x0, x1):
            for y in range(y0, y1):
                image.putpixel((x, y), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def encoded(width: int, height: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 100, 50)).save(buffer, fmt)
    return buffer.getvalue()


def result(*, store: bool | None, images: tuple[GeneratedImage, ...] | None = None) -> GenerationResult:
    if images is None:
        images = (GeneratedImage(id="ig_1", data=make_png(16, 16), format="png"),)
    return GenerationResult(response=Response(id="resp_prev", status="completed", store=store), images=images)


# --------------------------------------------------------------------------- agent names


@pytest.mark.parametrize("name", ["a", "7", "poster", "Poster-Artist-2", "a-b", "a--b", "1-2-3", "a" * 63])
def test_valid_agent_names_are_returned_unchanged(name):
    assert validate_agent_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "-a", "a-", "-", "a" * 64, "a_b", "a b", "a.b", "poster!", "äb", " a", "a\n", None, 5, b"abc"],
)
def test_invalid_agent_names_raise_configuration_error_with_the_fix(name):
    with pytest.raises(ConfigurationError) as info:
        validate_agent_name(name)
    assert type(info.value) is ConfigurationError
    assert str(info.value) == (
        f"agent name {name!r} is not valid: it needs 1-63 letters, digits or hyphens, starting and "
        "ending with a letter or digit. Fix: e.g. 'poster-artist'"
    )


def test_agent_reference_validates_its_name():
    assert AgentReference(name="poster").version is None
    assert AgentReference(name="poster", version="3").version == "3"
    for bad in ("-poster", "a" * 64, "with space"):
        with pytest.raises(ValueError, match=re.escape("Fix: e.g. 'poster-artist'")):
            AgentReference(name=bad)


def test_agent_reference_is_frozen_and_strict():
    ref = AgentReference(name="poster")
    with pytest.raises(ValueError):
        ref.name = "other"  # type: ignore[misc]
    with pytest.raises(ValueError):
        AgentReference(name="poster", id="x")  # type: ignore[call-arg]


def test_agent_reference_param_names_the_version_only_when_given():
    assert agent_reference_param(AgentReference(name="poster")) == {"type": "agent_reference", "name": "poster"}
    assert agent_reference_param(AgentReference(name="poster", version="2")) == {
        "type": "agent_reference",
        "name": "poster",
        "version": "2",
    }


# --------------------------------------------------------------------------- agent models


def version(tools: list[object], **extra: object) -> AgentVersion:
    return AgentVersion(
        name="poster", version="4", definition={"kind": "prompt", "model": "gpt-4.1", "tools": tools}, **extra
    )


def test_image_tool_turns_the_wire_model_into_the_deployment():
    v = version(
        [
            {"type": "code_interpreter"},
            {"type": "image_generation", "model": "img-deploy", "quality": "low", "size": "1024x1536", "n": 1},
        ]
    )

    tool = v.image_tool

    assert isinstance(tool, ImageGenerationTool)
    assert tool.image_deployment == "img-deploy"
    assert (tool.quality, tool.size) == ("low", "1024x1536")
    assert tool.headers() == {IMAGE_DEPLOYMENT_HEADER: "img-deploy"}
    assert tool.to_param() == {"type": "image_generation", "model": "img-deploy", "quality": "low", "size": "1024x1536"}


def test_image_tool_is_none_without_an_image_tool_or_with_a_broken_one():
    assert version([]).image_tool is None
    assert version([{"type": "code_interpreter"}, "junk"]).image_tool is None
    assert AgentVersion(name="poster", version="1").image_tool is None
    assert version([{"type": "image_generation", "quality": "ultra"}]).image_tool is None


def test_image_tool_without_a_model_has_no_deployment():
    tool = version([{"type": "image_generation", "quality": "high"}]).image_tool
    assert tool is not None
    assert (tool.image_deployment, tool.quality) == (None, "high")


def test_version_reference_pins_the_version_and_agent_latest():
    v = version([{"type": "image_generation", "model": "gpt-image-1"}])
    assert v.reference == AgentReference(name="poster", version="4")
    agent = Agent.model_validate({"object": "agent", "id": "poster", "name": "poster", "versions": {"latest": v}})
    assert agent.latest == v
    assert Agent(name="empty").latest is None


# --------------------------------------------------------------------------- agent builders


def test_create_version_body_is_exact():
    tool = ImageGenerationTool(image_deployment="gpt-image-1", quality="low", size="1024x1024")

    call = build_create_version(
        PROJECT,
        "poster",
        model="gpt-4.1",
        tool=tool,
        instructions="Draw posters.",
        description="Poster artist",
        metadata={"team": "design"},
    )

    assert (call.method, call.url) == ("POST", PROJECT + "/agents/poster/versions")
    assert dict(call.params) == {"api-version": "v1"}
    assert call.json == {
        "definition": {
            "kind": "prompt",
            "model": "gpt-4.1",
            "instructions": "Draw posters.",
            "tools": [{"type": "image_generation", "model": "gpt-image-1", "quality": "low", "size": "1024x1024"}],
        },
        "description": "Poster artist",
        "metadata": {"team": "design"},
    }
    assert list(call.json["definition"]) == ["kind", "model", "instructions", "tools"]
    assert call.files is None


def test_create_version_omits_what_is_not_given():
    call = build_create_version(
        PROJECT, "poster", model="gpt-4.1", tool=TOOL, instructions=None, description=None, metadata=None
    )
    assert call.json == {
        "definition": {
            "kind": "prompt",
            "model": "gpt-4.1",
            "tools": [{"type": "image_generation", "model": "gpt-image-1"}],
        }
    }


def create(**changes: object):
    kwargs: dict[str, object] = {
        "model": "gpt-4.1",
        "tool": TOOL,
        "instructions": None,
        "description": None,
        "metadata": None,
    }
    kwargs.update(changes)
    return build_create_version(PROJECT, str(kwargs.pop("name", "poster")), **kwargs)  # type: ignore[arg-type]


def test_create_version_refuses_no_model():
    for model in ("", None):
        with pytest.raises(ConfigurationError, match=r"orchestrator \(chat\) model.*Fix: model='gpt-5.1'"):
            create(model=model)


def test_create_version_refuses_a_tool_without_deployment():
    with pytest.raises(MissingImageDeploymentError, match=r"Fix:"):
        create(tool=ImageGenerationTool(quality="low"))


def test_create_version_refuses_the_image_deployment_as_model():
    with pytest.raises(ConfigurationError, match=r"is also the image deployment.*Fix:"):
        create(model="gpt-image-1")


def test_create_version_refuses_a_bad_name():
    with pytest.raises(ConfigurationError, match=r"Fix: e.g. 'poster-artist'"):
        create(name="-poster")


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{i}": "v" for i in range(17)},
        {"k" * 65: "v"},
        {"k": "v" * 513},
    ],
    ids=["17-pairs", "key-65", "value-513"],
)
def test_create_version_refuses_metadata_over_the_limits(metadata):
    with pytest.raises(ConfigurationError, match=r"at most 16 pairs, keys up to 64 and values up to 512.*Fix:"):
        create(metadata=metadata)


def test_create_version_accepts_metadata_at_the_limits():
    metadata = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}
    assert create(metadata=metadata).json["metadata"] == metadata


def test_read_and_delete_builders():
    assert (build_get_agent(PROJECT, "poster").method, build_get_agent(PROJECT, "poster").url) == (
        "GET",
        PROJECT + "/agents/poster",
    )
    call = build_get_version(PROJECT, "poster", "2")
    assert (call.method, call.url, dict(call.params)) == (
        "GET",
        PROJECT + "/agents/poster/versions/2",
        {"api-version": "v1"},
    )
    call = build_list_versions(PROJECT, "poster")
    assert (call.method, call.url) == ("GET", PROJECT + "/agents/poster/versions")
    assert dict(call.params) == {"api-version": "v1", "limit": "100", "order": "asc"}
    assert dict(build_list_versions(PROJECT, "poster", after="poster:2").params) == {
        "api-version": "v1",
        "limit": "100",
        "order": "asc",
        "after": "poster:2",
    }
    call = build_delete_version(PROJECT, "poster", "2")
    assert (call.method, call.url, dict(call.params)) == (
        "DELETE",
        PROJECT + "/agents/poster/versions/2",
        {"api-version": "v1"},
    )
    call = build_delete_agent(PROJECT, "poster")
    assert (call.method, call.url, dict(call.params)) == ("DELETE", PROJECT + "/agents/poster", {"api-version": "v1"})
    for builder in (build_get_agent, build_delete_agent):
        with pytest.raises(ConfigurationError):
            builder(PROJECT, "bad name")


def test_upload_builder_is_multipart_with_a_purpose():
    png = make_png()
    call = build_upload(BASE, png, filename="cat.png", mime="image/png", purpose="assistants")
    assert (call.method, call.url) == ("POST", BASE + "/files")
    assert call.files == {"file": ("cat.png", png, "image/png")}
    assert call.data == {"purpose": "assistants"}
    assert call.json is None
    with pytest.raises(ConfigurationError, match=r"Fix: purpose='assistants'"):
        build_upload(BASE, png, filename="cat.png", mime="image/png", purpose="")
    call = build_delete_file(BASE, "assistant-1")
    assert (call.method, call.url) == ("DELETE", BASE + "/files/assistant-1")


# --------------------------------------------------------------------------- resolve_image


def test_bytes_resolve_with_format_size_and_alpha():
    rgb = resolve_image(make_png(12, 7))
    assert (rgb.kind, rgb.format, rgb.width, rgb.height, rgb.has_alpha) == ("bytes", "png", 12, 7, False)
    assert rgb.data == make_png(12, 7)
    rgba = resolve_image(bytearray(make_png(5, 9, rgba=True)))
    assert (rgba.kind, rgba.width, rgba.height, rgba.has_alpha) == ("bytes", 5, 9, True)
    assert isinstance(rgba.data, bytes)


def test_jpeg_and_webp_bytes_resolve():
    jpeg = resolve_image(encoded(20, 10, "JPEG"))
    assert (jpeg.format, jpeg.width, jpeg.height, jpeg.has_alpha) == ("jpeg", 20, 10, None)
    webp = resolve_image(encoded(6, 4, "WEBP"))
    assert (webp.format, webp.width, webp.height) == ("webp", 6, 4)


def test_paths_resolve_from_path_and_str(tmp_path):
    path = tmp_path / "cat.png"
    path.write_bytes(make_png(3, 4))
    for value in (path, str(path)):
        image = resolve_image(value)
        assert (image.kind, image.format, image.width, image.height, image.name) == ("bytes", "png", 3, 4, "cat.png")
        assert image.data == path.read_bytes()


def test_urls_pass_through_unread():
    for url in ("https://example.com/cat.png", "http://example.com/cat"):
        image = resolve_image(url)
        assert (image.kind, image.url, image.data) == ("url", url, None)


def test_data_url_is_decoded_and_checked():
    png = make_png(6, 2)
    image = resolve_image("data:image/png;base64," + base64.b64encode(png).decode())
    assert (image.kind, image.data, image.format, image.width, image.height) == ("bytes", png, "png", 6, 2)


def test_file_id_is_taken_as_an_uploaded_file_not_a_path():
    image = resolve_image(FileId("assistant-abc"))
    assert (image.kind, image.file_id, image.data) == ("file_id", "assistant-abc", None)


def test_generated_image_resolves_to_its_bytes():
    png = make_png(10, 10)
    image = resolve_image(GeneratedImage(id="ig_9", data=png, format="png"))
    assert (image.kind, image.data, image.name, image.width) == ("bytes", png, "ig_9", 10)


def test_empty_inputs_are_refused():
    with pytest.raises(ConfigurationError, match=r"mask is empty. Fix:"):
        resolve_image(b"", param="mask")
    with pytest.raises(ConfigurationError, match=r"FileId\(''\) is empty. Fix: pass the id returned by files.upload"):
        resolve_image(FileId(" "))


def test_non_images_are_refused():
    with pytest.raises(ConfigurationError, match=r"images\[0\] \(bytes\) is not a PNG, JPEG or WebP image.*Fix:"):
        resolve_image(b"hello world", param="images[0]")
    gif = b"GIF89a" + b"\x00" * 20
    with pytest.raises(ConfigurationError, match=r"not a PNG, JPEG or WebP"):
        resolve_image(gif)


def test_missing_path_mentions_file_id(tmp_path):
    missing = tmp_path / "nope.png"
    for value in (missing, str(missing), "assistant-KaVLJQTiWEvdz8yJQHHkqJ"):
        with pytest.raises(ConfigurationError) as info:
            resolve_image(value)
        message = str(info.value)
        assert str(value) in message
        assert "Fix:" in message and "FileId('assistant-...')" in message


def test_data_url_over_the_service_limit_is_refused():
    prefix = "data:image/png;base64,"
    too_long = prefix + "A" * (MAX_DATA_URL_CHARS - len(prefix) + 1)
    assert len(too_long) == MAX_DATA_URL_CHARS + 1
    with pytest.raises(ConfigurationError, match=r"20,971,521 characters.*Fix: upload it \(upload_images=True\)"):
        resolve_image(too_long)


def test_data_url_of_something_else_is_refused():
    with pytest.raises(ConfigurationError, match=r"not a PNG, JPEG or WebP"):
        resolve_image("data:text/plain;base64," + base64.b64encode(b"hello").decode())
    with pytest.raises(ConfigurationError, match=r"base64 is broken. Fix:"):
        resolve_image("data:image/png;base64,%%%not-base64%%%")


def test_images_over_the_size_cap_are_refused():
    huge = make_png() + b"\x00" * (MAX_IMAGE_BYTES - len(make_png()) + 1)
    with pytest.raises(ConfigurationError, match=r"MiB limit. Fix:"):
        resolve_image(huge)


def test_other_types_are_refused():
    for value in (42, 1.5, [b"x"], None):
        with pytest.raises(ConfigurationError, match=r"Fix: pass bytes, a path, a URL, a FileId or a GeneratedImage"):
            resolve_image(value)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- wire parts


def test_input_part_and_mask_param_of_bytes_are_data_urls():
    png = make_png(4, 4)
    image = resolve_image(png)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    assert image.data_url() == url
    assert image.input_part() == {"type": "input_image", "image_url": url, "detail": "auto"}
    assert image.input_part("high") == {"type": "input_image", "image_url": url, "detail": "high"}
    assert image.mask_param() == {"image_url": url}
    jpeg = resolve_image(encoded(4, 4, "JPEG"))
    assert jpeg.input_part()["image_url"].startswith("data:image/jpeg;base64,")


def test_input_part_and_mask_param_of_urls_and_file_ids():
    url = resolve_image("https://example.com/cat.png")
    assert url.input_part() == {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "auto"}
    assert url.mask_param() == {"image_url": "https://example.com/cat.png"}
    file = resolve_image(FileId("assistant-1"))
    assert file.input_part() == {"type": "input_image", "file_id": "assistant-1", "detail": "auto"}
    assert file.mask_param() == {"file_id": "assistant-1"}


def test_with_file_id_keeps_the_image_facts():
    image = resolve_image(make_png(5, 6, rgba=True)).with_file_id("assistant-7")
    assert (image.kind, image.file_id, image.data, image.width, image.height, image.has_alpha, image.format) == (
        "file_id",
        "assistant-7",
        None,
        5,
        6,
        True,
        "png",
    )
    assert image.input_part() == {"type": "input_image", "file_id": "assistant-7", "detail": "auto"}


# --------------------------------------------------------------------------- masks


def test_mask_must_be_png():
    mask = resolve_image(encoded(8, 8, "JPEG"), param="mask")
    with pytest.raises(ConfigurationError, match=r"is jpeg, but a mask must be a PNG.*Fix: save the mask as PNG"):
        check_mask(mask, resolve_image(make_png(8, 8)))


def test_mask_needs_an_alpha_channel():
    with pytest.raises(ConfigurationError, match=r"has no alpha channel.*Fix: save it as RGBA PNG"):
        check_mask(resolve_image(make_png(8, 8), param="mask"), resolve_image(make_png(8, 8)))


def test_mask_must_match_the_image_size():
    mask = resolve_image(pil_png(16, 8, clear=(0, 0, 4, 4)), param="mask")
    with pytest.raises(ConfigurationError) as info:
        check_mask(mask, resolve_image(make_png(8, 16)))
    assert str(info.value) == (
        "mask is 16x8 but the image is 8x16. Fix: make the mask exactly the size of the image it masks"
    )


def test_a_good_mask_passes_silently():
    # filterwarnings=error: a MaskWarning here would fail the test.
    mask = resolve_image(pil_png(16, 16, clear=(4, 4, 8, 8)), param="mask")
    assert check_mask(mask, resolve_image(make_png(16, 16))) is None
    assert check_mask(mask, None) is None  # no base known: only the mask itself is checked
    assert check_mask(resolve_image(pil_png(32, 32, clear=(0, 0, 1, 1))), None) is None


def test_palette_mask_with_transparency_counts_as_alpha():
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    image.putpixel((0, 0), 0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    assert check_mask(resolve_image(buffer.getvalue(), param="mask"), resolve_image(make_png(8, 8))) is None


def test_url_and_file_id_masks_are_left_to_the_service():
    base = resolve_image(make_png(8, 8))
    assert check_mask(resolve_image(FileId("assistant-m")), base) is None
    assert check_mask(resolve_image("https://example.com/m.png"), base) is None


def test_mask_without_a_transparent_pixel_warns():
    opaque = resolve_image(make_png(8, 8, rgba=True), param="mask")  # alpha 3..31, never 0
    with pytest.warns(MaskWarning, match=r"no fully transparent pixel"):
        check_mask(opaque, resolve_image(make_png(8, 8)))
    with pytest.warns(MaskWarning):
        check_mask(resolve_image(pil_png(8, 8)), None)


# --------------------------------------------------------------------------- edit plans


def test_stored_result_continues_by_previous_response_id():
    previous = result(store=True)
    plan = plan_edit(previous)
    assert (plan.via, plan.previous_response_id, plan.image) == ("previous_response_id", "resp_prev", None)
    assert plan.base is previous.images[0]
    assert plan_edit(previous, via="previous_response_id") == plan


@pytest.mark.parametrize("store", [False, None])
def test_unstored_result_resends_its_image(store):
    previous = result(store=store)
    plan = plan_edit(previous)
    assert (plan.via, plan.previous_response_id) == ("input_image", None)
    assert plan.image is previous.images[0]
    assert plan.base is previous.images[0]


def test_unstored_result_without_images_cannot_be_continued():
    with pytest.raises(ConfigurationError, match=r"not stored and holds no image bytes. Fix:"):
        plan_edit(result(store=False, images=()))


def test_via_forces_the_way():
    stored = result(store=True)
    plan = plan_edit(stored, via="input_image")
    assert (plan.via, plan.image, plan.previous_response_id) == ("input_image", stored.images[0], None)
    with pytest.raises(ConfigurationError, match=r"was not stored \(store=False\). Fix: generate with store=True"):
        plan_edit(result(store=False), via="previous_response_id")
    with pytest.raises(ConfigurationError, match=r"needs a GenerationResult.*Fix:"):
        plan_edit(make_png(), via="previous_response_id")


def test_bad_via_is_refused():
    for via in ("previous", "", "AUTO"):
        with pytest.raises(ConfigurationError, match=r"Fix: 'auto', 'previous_response_id' or 'input_image'"):
            plan_edit(result(store=True), via=via)


def test_plain_image_inputs_are_sent_as_input_images():
    png = make_png()
    plan = plan_edit(png)
    # The plan holds the input resolved (checked now, under the name `previous`), not the raw value.
    assert (plan.via, plan.base, plan.previous_response_id) == ("input_image", None, None)
    assert resolve_image(plan.image).data == png
    generated = GeneratedImage(id="ig_2", data=png, format="png")
    plan = plan_edit(generated)
    assert (plan.via, plan.base) == ("input_image", generated)
    assert resolve_image(plan.image).data == png
    assert resolve_image(plan_edit(FileId("assistant-1")).image).file_id == "assistant-1"
    with pytest.raises(ConfigurationError, match=r"previous='nope\.png'"):
        plan_edit("nope.png")


# --------------------------------------------------------------------------- with_images


def test_with_images_builds_one_user_message():
    png = make_png(4, 4)
    images = [resolve_image(png), resolve_image(FileId("assistant-2"))]

    value = with_images("make it night", images)

    assert value == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "make it night"},
                {
                    "type": "input_image",
                    "image_url": "data:image/png;base64," + base64.b64encode(png).decode(),
                    "detail": "auto",
                },
                {"type": "input_image", "file_id": "assistant-2", "detail": "auto"},
            ],
        }
    ]


def test_with_images_without_images_keeps_the_input():
    messages = [{"role": "user", "content": "hi"}]
    assert with_images("a fox", []) == "a fox"
    assert with_images(messages, []) is messages


def test_with_images_refuses_message_lists_and_empty_prompts():
    image = resolve_image(make_png())
    with pytest.raises(ConfigurationError, match=r"images= needs a string prompt. Fix:"):
        with_images([{"role": "user", "content": "hi"}], [image])
    with pytest.raises(ConfigurationError, match=r"empty. Fix:"):
        with_images("  ", [image])


# --------------------------------------------------------------------------- agent requests


def test_agent_request_names_the_agent_instead_of_model_and_tools():
    request = build_responses_request(
        TOOL, "a poster", model="gpt-4.1", agent=AgentReference(name="poster", version="2")
    )

    assert (request.method, request.path) == ("POST", "/responses")
    assert request.json == {
        "agent_reference": {"type": "agent_reference", "name": "poster", "version": "2"},
        "input": "a poster",
    }
    assert dict(request.headers) == {IMAGE_DEPLOYMENT_HEADER: "gpt-image-1"}
    assert not request.stream


def test_agent_request_without_version_and_with_options():
    request = build_responses_request(
        TOOL,
        [{"role": "user", "content": "a poster"}],
        model=None,
        agent=AgentReference(name="poster"),
        instructions="Bold colours.",
        tool_choice="image_generation",
        previous_response_id="resp_1",
        store=False,
        stream=True,
        extra_body={"metadata": {"run": "7"}},
    )

    assert request.json == {
        "agent_reference": {"type": "agent_reference", "name": "poster"},
        "input": [{"role": "user", "content": "a poster"}],
        "instructions": "Bold colours.",
        "tool_choice": {"type": "image_generation"},
        "previous_response_id": "resp_1",
        "store": False,
        "stream": True,
        "metadata": {"run": "7"},
    }
    assert request.headers == {IMAGE_DEPLOYMENT_HEADER: "gpt-image-1", "Accept": "text/event-stream"}


def test_legacy_agent_field():
    request = build_responses_request(
        TOOL, "a poster", model=None, agent=AgentReference(name="poster"), agent_field="agent"
    )
    assert request.json == {"agent": {"type": "agent_reference", "name": "poster"}, "input": "a poster"}
    with pytest.raises(ConfigurationError, match=r"Fix: 'agent_reference' or 'agent'"):
        build_responses_request(TOOL, "a poster", model=None, agent=AgentReference(name="poster"), agent_field="ref")


def test_agent_request_refuses_tool_settings_it_would_drop():
    tool = ImageGenerationTool(image_deployment="gpt-image-1", size="1024x1024", quality="low")
    with pytest.raises(ConfigurationError) as info:
        build_responses_request(tool, "a poster", model=None, agent=AgentReference(name="poster"))
    assert "tool sets quality, size" in str(info.value)
    assert "Fix: create an agent version with those settings" in str(info.value)
    with pytest.raises(ConfigurationError, match=r"tool sets partial_images"):
        build_responses_request(
            ImageGenerationTool(image_deployment="gpt-image-1", partial_images=2),
            "a poster",
            model=None,
            agent=AgentReference(name="poster"),
        )


def test_agent_request_accepts_a_tool_that_only_names_the_deployment():
    tool = ImageGenerationTool(image_deployment="img")
    request = build_responses_request(tool, "a poster", model=None, agent=AgentReference(name="poster"))
    assert request.headers == {IMAGE_DEPLOYMENT_HEADER: "img"}
    assert "tools" not in request.json and "model" not in request.json


def test_agent_request_refuses_a_tool_model_it_would_drop():
    tool = ImageGenerationTool(image_deployment="img", model="gpt-image-2")
    with pytest.raises(ConfigurationError, match="tool sets model"):
        build_responses_request(tool, "a poster", model=None, agent=AgentReference(name="poster"))


@pytest.mark.parametrize("key", ["stream", "model", "tools", "agent_reference", "store"])
def test_extra_body_cannot_set_fields_the_sdk_owns(key):
    tool = ImageGenerationTool(image_deployment="img")
    with pytest.raises(ConfigurationError, match=f"extra_body sets {key}"):
        build_responses_request(tool, "x", model="gpt-4.1", extra_body={key: True})
    assert build_responses_request(tool, "x", model="gpt-4.1", extra_body={"metadata": {"a": "b"}}).json["metadata"]


def test_agent_request_still_needs_the_image_header():
    with pytest.raises(MissingImageDeploymentError, match=r"Fix:"):
        build_responses_request(ImageGenerationTool(), "a poster", model=None, agent=AgentReference(name="poster"))


def test_agent_request_checks_input_and_extra_body():
    agent = AgentReference(name="poster")
    with pytest.raises(ConfigurationError, match=r"empty. Fix:"):
        build_responses_request(TOOL, "", model=None, agent=agent)
    with pytest.raises(ConfigurationError, match=r"extra_body sets agent_reference"):
        build_responses_request(TOOL, "a poster", model=None, agent=agent, extra_body={"agent_reference": {}})


def test_without_pillow_the_mask_checks_that_need_decoding_are_skipped(monkeypatch):
    import sys

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 0, 255)).save(buffer, format="PNG")  # alpha channel, no transparent pixel
    opaque_mask = resolve_image(buffer.getvalue(), param="mask")
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now raises ImportError
    check_mask(opaque_mask, resolve_image(make_png(8, 8)))  # header checks pass; no MaskWarning, no error
    with pytest.raises(ConfigurationError, match="mask is 8x8 but the image is 4x4"):
        check_mask(opaque_mask, resolve_image(make_png(4, 4)))
