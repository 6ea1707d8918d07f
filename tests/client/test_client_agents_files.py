"""client.agents, client.files, and generate() with agents, image inputs, uploads and masks: what goes on
the wire (respx), what comes back typed, and what is refused before any request. Sync and async."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import re
from typing import Any

import httpx
import pytest
import respx
from PIL import Image

from foundry_imagegen import (
    IMAGE_DEPLOYMENT_HEADER,
    Agent,
    AgentDeletion,
    AgentReference,
    AgentVersion,
    BadRequestError,
    ConfigurationError,
    FileId,
    FileObject,
    ImageGenerationTool,
    MissingImageDeploymentError,
    NotFoundError,
)
from tests.client.wire import PNG, PNG_HEIGHT, PNG_WIDTH, PROJECT_URL, RESOURCE_ENDPOINT, error_response, ok_response
from tests.harness import IMAGE_DEPLOYMENT, MODEL, PROJECT_ENDPOINT
from tests.testkit import encode

AGENTS = PROJECT_ENDPOINT + "/agents"
FILES = PROJECT_ENDPOINT + "/openai/v1/files"
PROJECT_FORM = "https://<resource>.services.ai.azure.com/api/projects/<project>"


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


def version_json(
    name: str = "poster", version: str = "1", *, deployment: str = "img-deploy", **tool: Any
) -> dict[str, Any]:
    return {
        "object": "agent.version",
        "id": f"{name}:{version}",
        "name": name,
        "version": version,
        "description": None,
        "created_at": 1750000000,
        "definition": {
            "kind": "prompt",
            "model": MODEL,
            "tools": [{"type": "image_generation", "model": deployment, **tool}],
        },
        "metadata": {},
        "status": "active",
    }


def agent_json(name: str = "poster", version: str = "3", **kwargs: Any) -> dict[str, Any]:
    return {"object": "agent", "id": name, "name": name, "versions": {"latest": version_json(name, version, **kwargs)}}


def file_json(file_id: str, filename: str = "image.png", size: int = len(PNG)) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": 1750000000,
        "filename": filename,
        "purpose": "assistants",
        "status": "processed",
    }


def multipart(request: httpx.Request) -> dict[str, tuple[str | None, str, bytes]]:
    """Form fields of a multipart request: name -> (filename, content type, bytes)."""
    head = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    assert message.is_multipart()
    fields: dict[str, tuple[str | None, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes), (name, payload)
        fields[name] = (part.get_filename(), part.get_content_type(), payload)
    return fields


def mask_png(width: int = PNG_WIDTH, height: int = PNG_HEIGHT) -> bytes:
    """An RGBA mask with its left half transparent (alpha 0 = edit here)."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    for x in range(width // 2):
        for y in range(height):
            image.putpixel((x, y), (0, 0, 0, 0))
    return encode(image)


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


# --------------------------------------------------------------------------- client.agents


