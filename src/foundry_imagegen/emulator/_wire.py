"""Hand-written wire JSON for Responses objects, output items and stream events (protocol §5, §6)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from typing import Any

__all__ = [
    "compact_json",
    "image_call_item",
    "message_item",
    "new_id",
    "reasoning_item",
    "response_object",
    "revise_prompt",
    "strip_results",
    "tool_usage",
    "usage_for",
]


def new_id(prefix: str) -> str:
    """IDs shaped like the service's: ``resp_``/``ig_``/``msg_`` + 50 hex digits."""
    return f"{prefix}_{uuid.uuid4().hex}{uuid.uuid4().hex[:18]}"


def compact_json(value: Any) -> bytes:
    """JSON without spaces, as the service sends it (one ``data:`` line per event, however large)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


_STYLES = (
    "soft pastel tones",
    "bold flat shapes",
    "warm evening light",
    "a crisp geometric composition",
    "a gentle gradient sky",
    "playful colour blocks",
)


def _core(prompt: str) -> str:
    text = re.sub(r"\s+", " ", prompt).strip().rstrip(".!?;, ")
    return text or "an abstract landscape"


def revise_prompt(prompt: str, *, seed: int, edit: bool = False) -> str:
    """Deterministic rewording of the prompt, like the model's ``revised_prompt``."""
    core = _core(prompt)
    h = int.from_bytes(hashlib.sha256(f"{seed}|{core}".encode()).digest()[:4], "big")
    style = _STYLES[h % len(_STYLES)]
    lead = "Edit of the previous image: " if edit else ""
    return f"{lead}{core[0].upper()}{core[1:]}, illustrated with {style}, horizon landscape, centered layout"


def usage_for(prompt: str, text: str, instructions: str | None = None, *, reasoning: bool = False) -> dict[str, Any]:
    """Orchestrator token usage; the image model's tokens are in ``tool_usage.image_gen`` instead.

    :param prompt: the user's text.
    :param text: the assistant's answer.
    :param instructions: system instructions, counted as input.
    :param reasoning: a reasoning orchestrator also spends (and reports) reasoning tokens.
    """
    input_tokens = 24 + (len(prompt) + len(instructions or "")) // 4
    reasoning_tokens = 192 + len(prompt) if reasoning else 0
    output_tokens = 12 + len(text) // 4 + reasoning_tokens
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


def tool_usage(*, text_in: int = 0, image_in: int = 0, text_out: int = 0, image_out: int = 0) -> dict[str, Any]:
    """``tool_usage`` with the image tool's tokens (all image calls of the response summed).

    :param text_in: prompt tokens the image model read.
    :param image_in: tokens of the input images and mask.
    :param text_out: text tokens written (SVG output).
    :param image_out: image tokens written (final image and partials).
    """
    input_tokens, output_tokens = text_in + image_in, text_out + image_out
    return {
        "image_gen": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"image_tokens": image_in, "text_tokens": text_in},
            "output_tokens": output_tokens,
            "output_tokens_details": {"image_tokens": image_out, "text_tokens": text_out},
            "total_tokens": input_tokens + output_tokens,
        },
        "web_search": {"num_requests": 0},
    }


def reasoning_item(item_id: str) -> dict[str, Any]:
    """A ``reasoning`` output item as reasoning orchestrators send it before calling the tool."""
    return {"id": item_id, "type": "reasoning", "summary": []}


def image_call_item(
    item_id: str,
    status: str,
    result: str | None,
    *,
    revised_prompt: str | None = None,
    size: str | None = None,
    quality: str | None = None,
    background: str | None = None,
    output_format: str | None = None,
    action: str | None = None,
    error: dict[str, Any] | None = None,
    svg_usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``image_generation_call`` output item; the optional observed fields only when known."""
    item: dict[str, Any] = {"id": item_id, "type": "image_generation_call", "status": status}
    if background is not None:
        item["background"] = background
    if output_format is not None:
        item["output_format"] = output_format
    if quality is not None:
        item["quality"] = quality
    item["result"] = result
    if revised_prompt is not None:
        item["revised_prompt"] = revised_prompt
    if size is not None:
        item["size"] = size
    if action is not None:
        item["action"] = action
    if error is not None:
        item["error"] = error
    if svg_usage is not None:
        item["svg_usage"] = svg_usage
    return item


def output_text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def message_item(item_id: str, text: str | None, *, status: str = "completed") -> dict[str, Any]:
    """An assistant ``message`` item; ``text=None`` gives the empty in-progress shell used in streams."""
    content = [] if text is None else [output_text_part(text)]
    return {"id": item_id, "type": "message", "status": status, "content": content, "role": "assistant"}


def response_object(
    *,
    response_id: str,
    created_at: int,
    status: str,
    model: str,
    output: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    body: dict[str, Any],
    instructions: str | None,
    usage: dict[str, Any] | None,
    error: dict[str, Any] | None = None,
    completed_at: int | None = None,
    agent_reference: dict[str, Any] | None = None,
    conversation: str | None = None,
    tool_usage: dict[str, Any] | None = None,
    reasoning_effort: str | None = None,
) -> dict[str, Any]:
    """A ``response`` object with the field set Azure returns (see the Azure stream capture in vercel/ai)."""
    obj: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": bool(body.get("background", False)),
        "completed_at": completed_at,
        "content_filters": None,
        "error": error,
        "incomplete_details": None,
        "instructions": instructions,
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": reasoning_effort, "summary": None},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": body.get("store", True) is not False,
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": tools,
        "top_logprobs": 0,
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": usage,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }
    if tool_usage is not None:
        obj["tool_usage"] = tool_usage
    if agent_reference is not None:
        obj["agent_reference"] = agent_reference
    if conversation is not None:
        obj["conversation"] = {"id": conversation}
    return obj


def strip_results(response: dict[str, Any]) -> dict[str, Any]:
    """What ``GET /responses/{id}`` returns: image call results are not kept by the service."""
    out = copy.deepcopy(response)
    for item in out.get("output", []):
        if item.get("type") == "image_generation_call":
            item["result"] = None
    return out
