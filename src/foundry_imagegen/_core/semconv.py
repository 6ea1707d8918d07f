"""What the spans and metrics say, per the OpenTelemetry GenAI conventions: pure functions, no OTel import.

The shell (``_shell/tracing.py``) turns these names and attribute maps into spans, events and metric points.
Only ``str``, ``bool``, ``int``, ``float`` and tuples of ``str`` are produced, and never a credential, a token or image
bytes: prompts and revised prompts appear only when content capture is on, and even then only text parts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .calls import ApiCall
    from .results import GenerationResult, ImageGenerationCall

__all__ = [
    "NS",
    "PROVIDER_AZURE_OPENAI",
    "PROVIDER_FOUNDRY",
    "AttrValue",
    "Operation",
    "describe_call",
    "error_type",
    "image_call_spans",
    "result_attributes",
    "token_points",
]

AttrValue = Union[str, bool, int, float, tuple[str, ...]]
Attributes = dict[str, AttrValue]

#: Our own attribute namespace, for what the conventions do not name.
NS = "foundry_imagegen"
#: The conventions' well-known provider value for Azure OpenAI (model calls on /openai/v1).
PROVIDER_AZURE_OPENAI = "azure.ai.openai"
#: Foundry agents (invoking one, and the project's agent API).
PROVIDER_FOUNDRY = "microsoft.foundry"
IMAGE_HEADER = "x-ms-oai-image-generation-deployment"
_IMAGE_SETTINGS = (
    "model",
    "quality",
    "size",
    "background",
    "output_format",
    "output_compression",
    "moderation",
    "partial_images",
    "input_fidelity",
    "action",
)


@dataclass(frozen=True)
class Operation:
    """One service call as a span: its name, the operation name, and the attributes known at its start."""

    span_name: str
    operation: str
    attributes: Attributes = field(default_factory=dict)
    #: A chat / invoke_agent call: it gets usage, tool spans and the GenAI metrics.
    inference: bool = False
    #: The image tool's settings from the request (our namespace), for the tool spans.
    tool_attributes: Attributes = field(default_factory=dict)


def _server(url: str) -> Attributes:
    parts = urlsplit(url)
    attrs: Attributes = {}
    if parts.hostname:
        attrs["server.address"] = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80 if parts.scheme == "http" else None)
    if port is not None:
        attrs["server.port"] = port
    return attrs


def _text_messages(body: Mapping[str, Any]) -> str | None:
    """The prompt's text parts as the conventions' input messages (JSON); images are left out."""
    raw = body.get("input")
    messages: list[dict[str, Any]] = []
    if isinstance(raw, str):
        messages.append({"role": "user", "parts": [{"type": "text", "content": raw}]})
    elif isinstance(raw, list):
        for item in raw:
            if not isinstance(item, Mapping):
                continue
            content = item.get("content")
            parts: list[dict[str, Any]] = []
            if isinstance(content, str):
                parts.append({"type": "text", "content": content})
            elif isinstance(content, list):
                for part in content:
                    if isinstance(part, Mapping) and part.get("type") == "input_text":
                        parts.append({"type": "text", "content": str(part.get("text", ""))})
            if parts:
                messages.append({"role": str(item.get("role", "user")), "parts": parts})
    return json.dumps(messages, ensure_ascii=False) if messages else None


def _tool_settings(body: Mapping[str, Any], headers: Mapping[str, str]) -> Attributes:
    attrs: Attributes = {}
    for tool in body.get("tools") or ():
        if isinstance(tool, Mapping) and tool.get("type") == "image_generation":
            for key in _IMAGE_SETTINGS:
                value = tool.get(key)
                if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                    attrs[f"{NS}.image.{key}"] = value
            break
    deployment = next((v for k, v in headers.items() if k.lower() == IMAGE_HEADER), None)
    if deployment:
        attrs[f"{NS}.image.deployment"] = deployment
    return attrs


def _agent_name(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    for key in ("agent_reference", "agent"):
        ref = body.get(key)
        if isinstance(ref, Mapping) and isinstance(ref.get("name"), str):
            version = ref.get("version")
            return ref["name"], str(version) if version is not None else None
    return None, None


def _resource_operation(method: str, path: str) -> tuple[str, str | None]:
    """(operation name, the named object) of an agents / files call; a generic ``METHOD path`` otherwise."""
    segments = [s for s in path.split("/") if s]
    if "agents" in segments:
        rest = segments[segments.index("agents") + 1 :]
        name = rest[0] if rest else None
        if method == "POST" and rest[1:2] == ["versions"]:
            return "create_agent", name
        verb = {"GET": "get", "DELETE": "delete"}.get(method, method.lower())
        if not rest:
            return "list_agents", None
        what = "agent_version" if rest[1:2] == ["versions"] and len(rest) > 2 else "agent"
        if rest[1:2] == ["versions"] and len(rest) == 2:
            return "list_agent_versions", name
        return f"{verb}_{what}", name
    if "files" in segments:
        rest = segments[segments.index("files") + 1 :]
        if method == "POST" and not rest:
            return "upload_file", None
        verb = {"GET": "get", "DELETE": "delete"}.get(method, method.lower())
        return (f"{verb}_file", rest[0]) if rest else ("list_files", None)
    if "conversations" in segments:
        verb = {"GET": "get", "DELETE": "delete", "POST": "create"}.get(method, method.lower())
        return f"{verb}_conversation", None
    if "deployments" in segments:
        return "list_deployments", None
    return f"{method} {path}", None


def describe_call(call: ApiCall, *, capture_content: bool = False) -> Operation:
    """The span of one service call: ``chat {model}``, ``invoke_agent {agent}``, or the resource operation.

    Example::

        describe_call(ApiCall("POST", url, json={"model": "gpt-5.1", ...})).span_name  # 'chat gpt-5.1'
    """
    path = urlsplit(call.url).path
    method = call.method.upper()
    base = _server(call.url)
    body = call.json if isinstance(call.json, Mapping) else {}
    if method == "POST" and path.endswith("/responses"):
        agent, version = _agent_name(body)
        attrs: Attributes = {"openai.api.type": "responses", **base}
        if body.get("stream"):
            attrs["gen_ai.request.stream"] = True
        if isinstance(body.get("previous_response_id"), str):
            attrs["gen_ai.request.previous_response.id"] = body["previous_response_id"]
        conversation = body.get("conversation")
        if isinstance(conversation, str):
            attrs["gen_ai.conversation.id"] = conversation
        if capture_content:
            messages = _text_messages(body)
            if messages is not None:
                attrs["gen_ai.input.messages"] = messages
            if isinstance(body.get("instructions"), str):
                attrs["gen_ai.system_instructions"] = body["instructions"]
        tool = _tool_settings(body, call.headers)
        if agent is not None:
            attrs = {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.provider.name": PROVIDER_FOUNDRY,
                "gen_ai.agent.name": agent,
                **({"gen_ai.agent.version": version} if version else {}),
                **attrs,
            }
            return Operation(f"invoke_agent {agent}", "invoke_agent", attrs, inference=True, tool_attributes=tool)
        model = body.get("model") if isinstance(body.get("model"), str) else None
        attrs = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": PROVIDER_AZURE_OPENAI,
            **({"gen_ai.request.model": model} if model else {}),
            **attrs,
        }
        return Operation(f"chat {model}" if model else "chat", "chat", attrs, inference=True, tool_attributes=tool)
    operation, name = _resource_operation(method, path)
    provider = PROVIDER_FOUNDRY if "/agents" in path or "/deployments" in path else PROVIDER_AZURE_OPENAI
    attrs = {"gen_ai.operation.name": operation, "gen_ai.provider.name": provider, **base}
    if name and operation.endswith(("agent", "agent_version", "agent_versions")):
        attrs["gen_ai.agent.name"] = name
    if operation == "create_agent" and isinstance(body.get("definition"), Mapping):
        model = body["definition"].get("model")
        if isinstance(model, str):
            attrs["gen_ai.request.model"] = model
    span_name = f"{operation} {name}" if name and " " not in operation else operation
    return Operation(span_name, operation, attrs)


def result_attributes(result: GenerationResult) -> Attributes:
    """The inference span's response attributes: id, model, finish reason, token usage."""
    response = result.response
    attrs: Attributes = {"gen_ai.response.id": response.id}
    if response.model:
        attrs["gen_ai.response.model"] = response.model
    if response.status:
        attrs["gen_ai.response.finish_reasons"] = (response.status,)
    usage = response.usage
    if usage is not None:
        if usage.input_tokens is not None:
            attrs["gen_ai.usage.input_tokens"] = usage.input_tokens
        if usage.output_tokens is not None:
            attrs["gen_ai.usage.output_tokens"] = usage.output_tokens
    if result.request_id:
        attrs[f"{NS}.request_id"] = result.request_id
    attrs[f"{NS}.image.count"] = sum(1 for image in result.images if not image.is_partial)
    return attrs