class TestAgentOperations:
    async def test_create_version(self, h):
        route = h.mock.post(AGENTS + "/poster/versions").mock(
            return_value=httpx.Response(200, json=version_json(deployment=IMAGE_DEPLOYMENT, quality="low"))
        )
        client = h.client()
        tool = ImageGenerationTool(image_deployment=IMAGE_DEPLOYMENT, quality="low")

        created = await h.run(
            client.agents.create_version,
            "poster",
            model="gpt-4.1",
            tool=tool,
            instructions="Draw posters.",
            description="Posters",
            metadata={"team": "design"},
        )

        request = route.calls.last.request
        assert request.method == "POST"
        assert query(request) == {"api-version": "v1"}
        assert request.headers["content-type"] == "application/json"
        assert sent_json(request) == {
            "definition": {
                "kind": "prompt",
                "model": "gpt-4.1",
                "instructions": "Draw posters.",
                "tools": [{"type": "image_generation", "model": IMAGE_DEPLOYMENT, "quality": "low"}],
            },
            "description": "Posters",
            "metadata": {"team": "design"},
        }
        assert isinstance(created, AgentVersion)
        assert (created.name, created.version, created.id) == ("poster", "1", "poster:1")
        assert created.image_tool == ImageGenerationTool(
            image_deployment=IMAGE_DEPLOYMENT, model=IMAGE_DEPLOYMENT, quality="low"
        )

    async def test_create_version_defaults_to_the_clients_model_and_deployment(self, h):
        route = h.mock.post(AGENTS + "/poster/versions").mock(return_value=httpx.Response(200, json=version_json()))
        client = h.client()

        await h.run(client.agents.create_version, "poster")

        assert sent_json(route.calls.last.request) == {
            "definition": {
                "kind": "prompt",
                "model": MODEL,
                "tools": [{"type": "image_generation", "model": IMAGE_DEPLOYMENT}],
            }
        }

    async def test_create_version_refuses_locally(self, h):
        client = h.client(image_deployment=None)
        with pytest.raises(MissingImageDeploymentError):
            await h.run(client.agents.create_version, "poster", model="gpt-4.1")
        with pytest.raises(ConfigurationError, match=r"is also the image deployment"):
            await h.run(client.agents.create_version, "poster", model="img", tool={"image_deployment": "img"})
        with pytest.raises(ConfigurationError, match=r"Fix: e.g. 'poster-artist'"):
            await h.run(client.agents.create_version, "poster_", model="gpt-4.1", tool={"image_deployment": "img"})
        assert h.mock.calls.call_count == 0

    async def test_get(self, h):
        route = h.mock.get(AGENTS + "/poster").mock(return_value=httpx.Response(200, json=agent_json()))
        client = h.client()

        agent = await h.run(client.agents.get, "poster")

        request = route.calls.last.request
        assert (request.method, request.url.path, query(request)) == (
            "GET",
            "/api/projects/p1/agents/poster",
            {"api-version": "v1"},
        )
        assert isinstance(agent, Agent)
        assert isinstance(agent.latest, AgentVersion)
        assert agent.latest.version == "3"
        assert agent.latest.image_tool is not None and agent.latest.image_tool.image_deployment == "img-deploy"

    async def test_get_version(self, h):
        route = h.mock.get(AGENTS + "/poster/versions/2").mock(
            return_value=httpx.Response(200, json=version_json(version="2"))
        )
        client = h.client()

        got = await h.run(client.agents.get_version, "poster", "2")

        assert query(route.calls.last.request) == {"api-version": "v1"}
        assert isinstance(got, AgentVersion) and got.version == "2"
        assert got.reference == AgentReference(name="poster", version="2")

    async def test_list_versions_follows_pages(self, h):
        pages = [
            {
                "object": "list",
                "data": [version_json(version="1"), version_json(version="2")],
                "first_id": "poster:1",
                "last_id": "poster:2",
                "has_more": True,
            },
            {
                "object": "list",
                "data": [version_json(version="3")],
                "first_id": "poster:3",
                "last_id": "poster:3",
                "has_more": False,
            },
        ]
        route = h.mock.get(AGENTS + "/poster/versions").mock(
            side_effect=[httpx.Response(200, json=page) for page in pages]
        )
        client = h.client()

        versions = await h.run(client.agents.list_versions, "poster")

        assert [v.version for v in versions] == ["1", "2", "3"]
        assert all(isinstance(v, AgentVersion) for v in versions)
        assert [query(call.request) for call in route.calls] == [
            {"api-version": "v1", "limit": "100", "order": "asc"},
            {"api-version": "v1", "limit": "100", "order": "asc", "after": "poster:2"},
        ]

    async def test_list_versions_stops_without_last_id(self, h):
        page: dict[str, Any] = {"object": "list", "data": [], "last_id": None, "has_more": True}
        route = h.mock.get(AGENTS + "/poster/versions").mock(return_value=httpx.Response(200, json=page))
        client = h.client()

        assert await h.run(client.agents.list_versions, "poster") == []
        assert route.call_count == 1

    async def test_delete_version_and_delete(self, h):
        one = h.mock.delete(AGENTS + "/poster/versions/2").mock(
            return_value=httpx.Response(
                200, json={"object": "agent.version.deleted", "name": "poster", "version": "2", "deleted": True}
            )
        )
        whole = h.mock.delete(AGENTS + "/poster").mock(
            return_value=httpx.Response(200, json={"object": "agent.deleted", "name": "poster", "deleted": True})
        )
        client = h.client()

        deleted_version = await h.run(client.agents.delete_version, "poster", "2")
        deleted_agent = await h.run(client.agents.delete, "poster")

        assert isinstance(deleted_version, AgentDeletion)
        assert (deleted_version.object, deleted_version.version, deleted_version.deleted) == (
            "agent.version.deleted",
            "2",
            True,
        )
        assert (deleted_agent.object, deleted_agent.name, deleted_agent.deleted) == ("agent.deleted", "poster", True)
        assert query(one.calls.last.request) == {"api-version": "v1"}
        assert query(whole.calls.last.request) == {"api-version": "v1"}

    async def test_resolve(self, h):
        pinned = h.mock.get(AGENTS + "/poster/versions/2").mock(
            return_value=httpx.Response(200, json=version_json(version="2"))
        )
        latest = h.mock.get(AGENTS + "/poster").mock(return_value=httpx.Response(200, json=agent_json(version="5")))
        client = h.client()

        assert (await h.run(client.agents.resolve, AgentReference(name="poster", version="2"))).version == "2"
        assert (await h.run(client.agents.resolve, AgentReference(name="poster"))).version == "5"
        assert (pinned.call_count, latest.call_count) == (1, 1)

    @pytest.mark.parametrize(
        ("status", "error", "exc_type"),
        [
            (404, {"code": "not_found", "message": "Agent 'poster' not found."}, NotFoundError),
            (400, {"code": "invalid_request_error", "message": "definition.model is required."}, BadRequestError),
        ],
    )
    async def test_errors_are_typed(self, h, status, error, exc_type):
        h.mock.get(AGENTS + "/poster").mock(return_value=error_response(status, error, request_id="req-a"))
        client = h.client()

        with pytest.raises(exc_type) as info:
            await h.run(client.agents.get, "poster")

        assert info.value.status == status
        assert info.value.code == error["code"]
        assert error["message"] in str(info.value)
        assert info.value.request_id == "req-a"

    async def test_missing_version_is_not_found(self, h):
        h.mock.delete(AGENTS + "/poster/versions/9").mock(
            return_value=error_response(404, {"code": "not_found", "message": "Agent 'poster' version '9' not found."})
        )
        client = h.client()
        with pytest.raises(NotFoundError, match="version '9' not found"):
            await h.run(client.agents.delete_version, "poster", "9")

    async def test_agents_need_a_project_endpoint(self, h):
        client = h.client(RESOURCE_ENDPOINT)
        calls = [
            (client.agents.create_version, ("poster",), {"model": "gpt-4.1"}),
            (client.agents.get, ("poster",), {}),
            (client.agents.get_version, ("poster", "1"), {}),
            (client.agents.list_versions, ("poster",), {}),
            (client.agents.delete_version, ("poster", "1"), {}),
            (client.agents.delete, ("poster",), {}),
            (client.agents.resolve, (AgentReference(name="poster"),), {}),
        ]
        for fn, args, kwargs in calls:
            with pytest.raises(ConfigurationError) as info:
                await h.run(fn, *args, **kwargs)
            assert "client.agents needs a Foundry project endpoint" in str(info.value)
            assert "https://acme.openai.azure.com/openai/v1" in str(info.value)
            assert f"Fix: use '{PROJECT_FORM}'" in str(info.value)
        assert h.mock.calls.call_count == 0


