"""What each call's span is called and says (pure: ``describe_call``), and that no content leaks by default."""

from __future__ import annotations

import pytest

from foundry_imagegen._core.calls import ApiCall
from foundry_imagegen._core.semconv import describe_call, error_type
from foundry_imagegen.exceptions import RateLimitError

P = "https://acme.services.ai.azure.com/api/projects/p1"
V1 = P + "/openai/v1"


@pytest.mark.parametrize(
    ("call", "name", "operation"),
    [
        (ApiCall("POST", V1 + "/responses", json={"model": "gpt-5.1", "input": "x"}), "chat gpt-5.1", "chat"),
        (ApiCall("POST", V1 + "/responses", json={"input": "x"}), "chat", "chat"),
        (
            ApiCall("POST", V1 + "/responses", json={"agent_reference": {"name": "poster", "version": "2"}}),
            "invoke_agent poster",
            "invoke_agent",
        ),
        (ApiCall("POST", P + "/agents/poster/versions", json={}), "create_agent poster", "create_agent"),
        (ApiCall("GET", P + "/agents/poster"), "get_agent poster", "get_agent"),
        (ApiCall("GET", P + "/agents"), "list_agents", "list_agents"),
        (ApiCall("GET", P + "/agents/poster/versions"), "list_agent_versions poster", "list_agent_versions"),
        (ApiCall("GET", P + "/agents/poster/versions/3"), "get_agent_version poster", "get_agent_version"),
        (ApiCall("DELETE", P + "/agents/poster"), "delete_agent poster", "delete_agent"),
        (ApiCall("POST", V1 + "/files"), "upload_file", "upload_file"),
        (ApiCall("DELETE", V1 + "/files/file-1"), "delete_file file-1", "delete_file"),
        (ApiCall("POST", V1 + "/conversations"), "create_conversation", "create_conversation"),
        (ApiCall("GET", P + "/deployments"), "list_deployments", "list_deployments"),
        (
            ApiCall("GET", V1 + "/models"),
            "GET /api/projects/p1/openai/v1/models",
            "GET /api/projects/p1/openai/v1/models",
        ),
    ],
)
def test_span_names(call, name, operation):
    described = describe_call(call)
    assert (described.span_name, described.operation) == (name, operation)
    assert described.attributes["gen_ai.operation.name"] == operation
    assert described.attributes["server.address"] == "acme.services.ai.azure.com"
    assert described.attributes["server.port"] == 443


def test_tool_settings_and_the_image_header_go_to_the_tool_spans():
    call = ApiCall(
        "POST",
        V1 + "/responses",
        json={
            "model": "m",
            "tools": [{"type": "image_generation", "quality": "low", "partial_images": 2, "stream": True}],
        },
        headers={"x-ms-oai-image-generation-deployment": "img"},
    )
    tool = describe_call(call).tool_attributes
    assert tool == {
        "foundry_imagegen.image.quality": "low",
        "foundry_imagegen.image.partial_images": 2,
        "foundry_imagegen.image.deployment": "img",
    }


def test_content_only_with_capture_and_never_images():
    body = {
        "model": "m",
        "instructions": "be brief",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "make it winter"},
                    {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="},
                ],
            }
        ],
    }
    call = ApiCall("POST", V1 + "/responses", json=body)
    assert "gen_ai.input.messages" not in describe_call(call).attributes
    captured = describe_call(call, capture_content=True).attributes
    assert (
        captured["gen_ai.input.messages"]
        == '[{"role": "user", "parts": [{"type": "text", "content": "make it winter"}]}]'
    )
    assert captured["gen_ai.system_instructions"] == "be brief"
    assert "base64" not in str(captured)


def test_error_type_is_the_class_name():
    assert error_type(RateLimitError("slow", status=429)) == "RateLimitError"