def token_points(result: GenerationResult) -> list[tuple[str, int]]:
    """``(gen_ai.token.type, count)`` for the token-usage histogram: the orchestrator's input and output."""
    usage = result.response.usage
    if usage is None:
        return []
    points = [("input", usage.input_tokens), ("output", usage.output_tokens)]
    return [(kind, count) for kind, count in points if count is not None]


def _call_attributes(call: ImageGenerationCall, capture_content: bool) -> Attributes:
    attrs: Attributes = {}
    for key in ("status", "size", "quality", "background", "output_format", "action"):
        value = getattr(call, key)
        if isinstance(value, str):
            attrs[f"{NS}.image.result.{key}" if key != "status" else f"{NS}.image.status"] = value
    if call.error is not None and call.error.code:
        attrs["error.type"] = call.error.code
    if capture_content and call.revised_prompt:
        attrs[f"{NS}.image.revised_prompt"] = call.revised_prompt
    return attrs


def image_call_spans(
    result: GenerationResult,
    settings: Mapping[str, AttrValue],
    *,
    capture_content: bool = False,
    extra: Mapping[str, AttrValue] | None = None,
) -> list[tuple[str, Attributes]]:
    """One ``execute_tool image_generation`` span (name, attributes) per image generation call of a result.

    The image model's token usage is reported per response by the service, so each span carries that total.
    """
    usage = result.image_usage
    usage_attrs: Attributes = {}
    if usage is not None:
        usage_attrs = {
            f"{NS}.image.usage.input_tokens": usage.input_tokens,
            f"{NS}.image.usage.output_tokens": usage.output_tokens,
            f"{NS}.image.usage.total_tokens": usage.total_tokens,
        }
        if usage.output_tokens_details is not None and usage.output_tokens_details.image_tokens is not None:
            usage_attrs[f"{NS}.image.usage.output_image_tokens"] = usage.output_tokens_details.image_tokens
    spans = []
    for call in result.response.image_calls:
        attrs: Attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "image_generation",
            "gen_ai.tool.type": "extension",
            "gen_ai.tool.call.id": call.id,
            "gen_ai.output.type": "image",
            **settings,
            **usage_attrs,
            **_call_attributes(call, capture_content),
            **(extra or {}),
        }
        if result.request_id:
            attrs[f"{NS}.request_id"] = result.request_id
        spans.append(("execute_tool image_generation", attrs))
    return spans


def error_type(exc: BaseException) -> str:
    """``error.type``: the SDK's exception class name (``RateLimitError``, ``APITimeoutError``, ...)."""
    return type(exc).__name__