# --------------------------------------------------------------------------- ephemeral agents


def _versions_route(h, name_pattern: str, version: str = "7"):
    def created(request: httpx.Request, name: str) -> httpx.Response:
        return httpx.Response(200, json=version_json(name, version))

    return h.mock.post(url__regex=re.escape(AGENTS) + rf"/(?P<name>{name_pattern})/versions\?").mock(
        side_effect=created
    )


async def _enter(h, manager, body_raises: bool):
    """Run an ephemeral block; returns the version seen inside."""
    seen = []
    if h.is_async:
        async with manager as version:
            seen.append(version)
            if body_raises:
                raise RuntimeError("boom inside the block")
    else:
        with manager as version:
            seen.append(version)
            if body_raises:
                raise RuntimeError("boom inside the block")
    return seen[0]


class TestEphemeral:
    @pytest.mark.parametrize("body_raises", [False, True], ids=["exits", "raises"])
    async def test_named_deletes_its_version(self, h, body_raises):
        create = _versions_route(h, "poster")
        delete = h.mock.delete(AGENTS + "/poster/versions/7").mock(
            return_value=httpx.Response(200, json={"object": "agent.version.deleted", "deleted": True})
        )
        client = h.client()

        manager = client.agents.ephemeral("poster", model="gpt-4.1", tool=ImageGenerationTool(quality="low"))
        if body_raises:
            with pytest.raises(RuntimeError, match="boom inside the block"):
                await _enter(h, manager, body_raises)
        else:
            version = await _enter(h, manager, body_raises)
            assert isinstance(version, AgentVersion) and version.version == "7"
        assert create.call_count == 1
        assert sent_json(create.calls.last.request)["definition"]["tools"] == [
            {"type": "image_generation", "model": IMAGE_DEPLOYMENT, "quality": "low"}
        ]
        assert delete.call_count == 1
        assert query(delete.calls.last.request) == {"api-version": "v1"}
        assert h.mock.calls.last.request.method == "DELETE"

    @pytest.mark.parametrize("body_raises", [False, True], ids=["exits", "raises"])
    async def test_unnamed_deletes_the_whole_agent(self, h, body_raises):
        create = _versions_route(h, "imagegen-[0-9a-f]{12}")
        delete = h.mock.delete(url__regex=re.escape(AGENTS) + r"/(?P<name>[^/?]+)\?").mock(
            return_value=httpx.Response(200, json={"object": "agent.deleted", "deleted": True})
        )
        client = h.client()

        manager = client.agents.ephemeral(model="gpt-4.1")
        if body_raises:
            with pytest.raises(RuntimeError, match="boom inside the block"):
                await _enter(h, manager, body_raises)
        else:
            version = await _enter(h, manager, body_raises)
            assert version.name.startswith("imagegen-")
        created_name = create.calls.last.request.url.path.split("/")[-2]
        assert delete.call_count == 1
        assert delete.calls.last.request.url.path == f"/api/projects/p1/agents/{created_name}"
        assert [c.request.method for c in h.mock.calls] == ["POST", "DELETE"]

    async def test_two_unnamed_agents_get_different_names(self, h):
        create = _versions_route(h, "imagegen-[0-9a-f]{12}")
        h.mock.delete(url__regex=re.escape(AGENTS) + r"/imagegen-[0-9a-f]{12}\?").mock(
            return_value=httpx.Response(200, json={"object": "agent.deleted", "deleted": True})
        )
        client = h.client()

        await _enter(h, client.agents.ephemeral(model="gpt-4.1"), False)
        await _enter(h, client.agents.ephemeral(model="gpt-4.1"), False)

        names = {call.request.url.path for call in create.calls}
        assert len(names) == 2

    async def test_failed_create_deletes_nothing(self, h):
        h.mock.post(AGENTS + "/poster/versions").mock(
            return_value=error_response(400, {"code": "invalid_request_error", "message": "bad definition"})
        )
        client = h.client()
        with pytest.raises(BadRequestError):
            await _enter(h, client.agents.ephemeral("poster", model="gpt-4.1"), False)
        assert [c.request.method for c in h.mock.calls] == ["POST"]


