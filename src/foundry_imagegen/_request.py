"""Sans-I/O building of Responses API calls: pure functions from typed config to method/path/headers/body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ._constants import IMAGE_DEPLOYMENT_HEADER
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._tool import ImageGenerationTool

__all__ = ["InputLike", "ResponsesRequest", "ToolChoice", "build_responses_request"]

#: A prompt string, or Responses input items (message dicts) as the wire wants them.
InputLike = str | Sequence[Mapping[str, Any]]

#: ``"image_generation"`` forces the image tool (wire form ``{"type": "image_generation"}``).
ToolChoice = Literal["auto", "none", "required", "image_generation"]

_TOOL_CHOICES = ("auto", "none", "required", "image_generation")

#: What we send when streaming is asked and partial_images is unset. The service has answered 400
#: "Streaming must have non-zero partial images" to 0 (peers.md pain 3), and one partial is the
#: cheapest value that both avoids that and shows progress.
STREAM_DEFAULT_PARTIAL_IMAGES = 1


@dataclass(frozen=True)
class ResponsesRequest:
    """One Responses API call, ready to send: ``path`` is relative to the ``.../openai/v1`` base URL.

    Example::

        req = ImageGenerationTool(deployment="gpt-image-1").build_request("a cat", model="gpt-4.1")
        httpx.post(base_url + req.path, headers=req.headers, json=req.json)
    """

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stream(self) -> bool:
        """Whether the answer is an event stream."""
        return bool(self.json.get("stream"))

    @property
    def image_deployment(self) -> str | None:
        """The image deployment this call names in its header."""
        return self.headers.get(IMAGE_DEPLOYMENT_HEADER)


def _check_input(input: InputLike) -> InputLike:
    if isinstance(input, str):
        if not input.strip():
            raise ConfigurationError("input='' is empty. Fix: describe the image you want, e.g. 'a red fox'")
        return input
    items: object = input
    if isinstance(items, (bytes, bytearray)) or not isinstance(items, Sequence):
        raise ConfigurationError(
            f"input is a {type(input).__name__}. Fix: pass a prompt string or a list of message dicts "
            "such as [{'role': 'user', 'content': 'a red fox'}]"
        )
    if not input:
        raise ConfigurationError("input=[] has no items. Fix: pass a prompt string or at least one message")
    checked: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ConfigurationError(
                f"input[{index}] is a {type(item).__name__}. Fix: each item must be a dict such as "
                "{'role': 'user', 'content': '...'}"
            )
        checked.append(dict(item))
    return checked


def tool_choice_param(tool_choice: ToolChoice) -> str | dict[str, str]:
    """The wire form of a tool choice."""
    if tool_choice not in _TOOL_CHOICES:
        raise ConfigurationError(
            f"tool_choice={tool_choice!r} is not a choice. Fix: use one of {', '.join(_TOOL_CHOICES)}"
        )
    if tool_choice == "image_generation":
        return {"type": "image_generation"}
    return tool_choice


def build_responses_request(
    tool: ImageGenerationTool,
    input: InputLike,
    *,
    model: str | None,
    instructions: str | None = None,
    tool_choice: ToolChoice | None = None,
    previous_response_id: str | None = None,
    store: bool | None = None,
    stream: bool = False,
    extra_body: Mapping[str, Any] | None = None,
) -> ResponsesRequest:
    """Build ``POST /responses`` for a direct model call that carries ``tool``.

    Raises ``ConfigurationError`` before anything is sent when the call could only fail.

    Example::

        build_responses_request(tool, "a cat", model="gpt-4.1", tool_choice="image_generation")
    """
    headers = tool.headers()
    if not model:
        raise ConfigurationError(
            f"model={model!r}: a direct call needs the orchestrator (chat) model deployment that decides to "
            "call the image tool. Fix: pass model='gpt-4.1' (your deployment's name), set "
            "FoundryClient(model=...), or set AZURE_AI_MODEL_DEPLOYMENT_NAME for from_env()"
        )
    if model == tool.deployment:
        raise ConfigurationError(
            f"model={model!r} is also the image deployment. The orchestrator must be a chat model "
            "deployment different from the image model deployment. Fix: model='<chat deployment, e.g. "
            f"gpt-4.1>' and keep deployment={tool.deployment!r} for images"
        )
    param = tool.to_param()
    if stream and tool.partial_images is None:
        param["partial_images"] = STREAM_DEFAULT_PARTIAL_IMAGES
    body: dict[str, Any] = {"model": model, "input": _check_input(input)}
    if instructions is not None:
        body["instructions"] = instructions
    body["tools"] = [param]
    if tool_choice is not None:
        body["tool_choice"] = tool_choice_param(tool_choice)
    if previous_response_id is not None:
        body["previous_response_id"] = previous_response_id
    if store is not None:
        body["store"] = store
    if stream:
        body["stream"] = True
        headers["Accept"] = "text/event-stream"
    if extra_body:
        clash = sorted(set(extra_body) & set(body))
        if clash:
            raise ConfigurationError(
                f"extra_body sets {', '.join(clash)}, which this call already sets. Fix: use the "
                "named parameter instead"
            )
        body.update(extra_body)
    return ResponsesRequest(method="POST", path="/responses", headers=headers, json=body)
