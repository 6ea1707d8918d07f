"""Agents, uploads, input images, masks and multi-turn edits end to end: both clients over real loopback
sockets against the emulator; what the emulator received, and the decoded pixels it sent back."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops

from foundry_imagegen import (
    AgentReference,
    AgentVersion,
    ConfigurationError,
    FileId,
    GeneratedImage,
    ImageGenerationTool,
    NotFoundError,
)
from tests.e2e.helpers import pil, responses_posts
from tests.testkit import encode

pytestmark = pytest.mark.e2e

IMAGE_HEADER = "x-ms-oai-image-generation-deployment"
TOOL = ImageGenerationTool(image_deployment="gpt-image-1", quality="low")


@pytest.fixture
def harness_options() -> dict[str, Any]:
    # No default image deployment (agents bring their own), and no request here should be retried.
    return {"image_deployment": None, "allow_retries": False}


def gradient(size: int) -> Image.Image:
    """An RGB image whose every pixel differs from its neighbours, so a shifted copy would show."""
    image = Image.new("RGB", (size, size))
    image.putdata([(x % 256, y % 256, (x * y) % 256) for y in range(size) for x in range(size)])
    return image


def mask_with_hole(size: int, box: tuple[int, int, int, int]) -> bytes:
    """An opaque RGBA mask with ``box`` fully transparent: the only area the edit may change."""
    mask = Image.new("RGBA", (size, size), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), box)
    return encode(mask)


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def changed_fraction(diff: Image.Image) -> float:
    gray = diff.convert("L").tobytes()
    return sum(1 for value in gray if value) / len(gray)


def assert_only_the_hole_changed(before: Image.Image, after: GeneratedImage, hole: tuple[int, int, int, int]) -> None:
    """``hole`` is in output pixels. The emulator keeps every pixel where the mask's alpha is not 0 exactly
    (nearest-neighbour resize, lossless PNG), so outside the hole the tolerance is zero."""
    out = pil(after.data).convert("RGB")
    expected = before.convert("RGB").resize(out.size, Image.Resampling.NEAREST)
    diff = ImageChops.difference(expected, out)
    outside = diff.copy()
    outside.paste((0, 0, 0), hole)
    assert outside.getbbox() is None, f"pixels outside the mask's hole changed: {outside.getbbox()}"
    inside = diff.crop(hole)
    assert changed_fraction(inside) > 0.5
    assert inside.getbbox() is not None


# --------------------------------------------------------------------------- the seed scenario


async def test_agent_generate_edit_twice_save_and_delete(h, foundry_emulator, tmp_path):
    emu = foundry_emulator
    client = h.client(emu)  # no image_deployment: it comes from the agent's tool

    version = await h.run(
        client.agents.create_version,
        "poster-artist",
        model="gpt-4.1",
        tool=TOOL,
        instructions="Draw bold posters.",
    )
    assert isinstance(version, AgentVersion)
    assert (version.name, version.version) == ("poster-artist", "1")
    assert version.definition == {
        "kind": "prompt",
        "model": "gpt-4.1",
        "instructions": "Draw bold posters.",
        "tools": [{"type": "image_generation", "model": "gpt-image-1", "quality": "low"}],
    }
    assert version.image_tool is not None and version.image_tool.image_deployment == "gpt-image-1"

    first = await h.run(client.generate, "a jazz festival poster", agent=version)
    assert first.response.store is True
    assert first.image.format == "png" and (first.image.width, first.image.height) == (1024, 1024)

    second = await h.run(client.edit, first, "make it night", agent=version)
    assert second.edited_via == "previous_response_id"

    third = await h.run(client.edit, second, "add stars", agent=version, via="input_image", store=False)
    assert third.edited_via == "input_image"
    assert third.response.store is False

    fourth = await h.run(client.edit, third, "add a moon", agent=version, store=False)
    assert fourth.edited_via == "input_image"  # auto: the unstored result is sent again as an image

    posts = responses_posts(emu)
    assert len(posts) == 4
    reference = {"type": "agent_reference", "name": "poster-artist", "version": "1"}
    assert posts[0].json == {"agent_reference": reference, "input": "a jazz festival poster"}
    assert posts[1].json == {
        "agent_reference": reference,
        "input": "make it night",
        "previous_response_id": first.id,
    }
    assert posts[2].json == {
        "agent_reference": reference,
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "add stars"},
                    {"type": "input_image", "image_url": data_url(second.image.data), "detail": "auto"},
                ],
            }
        ],
        "store": False,
    }
    assert posts[3].json["input"][0]["content"][1]["image_url"] == data_url(third.image.data)
    assert "previous_response_id" not in posts[3].json
    for post in posts:
        assert post.headers[IMAGE_HEADER] == "gpt-image-1"
        assert not {"model", "tools", "tool_choice"} & set(post.json)
    for result in (second, third, fourth):
        assert result.revised_prompt is not None and result.revised_prompt.startswith("Edit of the previous image")
        assert result.response.image_calls[0].action == "edit"
    # Every turn is a new picture built on the one before.
    assert len({r.image.data for r in (first, second, third, fourth)}) == 4

    assert [r.method for r in emu.requests if r.method != "POST"] == []  # agent=version: no lookup

    saved = []
    for index, result in enumerate((first, second, third, fourth)):
        saved += result.save_all(tmp_path, stem=f"turn{index}")
    assert [p.name for p in saved] == [f"turn{i}-0.png" for i in range(4)]
    assert [p.read_bytes() for p in saved] == [r.image.data for r in (first, second, third, fourth)]
    assert all(pil(p.read_bytes()).size == (1024, 1024) for p in saved)

    deleted = await h.run(client.agents.delete, "poster-artist")
    assert (deleted.object, deleted.name, deleted.deleted) == ("agent.deleted", "poster-artist", True)
    with pytest.raises(NotFoundError, match="Agent 'poster-artist' not found"):
        await h.run(client.agents.get, "poster-artist")
    with pytest.raises(NotFoundError):
        await h.run(client.generate, "another poster", agent=version)


async def test_unstored_edit_is_not_kept_by_the_service(h, foundry_emulator):
    client = h.client(foundry_emulator, image_deployment="gpt-image-1")
    first = await h.run(client.generate, "a cottage", tool=TOOL, store=False)

    edited = await h.run(client.edit, first, "make it winter", tool=TOOL, store=False)

    assert edited.edited_via == "input_image"
    for result in (first, edited):
        answer = httpx.get(f"{foundry_emulator.endpoint}/openai/v1/responses/{result.id}", headers={"api-key": "k"})
        assert answer.status_code == 404


async def test_agent_name_string_reads_the_agent_for_its_deployment(h, foundry_emulator):
    client = h.client(foundry_emulator)
    await h.run(
        client.agents.create_version, "mini-poster", model="gpt-4.1", tool={"image_deployment": "gpt-image-1-mini"}
    )

    await h.run(client.generate, "a poster", agent="mini-poster")
    await h.run(client.generate, "another poster", agent="mini-poster")

    gets = [r for r in foundry_emulator.requests if r.method == "GET"]
    assert [(r.path, r.query) for r in gets] == [("/api/projects/demo/agents/mini-poster", {"api-version": "v1"})]
    assert [r.headers[IMAGE_HEADER] for r in responses_posts(foundry_emulator)] == ["gpt-image-1-mini"] * 2


async def test_list_versions_and_delete_one_version(h, foundry_emulator):
    client = h.client(foundry_emulator, image_deployment="gpt-image-1")
    for quality in ("low", "medium", "high"):
        await h.run(client.agents.create_version, "painter", tool=ImageGenerationTool(quality=quality))

    versions = await h.run(client.agents.list_versions, "painter")
    assert [(v.version, v.image_tool.quality) for v in versions] == [("1", "low"), ("2", "medium"), ("3", "high")]
    assert (await h.run(client.agents.get, "painter")).latest.version == "3"

    await h.run(client.agents.delete_version, "painter", "3")
    assert (await h.run(client.agents.get_version, "painter", "2")).image_tool.quality == "medium"
    with pytest.raises(NotFoundError):
        await h.run(client.agents.get_version, "painter", "3")
    assert (await h.run(client.agents.get, "painter")).latest.version == "2"


# --------------------------------------------------------------------------- ephemeral agents


@pytest.mark.parametrize("name", ["temp-poster", None], ids=["named", "unnamed"])
async def test_ephemeral_agent_is_gone_after_the_block(h, foundry_emulator, name):
    client = h.client(foundry_emulator)

    async with h.entered(client.agents.ephemeral(name, model="gpt-4.1", tool=TOOL)) as version:
        result = await h.run(client.generate, "a poster", agent=version)
        assert result.image.format == "png"
        assert (await h.run(client.agents.get, version.name)).latest.version == version.version

    if name is not None:
        assert version.name == name
    with pytest.raises(NotFoundError):
        await h.run(client.agents.get, version.name)


@pytest.mark.parametrize("name", ["temp-poster", None], ids=["named", "unnamed"])
async def test_ephemeral_agent_is_gone_when_the_block_raises(h, foundry_emulator, name):
    client = h.client(foundry_emulator)
    seen: list[AgentVersion] = []

    with pytest.raises(KeyError, match="boom"):
        async with h.entered(client.agents.ephemeral(name, model="gpt-4.1", tool=TOOL)) as version:
            seen.append(version)
            await h.run(client.generate, "a poster", agent=version)
            raise KeyError("boom")

    [version] = seen
    with pytest.raises(NotFoundError):
        await h.run(client.agents.get, version.name)
    deletes = [r for r in foundry_emulator.requests if r.method == "DELETE"]
    assert len(deletes) == 1


async def test_named_ephemeral_keeps_the_other_versions(h, foundry_emulator):
    client = h.client(foundry_emulator)
    await h.run(client.agents.create_version, "keeper", model="gpt-4.1", tool=TOOL)

    async with h.entered(client.agents.ephemeral("keeper", model="gpt-4.1", tool=TOOL)) as version:
        assert version.version == "2"

    versions = await h.run(client.agents.list_versions, "keeper")
    assert [v.version for v in versions] == ["1"]


# --------------------------------------------------------------------------- files and input images


async def test_upload_then_generate_from_the_file_id(h, foundry_emulator):
    client = h.client(foundry_emulator, image_deployment="gpt-image-1")
    photo = encode(gradient(256))

    uploaded = await h.run(client.files.upload, photo)
    assert uploaded.id.startswith("assistant-")
    assert (uploaded.bytes, uploaded.purpose, uploaded.filename) == (len(photo), "assistants", "image.png")
    stored = httpx.get(f"{foundry_emulator.endpoint}/openai/v1/files/{uploaded.id}/content", headers={"api-key": "k"})
    assert stored.content == photo

    result = await h.run(client.generate, "make it a watercolour", images=[FileId(uploaded.id)], tool=TOOL)

    [post] = responses_posts(foundry_emulator)
    assert post.json["input"][0]["content"][1] == {"type": "input_image", "file_id": uploaded.id, "detail": "auto"}
    assert result.response.image_calls[0].action == "edit"
    assert result.revised_prompt.startswith("Edit of the previous image")


async def test_upload_images_true_sends_file_ids(h, foundry_emulator):
    client = h.client(foundry_emulator, image_deployment="gpt-image-1")
    photo = encode(gradient(128))

    result = await h.run(client.generate, "sepia", images=[photo], upload_images=True, tool=TOOL)

    upload, post = foundry_emulator.requests
    assert (upload.method, upload.path) == ("POST", "/api/projects/demo/openai/v1/files")
    part = post.json["input"][0]["content"][1]
    assert part["type"] == "input_image" and part["file_id"].startswith("assistant-")
    assert result.response.image_calls[0].action == "edit"


# --------------------------------------------------------------------------- masks


async def test_mask_changes_only_the_transparent_area(h, foundry_emulator):
    client = h.client(foundry_emulator, image_deployment="gpt-image-1")
    base = gradient(256)
    hole = (64, 32, 160, 96)

    result = await h.run(client.edit, encode(base), "a red balloon", mask=mask_with_hole(256, hole), tool=TOOL)

    assert result.edited_via == "input_image"
    assert (result.image.width, result.image.height) == (1024, 1024)  # 256x256 is not a valid size: resized
    assert_only_the_hole_changed(base, result.image, tuple(4 * v for v in hole))  # type: ignore[arg-type]
    [post] = responses_posts(foundry_emulator)
    assert post.json["tools"][0]["input_image_mask"]["image_url"].startswith("data:image/png;base64,")


async def test_mask_on_a_stored_result_continues_by_id(h, foundry_emulator):
    client = h.client(foundry_emulator, image_deployment="gpt-image-1")
    first = await h.run(client.generate, "a quiet lake", tool=TOOL)
    hole = (100, 600, 400, 900)

    edited = await h.run(
        client.edit, first, "a sailing boat", mask=mask_with_hole(1024, hole), tool=TOOL, upload_images=True
    )

    assert edited.edited_via == "previous_response_id"
    assert_only_the_hole_changed(pil(first.image.data), edited.image, hole)
    post = responses_posts(foundry_emulator)[-1]
    assert post.json["previous_response_id"] == first.id
    assert post.json["tools"][0]["input_image_mask"]["file_id"].startswith("assistant-")
    assert post.json["input"] == "a sailing boat"


async def test_wrong_size_mask_is_refused_before_any_request(h, foundry_emulator):
    client = h.client(foundry_emulator, image_deployment="gpt-image-1")

    with pytest.raises(ConfigurationError, match="mask is 128x128 but the image is 256x256"):
        await h.run(client.edit, encode(gradient(256)), "x", mask=mask_with_hole(128, (0, 0, 8, 8)), tool=TOOL)
    with pytest.raises(ConfigurationError, match="mask is 128x128 but the image is 256x256"):
        await h.run(
            client.edit,
            encode(gradient(256)),
            "x",
            mask=mask_with_hole(128, (0, 0, 8, 8)),
            tool=TOOL,
            upload_images=True,
        )
    assert foundry_emulator.requests == []

    first = await h.run(client.generate, "a quiet lake", tool=TOOL)
    with pytest.raises(ConfigurationError, match="mask is 256x256 but the image is 1024x1024"):
        await h.run(client.edit, first, "x", mask=mask_with_hole(256, (0, 0, 8, 8)), tool=TOOL)
    assert len(foundry_emulator.requests) == 1


# --------------------------------------------------------------------------- legacy field and streaming


async def test_legacy_agent_field(h, foundry_emulator):
    client = h.client(foundry_emulator, agent_field="agent")
    version = await h.run(client.agents.create_version, "legacy", model="gpt-4.1", tool=TOOL)

    result = await h.run(client.generate, "an old poster", agent=AgentReference(name="legacy"))

    [post] = responses_posts(foundry_emulator)
    assert post.json == {
        "agent": {"type": "agent_reference", "name": "legacy", "version": "1"},
        "input": "an old poster",
    }
    assert post.headers[IMAGE_HEADER] == "gpt-image-1"
    assert result.image.format == "png"
    assert version.version == "1"


async def test_stream_with_an_agent(h, foundry_emulator):
    client = h.client(foundry_emulator)
    tool = ImageGenerationTool(image_deployment="gpt-image-1", quality="low", partial_images=2)
    version = await h.run(client.agents.create_version, "streamer", model="gpt-4.1", tool=tool)

    async with h.entered(client.stream("a neon poster", agent=version)) as stream:
        images = await h.drain(stream.images())
        result = await h.run(stream.final)

    assert [image.partial_index for image in images] == [0, 1, None]
    assert result.image.data == images[-1].data
    assert pil(result.image.data).size == (1024, 1024)
    [post] = responses_posts(foundry_emulator)
    assert post.json == {
        "agent_reference": {"type": "agent_reference", "name": "streamer", "version": "1"},
        "input": "a neon poster",
        "stream": True,
    }
    assert post.headers[IMAGE_HEADER] == "gpt-image-1"
    assert post.headers["accept"] == "text/event-stream"

    # By name, with no deployment known: the agent is read once when the stream opens.
    async with h.entered(client.stream("a second poster", agent="streamer")) as stream:
        again = await h.run(stream.final)
    assert again.image.format == "png"
    gets = [r for r in foundry_emulator.requests if r.method == "GET"]
    assert [r.path for r in gets] == ["/api/projects/demo/agents/streamer"]
    assert responses_posts(foundry_emulator)[-1].json["agent_reference"] == {
        "type": "agent_reference",
        "name": "streamer",
        "version": "1",
    }
    assert responses_posts(foundry_emulator)[-1].headers[IMAGE_HEADER] == "gpt-image-1"