# --------------------------------------------------------------------------- client.files


class TestFiles:
    async def test_upload_path_is_multipart_with_purpose_assistants(self, h, tmp_path):
        path = tmp_path / "photo.png"
        path.write_bytes(PNG)
        route = h.mock.post(FILES).mock(return_value=httpx.Response(200, json=file_json("assistant-1", "photo.png")))
        client = h.client()

        uploaded = await h.run(client.files.upload, path)

        request = route.calls.last.request
        assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
        assert request.url.params == httpx.QueryParams()
        assert multipart(request) == {
            "purpose": (None, "text/plain", b"assistants"),
            "file": ("photo.png", "image/png", PNG),
        }
        assert isinstance(uploaded, FileObject)
        assert (uploaded.id, uploaded.filename, uploaded.purpose, uploaded.bytes) == (
            "assistant-1",
            "photo.png",
            "assistants",
            len(PNG),
        )

    async def test_upload_bytes_jpeg_filename_and_purpose(self, h):
        jpeg = encode(Image.new("RGB", (4, 4), (1, 2, 3)), "JPEG")
        route = h.mock.post(FILES).mock(
            side_effect=[
                httpx.Response(200, json=file_json("assistant-2")),
                httpx.Response(200, json=file_json("assistant-3")),
                httpx.Response(200, json=file_json("assistant-4")),
            ]
        )
        client = h.client()

        await h.run(client.files.upload, PNG)
        await h.run(client.files.upload, jpeg)
        await h.run(client.files.upload, PNG, filename="cover.png", purpose="vision")

        first, second, third = (multipart(call.request) for call in route.calls)
        assert first["file"] == ("image.png", "image/png", PNG)
        assert second["file"] == ("image.jpeg", "image/jpeg", jpeg)
        assert third["file"] == ("cover.png", "image/png", PNG)
        assert [f["purpose"][2] for f in (first, second, third)] == [b"assistants", b"assistants", b"vision"]

    async def test_upload_on_a_resource_endpoint(self, h):
        route = h.mock.post(RESOURCE_ENDPOINT + "/openai/v1/files").mock(
            return_value=httpx.Response(200, json=file_json("file-abc"))
        )
        client = h.client(RESOURCE_ENDPOINT)

        assert (await h.run(client.files.upload, PNG)).id == "file-abc"
        assert route.call_count == 1

    async def test_upload_refuses_bad_input_before_sending(self, h, tmp_path):
        client = h.client()
        with pytest.raises(ConfigurationError, match=r"file \(bytes\) is not a PNG, JPEG or WebP"):
            await h.run(client.files.upload, b"not an image")
        with pytest.raises(ConfigurationError, match=r"FileId\('assistant-\.\.\.'\)"):
            await h.run(client.files.upload, str(tmp_path / "missing.png"))
        with pytest.raises(ConfigurationError, match=r"Fix: purpose='assistants'"):
            await h.run(client.files.upload, PNG, purpose="")
        assert h.mock.calls.call_count == 0

    async def test_delete(self, h):
        route = h.mock.delete(FILES + "/assistant-1").mock(
            return_value=httpx.Response(200, json={"id": "assistant-1", "object": "file", "deleted": True})
        )
        client = h.client()

        deleted = await h.run(client.files.delete, "assistant-1")

        assert deleted.deleted is True
        assert route.call_count == 1

    async def test_upload_errors_are_typed(self, h):
        h.mock.post(FILES).mock(
            return_value=error_response(400, {"code": "invalid_request_error", "message": "purpose is invalid"})
        )
        client = h.client()
        with pytest.raises(BadRequestError, match="purpose is invalid"):
            await h.run(client.files.upload, PNG)


