"""Sans-I/O building of Responses API calls: pure functions from typed config to method/path/headers/body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError
from .calls import InputLike, ResponsesRequest, ToolChoice

if TYPE_CHECKING:
    from .agents import AgentReference
    from .inputs import ResolvedImage
    from .tool import ImageGenerationTool

__all__ = ["build_responses_request", "check_agent_tool", "with_images"]

_TOOL_CHOICES = ("auto", "none", "required", "image_generation")

#: Body fields this SDK owns: set through extra_body they would change what the call means (a stream
#: answered on the JSON path, a model on an agent call) after the checks ran.
_RESERVED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "previous_response_id",
        "store",
        "stream",
        "agent",
        "agent_reference",
        "conversation",
        "background",
    }
)

#: What we send when streaming is asked and partial_images is unset. The service has answered 400
#: "Streaming must have non-zero partial images" to 0, and one partial is the
#: cheapest value that both avoids that and shows progress.
STREAM_DEFAULT_PARTIAL_IMAGES = 1


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


def with_images(prompt: InputLike, images: Sequence[ResolvedImage]) -> InputLike:
    """The input with image parts: one user message holding the text, then each image.

    Example::

        with_images("make it night", [resolve_image("day.png")])
    """
    if not images:
        return prompt
    if not isinstance(prompt, str):
        raise ConfigurationError(
            "images= needs a string prompt. Fix: pass the prompt as a string, or put input_image parts in "
            "your own messages and leave images= unset"
        )
    _check_input(prompt)
    content: list[dict[str, str]] = [{"type": "input_text", "text": prompt}]
    content.extend(image.input_part() for image in images)
    return [{"role": "user", "content": content}]


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
    agent: AgentReference | None = None,
    agent_field: str = "agent_reference",
) -> ResponsesRequest:
    """Build ``POST /responses``: a direct model call that carries ``tool``, or a call naming ``agent``.

    With an agent the body names it (``agent_reference``, or the legacy ``agent`` field) instead of
    ``model`` and ``tools``; the image deployment header is still required. Raises
    ``ConfigurationError`` before anything is sent when the call could only fail.

    Example::

        build_responses_request(tool, "a cat", model="gpt-5.1", tool_choice="image_generation")
    """
    headers = tool.headers()
    if agent is not None:
        return _agent_request(
            tool,
            input,
            headers,
            agent=agent,
            agent_field=agent_field,
            instructions=instructions,
            tool_choice=tool_choice,
            previous_response_id=previous_response_id,
            store=store,
            stream=stream,
            extra_body=extra_body,
        )
    if not model:
        raise ConfigurationError(
            f"model={model!r}: a direct call needs the orchestrator (chat) model deployment that decides to "
            "call the image tool. Fix: pass model='gpt-5.1' (your deployment's name), set "
            "FoundryClient(model=...), or set AZURE_AI_MODEL_DEPLOYMENT_NAME for from_env()"
        )
    if model == tool.image_deployment:
        raise ConfigurationError(
            f"model={model!r} is also the image deployment. The orchestrator must be a chat model "
            "deployment different from the image model deployment. Fix: model='<chat deployment, e.g. "
            f"gpt-5.1>' and keep image_deployment={tool.image_deployment!r} for images"
        )
    param = tool.to_param()
    if stream and tool.partial_images is None and tool.output_format != "gif":
        # GIF output has no partial images, so the service's "non-zero partials" rule cannot apply to it.
        param["partial_images"] = STREAM_DEFAULT_PARTIAL_IMAGES
    return _request(
        {"model": model},
        input,
        headers,
        tools=[param],
        instructions=instructions,
        tool_choice=tool_choice,
        previous_response_id=previous_response_id,
        store=store,
        stream=stream,
        extra_body=extra_body,
    )


def _request(
    head: dict[str, Any],
    input: InputLike,
    headers: dict[str, str],
    *,
    tools: list[dict[str, Any]] | None,
    instructions: str | None,
    tool_choice: ToolChoice | None,
    previous_response_id: str | None,
    store: bool | None,
    stream: bool,
    extra_body: Mapping[str, Any] | None,
) -> ResponsesRequest:
    # The fields every Responses call shares, after its head (model, or the agent's name).
    body: dict[str, Any] = {**head, "input": _check_input(input)}
    if instructions is not None:
        body["instructions"] = instructions
    if tools is not None:
        body["tools"] = tools
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
        clash = sorted(set(extra_body) & (set(body) | _RESERVED))
        if clash:
            raise ConfigurationError(
                f"extra_body sets {', '.join(clash)}, which this call already sets. Fix: use the named "
                "parameter instead"
            )
        body.update(extra_body)
    return ResponsesRequest(method="POST", path="/responses", headers=headers, json=body)


def check_agent_tool(tool: ImageGenerationTool, *, has_mask: bool) -> None:
    """Refuse what an agent call would silently ignore: the agent's stored definition holds its tool."""
    if has_mask:
        raise ConfigurationError(
            "mask= cannot be sent with agent=: the mask is part of the image tool, and an agent's tool comes from "
            "its stored definition. Fix: edit with a direct call (model=...) instead"
        )
    ignored = sorted(
        set(tool.model_dump(exclude_none=True)) - {"type", "image_deployment", "image_model", "input_image_mask"}
    )
    if ignored:
        # Quietly dropping size/quality/... would give the caller an image they did not ask for.
        raise ConfigurationError(
            f"tool sets {', '.join(ignored)}, but with agent= the image tool comes from the agent's stored "
            "definition. Fix: create an agent version with those settings, or call without agent="
        )


def _agent_request(
    tool: ImageGenerationTool,
    input: InputLike,
    headers: dict[str, str],
    *,
    agent: AgentReference,
    agent_field: str,
    instructions: str | None,
    tool_choice: ToolChoice | None,
    previous_response_id: str | None,
    store: bool | None,
    stream: bool,
    extra_body: Mapping[str, Any] | None,
) -> ResponsesRequest:
    check_agent_tool(tool, has_mask=tool.input_image_mask is not None)
    if agent_field not in ("agent_reference", "agent", ""):
        raise ConfigurationError(f"agent_field={agent_field!r}. Fix: 'agent_reference' or 'agent'")
    return _request(
        # "" is an agent endpoint call: its URL names the agent, the body does not.
        {agent_field: agent_reference_param(agent)} if agent_field else {},
        input,
        headers,
        tools=None,
        instructions=instructions,
        tool_choice=tool_choice,
        previous_response_id=previous_response_id,
        store=store,
        stream=stream,
        extra_body=extra_body,
    )


def agent_reference_param(agent: AgentReference) -> dict[str, str]:
    """The wire object that names an agent in a Responses call."""
    param = {"type": "agent_reference", "name": agent.name}
    if agent.version is not None:
        param["version"] = agent.version
    return param