# --------------------------------------------------------------------------- generate with image inputs


class TestImageInputs:
    async def test_upload_images_uploads_first_then_references_the_file(self, h):
        upload = h.mock.post(FILES).mock(return_value=httpx.Response(200, json=file_json("assistant-img")))
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(client.generate, "make it night", images=[PNG], upload_images=True)

        assert [str(c.request.url) for c in h.mock.calls] == [FILES, PROJECT_URL]
        assert multipart(upload.calls.last.request)["file"] == ("image.png", "image/png", PNG)
        assert sent_json(generate.calls.last.request) == {
            "model": MODEL,
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "make it night"},
                        {"type": "input_image", "file_id": "assistant-img", "detail": "auto"},
                    ],
                }
            ],
            "tools": [{"type": "image_generation", "model": IMAGE_DEPLOYMENT}],
            "tool_choice": {"type": "image_generation"},
        }

    async def test_mask_with_upload_goes_by_file_id(self, h):
        mask = mask_png()
        upload = h.mock.post(FILES).mock(
            side_effect=[
                httpx.Response(200, json=file_json("assistant-img")),
                httpx.Response(200, json=file_json("assistant-mask")),
            ]
        )
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(client.generate, "add a moon", images=[PNG], mask=mask, upload_images=True)

        assert [multipart(c.request)["file"][2] for c in upload.calls] == [PNG, mask]
        body = sent_json(generate.calls.last.request)
        assert body["tools"] == [
            {"type": "image_generation", "model": IMAGE_DEPLOYMENT, "input_image_mask": {"file_id": "assistant-mask"}}
        ]
        assert body["input"][0]["content"][1] == {"type": "input_image", "file_id": "assistant-img", "detail": "auto"}

    async def test_without_upload_images_and_mask_are_data_urls(self, h):
        mask = mask_png()
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(client.generate, "add a moon", images=[PNG], mask=mask)

        body = sent_json(generate.calls.last.request)
        assert body["input"] == [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "add a moon"},
                    {"type": "input_image", "image_url": data_url(PNG), "detail": "auto"},
                ],
            }
        ]
        assert body["tools"][0]["input_image_mask"] == {"image_url": data_url(mask)}
        assert h.mock.calls.call_count == 1

    async def test_file_ids_and_urls_are_not_uploaded(self, h):
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(
            client.generate,
            "combine",
            images=[FileId("assistant-9"), "https://example.com/a.png"],
            upload_images=True,
        )

        assert sent_json(generate.calls.last.request)["input"][0]["content"][1:] == [
            {"type": "input_image", "file_id": "assistant-9", "detail": "auto"},
            {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "auto"},
        ]
        assert h.mock.calls.call_count == 1

    async def test_bad_inputs_are_refused_before_any_request(self, h):
        client = h.client()
        with pytest.raises(ConfigurationError, match=r"images\[1\] \(bytes\) is not a PNG"):
            await h.run(client.generate, "x", images=[PNG, b"junk"], upload_images=True)
        with pytest.raises(ConfigurationError, match=r"mask is 4x4 but the image is 8x6"):
            await h.run(client.generate, "x", images=[PNG], mask=mask_png(4, 4), upload_images=True)
        with pytest.raises(ConfigurationError, match=r"has no alpha channel"):
            await h.run(client.generate, "x", images=[PNG], mask=PNG)
        with pytest.raises(ConfigurationError, match=r"images= needs a string prompt"):
            await h.run(client.generate, [{"role": "user", "content": "x"}], images=[PNG])
        assert h.mock.calls.call_count == 0


# --------------------------------------------------------------------------- generate with agents


def agent_body(name: str = "poster", version: str | None = None, prompt: str = "a jazz poster") -> dict[str, Any]:
    ref = {"type": "agent_reference", "name": name}
    if version is not None:
        ref["version"] = version
    return {"agent_reference": ref, "input": prompt}


class TestGenerateWithAgents:
    async def test_agent_name_without_deployment_reads_the_agent_once(self, h):
        lookup = h.mock.get(AGENTS + "/poster").mock(
            return_value=httpx.Response(200, json=agent_json(deployment="img-deploy"))
        )
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(image_deployment=None)

        await h.run(client.generate, "a jazz poster", agent="poster")
        await h.run(client.generate, "a jazz poster", agent="poster")

        assert lookup.call_count == 1
        assert query(lookup.calls.last.request) == {"api-version": "v1"}
        assert [c.request.method for c in h.mock.calls] == ["GET", "POST", "POST"]
        for call in generate.calls:
            assert call.request.headers[IMAGE_DEPLOYMENT_HEADER] == "img-deploy"
            # Pinned to the version whose tool gave the header, so body and header cannot disagree.
            assert sent_json(call.request) == agent_body(version="3")

    async def test_creating_a_version_clears_what_was_looked_up(self, h):
        h.mock.get(AGENTS + "/poster").mock(
            side_effect=[
                httpx.Response(200, json=agent_json(deployment="img-old", version="1")),
                httpx.Response(200, json=agent_json(deployment="img-new", version="2")),
            ]
        )
        h.mock.post(AGENTS + "/poster/versions").mock(
            return_value=httpx.Response(200, json=version_json("poster", "2", deployment="img-new"))
        )
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(image_deployment=None)

        await h.run(client.generate, "a jazz poster", agent="poster")
        await h.run(client.agents.create_version, "poster", tool={"image_deployment": "img-new"})
        await h.run(client.generate, "a jazz poster", agent="poster")

        headers = [call.request.headers[IMAGE_DEPLOYMENT_HEADER] for call in generate.calls]
        assert headers == ["img-old", "img-new"]
        assert sent_json(generate.calls.last.request) == agent_body(version="2")

    async def test_an_agent_version_s_own_tool_beats_the_client_default(self, h):
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(image_deployment="client-default")
        version = AgentVersion.model_validate(version_json("poster", "4", deployment="gpt-image-1-mini"))

        await h.run(client.generate, "a jazz poster", agent=version)

        assert generate.calls.last.request.headers[IMAGE_DEPLOYMENT_HEADER] == "gpt-image-1-mini"

    @pytest.mark.parametrize("version", ["1/../../other", "1?force=true", "..", ""])
    async def test_versions_in_paths_are_single_segments(self, h, version):
        client = h.client()
        with pytest.raises(ConfigurationError, match="not a valid version"):
            await h.run(client.agents.delete_version, "poster", version)
        assert h.mock.calls.call_count == 0

    async def test_agent_reference_with_version_reads_that_version(self, h):
        lookup = h.mock.get(AGENTS + "/poster/versions/2").mock(
            return_value=httpx.Response(200, json=version_json(version="2", deployment="img-v2"))
        )
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(image_deployment=None)
        ref = AgentReference(name="poster", version="2")

        await h.run(client.generate, "a jazz poster", agent=ref)
        await h.run(client.generate, "a jazz poster", agent=ref)

        assert lookup.call_count == 1
        assert generate.calls.last.request.headers[IMAGE_DEPLOYMENT_HEADER] == "img-v2"
        assert sent_json(generate.calls.last.request) == agent_body(version="2")

    async def test_agent_version_object_needs_no_lookup(self, h):
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(image_deployment=None)
        version = AgentVersion.model_validate(version_json(version="4", deployment="img-obj"))

        await h.run(client.generate, "a jazz poster", agent=version)

        assert h.mock.calls.call_count == 1
        request = generate.calls.last.request
        assert request.headers[IMAGE_DEPLOYMENT_HEADER] == "img-obj"
        body = sent_json(request)
        assert body == agent_body(version="4")
        assert not {"model", "tools", "tool_choice"} & set(body)

    async def test_known_deployment_needs_no_lookup(self, h):
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()  # image_deployment=gpt-image-1

        await h.run(client.generate, "a jazz poster", agent="poster")
        await h.run(
            client.generate, "a jazz poster", agent="poster", tool=ImageGenerationTool(image_deployment="other")
        )

        assert [c.request.headers[IMAGE_DEPLOYMENT_HEADER] for c in generate.calls] == [IMAGE_DEPLOYMENT, "other"]
        assert h.mock.calls.call_count == 2

    async def test_legacy_agent_field(self, h):
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(agent_field="agent")

        await h.run(client.generate, "a jazz poster", agent=AgentReference(name="poster", version="1"))

        assert sent_json(generate.calls.last.request) == {
            "agent": {"type": "agent_reference", "name": "poster", "version": "1"},
            "input": "a jazz poster",
        }

    async def test_agent_with_images_and_force_image(self, h):
        generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(client.generate, "night", agent="poster", images=[PNG], force_image=True, store=False)

        assert sent_json(generate.calls.last.request) == {
            "agent_reference": {"type": "agent_reference", "name": "poster"},
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "night"},
                        {"type": "input_image", "image_url": data_url(PNG), "detail": "auto"},
                    ],
                }
            ],
            "tool_choice": {"type": "image_generation"},
            "store": False,
        }

    async def test_agent_without_an_image_tool_and_no_deployment_is_refused(self, h):
        plain = version_json()
        plain["definition"]["tools"] = []
        h.mock.get(AGENTS + "/poster").mock(
            return_value=httpx.Response(200, json={"object": "agent", "name": "poster", "versions": {"latest": plain}})
        )
        client = h.client(image_deployment=None)

        with pytest.raises(MissingImageDeploymentError):
            await h.run(client.generate, "a jazz poster", agent="poster")
        assert [c.request.method for c in h.mock.calls] == ["GET"]

    async def test_unknown_agent_lookup_is_not_found(self, h):
        h.mock.get(AGENTS + "/ghost").mock(
            return_value=error_response(404, {"code": "not_found", "message": "Agent 'ghost' not found."})
        )
        client = h.client(image_deployment=None)
        with pytest.raises(NotFoundError, match="Agent 'ghost' not found"):
            await h.run(client.generate, "a jazz poster", agent="ghost")

    async def test_agent_lookup_needs_a_project_endpoint(self, h):
        client = h.client(RESOURCE_ENDPOINT, image_deployment=None)
        with pytest.raises(ConfigurationError, match=re.escape(PROJECT_FORM)):
            await h.run(client.generate, "a jazz poster", agent="poster")
        assert h.mock.calls.call_count == 0

    async def test_agent_refusals_come_before_any_request(self, h):
        client = h.client()
        version = AgentVersion.model_validate(version_json())
        with pytest.raises(ConfigurationError, match=r"mask= cannot be sent with agent="):
            await h.run(client.generate, "x", agent=version, images=[PNG], mask=mask_png())
        with pytest.raises(ConfigurationError, match=r"tool sets size"):
            await h.run(client.generate, "x", agent=version, tool={"size": "1024x1024"})
        with pytest.raises(ConfigurationError, match=r"Fix: pass an agent name, an AgentReference or an AgentVersion"):
            await h.run(client.generate, "x", agent=42)
        assert h.mock.calls.call_count == 0

    async def test_mask_with_agent_is_refused_before_uploading(self, h):
        # The refusal is certain before any I/O, so nothing may be uploaded (and left behind) first.
        client = h.client()
        version = AgentVersion.model_validate(version_json())
        with pytest.raises(ConfigurationError, match=r"mask= cannot be sent with agent="):
            await h.run(client.generate, "x", agent=version, images=[PNG], mask=mask_png(), upload_images=True)
        assert h.mock.calls.call_count == 0

    async def test_tool_settings_with_agent_are_refused_before_the_agent_lookup(self, h):
        # With no deployment known the agent would be read first; the refusal does not depend on it.
        client = h.client(image_deployment=None)
        with pytest.raises(ConfigurationError, match=r"tool sets quality"):
            await h.run(client.generate, "x", agent="poster", tool={"quality": "low"})
        assert h.mock.calls.call_count == 0

    @pytest.mark.parametrize("name", ["-poster", "poster\n"])
    async def test_bad_agent_name_is_a_configuration_error(self, h, name):
        client = h.client()
        with pytest.raises(ConfigurationError, match=r"Fix: e.g. 'poster-artist'"):
            await h.run(client.generate, "a jazz poster", agent=name)
        assert h.mock.calls.call_count == 0


def test_agent_on_a_resource_endpoint_is_refused_before_any_request():
    from foundry_imagegen import ConfigurationError, FoundryClient

    with (
        respx.mock(assert_all_mocked=True, assert_all_called=False) as router,
        FoundryClient("https://acme.openai.azure.com", api_key="k", image_deployment="gpt-image-1") as client,
    ):
        with pytest.raises(ConfigurationError, match="needs a Foundry project endpoint"):
            client.generate("a poster", agent="poster")
        assert router.calls.call_count == 0


def test_reads_are_resent_after_a_dropped_connection_but_creates_are_not():
    from foundry_imagegen import APIConnectionError, FoundryClient

    url = "https://acme.services.ai.azure.com/api/projects/p1/agents"
    with respx.mock(assert_all_called=True) as router:
        get = router.get(f"{url}/a").mock(
            side_effect=[httpx.ReadError("reset"), httpx.Response(200, json={"name": "a", "versions": {}})]
        )
        post = router.post(f"{url}/a/versions").mock(side_effect=httpx.RemoteProtocolError("closed"))
        with FoundryClient(
            "https://acme.services.ai.azure.com/api/projects/p1",
            api_key="k",
            model="gpt-4.1",
            image_deployment="gpt-image-1",
            sleep=lambda _: None,
        ) as client:
            assert client.agents.get("a").name == "a"
            with pytest.raises(APIConnectionError) as caught:
                client.agents.create_version("a")
    assert get.call_count == 2 and post.call_count == 1 and not caught.value.retryable


class TestNothingIsUploadedForACallThatWouldBeRefused:
    @pytest.mark.parametrize(
        ("kwargs", "needle"),
        [
            ({"model": None}, "model=None"),
            ({"image_deployment": None}, "x-ms-oai-image-generation-deployment"),
            ({"extra_body": {"input": "x"}}, "extra_body sets input"),
        ],
    )
    def test_local_refusals_come_before_uploads(self, kwargs, needle):
        from foundry_imagegen import ConfigurationError, FoundryClient

        settings: dict[str, Any] = {"model": "gpt-4.1", "image_deployment": "gpt-image-1"}
        extra_body = kwargs.pop("extra_body", None)
        settings.update(kwargs)
        with (
            respx.mock(assert_all_mocked=True) as router,
            FoundryClient(PROJECT_ENDPOINT, api_key="k", **settings) as client,
            pytest.raises(ConfigurationError, match=re.escape(needle)),
        ):
            client.generate("x", images=[PNG], mask=None, upload_images=True, extra_body=extra_body)
        assert router.calls.call_count == 0


@pytest.mark.parametrize("value", ["https://example.com/cat.png", FileId("assistant-1")])
def test_uploading_a_url_or_file_id_is_a_clear_error(value):
    from foundry_imagegen import FoundryClient

    with (
        respx.mock(assert_all_mocked=True) as router,
        FoundryClient(PROJECT_ENDPOINT, api_key="k") as client,
        pytest.raises(ConfigurationError, match="not local bytes"),
    ):
        client.files.upload(value)
    assert router.calls.call_count == 0
