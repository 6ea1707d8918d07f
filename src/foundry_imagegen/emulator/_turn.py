"""One validated Responses call (a "turn"): its settings, its pictures and the wire objects it answers with."""

from __future__ import annotations

import base64
import dataclasses
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._png import Raster
from ._render import Scene, build_scene, encode_image, partial_scale, render, render_edit, resize_nearest
from ._tool import ToolSpec
from ._vector import encode_gif, render_svg
from ._wire import image_call_item, response_object, revise_prompt, tool_usage, usage_for

# Output image tokens per quality, scaled so 1024x1024 "high" costs 7,024 as on gpt-image-2.
_QUALITY_FACTOR = {"low": 16, "medium": 48, "high": 96, "xhigh": 144, "max": 192}
_PARTIAL_TOKENS = 100

__all__ = ["NO_TOOL_TEXT", "Turn", "extract_prompt", "text_reply"]

NO_TOOL_TEXT = "This is a text answer from the Foundry image generation emulator (no image tool was given)."


def extract_prompt(value: Any) -> str:
    """Text of ``input``: the string itself, or the user messages' text parts joined by newlines.

    :param value: the request body's ``input`` (string, list of items, or None).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    texts: list[str] = []
    for item in value:
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            continue
        if item.get("role", "user") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for part in content:
                if (
                    isinstance(part, dict)
                    and part.get("type") in ("input_text", "text")
                    and isinstance(part.get("text"), str)
                ):
                    texts.append(part["text"])
    return "\n".join(texts)


def text_reply(prompt: str, *, edit: bool) -> str:
    """The assistant's message after an image call.

    :param prompt: the user's prompt.
    :param edit: whether the call edited an input image.
    """
    core = re.sub(r"\s+", " ", prompt).strip().rstrip(".!?") or "your idea"
    verb = "edited" if edit else "generated"
    return f"Here is the {verb} image of {core}. If you want any changes or another style, just let me know!"


@dataclass
class Turn:
    """One validated Responses call, ready to be answered (images are rendered lazily, once)."""

    body: dict[str, Any]
    response_id: str
    created_at: int
    model: str
    instructions: str | None
    prompt: str
    tools_echo: list[dict[str, Any]]
    spec: ToolSpec | None
    seed: int
    agent_reference: dict[str, Any] | None = None
    reasoning: bool = False
    base: Raster | None = None
    mask: Raster | None = None
    # The emulator clock, for ``completed_at``.
    now: Callable[[], float] = time.time
    # With ``conversation``: its id, and this turn's input items to append once it completes.
    conversation_id: str | None = None
    input_items: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    _final: Raster | None = None
    _final_b64: str | None = None

    @property
    def action(self) -> str:
        return "edit" if self.base is not None else "generate"

    @property
    def store(self) -> bool:
        return self.body.get("store", True) is not False

    def revised_prompt(self) -> str:
        return revise_prompt(self.prompt, seed=self.seed, edit=self.base is not None)

    def _spec(self) -> ToolSpec:
        spec = self.spec
        assert spec is not None
        return spec

    def scene_salt(self) -> str:
        spec = self._spec()
        return f"{spec.quality}|{spec.background}|{self.action}"

    def final_raster(self) -> Raster:
        if self._final is None:
            spec = self._spec()
            scene = build_scene(self.prompt, seed=self.seed, quality=spec.quality, salt=self.scene_salt())
            self._final = self._render_final(scene, spec)
        return self._final

    def _render_final(self, scene: Scene, spec: ToolSpec) -> Raster:
        if self.base is not None:
            return render_edit(self.base, self.mask, scene, spec.width, spec.height, transparent=spec.transparent)
        return render(scene, spec.width, spec.height, transparent=spec.transparent)

    def _scene(self) -> Scene:
        spec = self._spec()
        return build_scene(self.prompt, seed=self.seed, quality=spec.quality, salt=self.scene_salt())

    def _encode(self, raster: Raster, scene: Scene) -> bytes:
        spec = self._spec()
        if spec.output_format == "gif":
            return encode_gif(raster, scene, frame_count=spec.frame_count, frame_duration_ms=spec.frame_duration_ms)
        if spec.output_format == "svg":
            return render_svg(scene, spec.width, spec.height, transparent=spec.transparent, title=self.revised_prompt())
        return encode_image(raster, spec.output_format, compression=spec.output_compression)

    def final_b64(self) -> str:
        if self._final_b64 is None:
            data = self._encode(self.final_raster(), self._scene())
            self._final_b64 = base64.b64encode(data).decode("ascii")
        return self._final_b64

    def partial_b64(self, index: int, total: int) -> str:
        spec = self._spec()
        if spec.output_format == "svg":
            scene = self._scene()
            keep = max(1, math.ceil(len(scene.shapes) * (index + 1) / (total + 1)))
            data = self._encode(self.final_raster(), dataclasses.replace(scene, shapes=scene.shapes[:keep]))
            return base64.b64encode(data).decode("ascii")
        scale = partial_scale(index)
        if self.base is None:
            scene = build_scene(self.prompt, seed=self.seed, quality=spec.quality, salt=self.scene_salt())
            raster = render(
                scene,
                spec.width,
                spec.height,
                transparent=spec.transparent,
                scale=scale,
                shape_fraction=(index + 1) / (total + 1),
            )
        else:
            final = self.final_raster()
            small = resize_nearest(final, max(1, spec.width // scale), max(1, spec.height // scale))
            raster = resize_nearest(small, spec.width, spec.height)
        data = encode_image(raster, spec.output_format, compression=spec.output_compression)
        return base64.b64encode(data).decode("ascii")

    @staticmethod
    def _input_image_tokens(raster: Raster | None) -> int:
        if raster is None:
            return 0
        return 65 + 129 * math.ceil(raster.width / 512) * math.ceil(raster.height / 512)

    def image_usage(self, *, produced: bool, partials: int = 0) -> dict[str, Any]:
        """``tool_usage`` for this turn: zero without an image call; output tokens only for a produced image.

        Tokens grow with the pixel count and the quality, as the service bills them; a GIF pays for its
        extra frames, an SVG is written as text tokens.
        """
        spec = self.spec
        if spec is None:
            return tool_usage()
        text_in = 8 + len(self.prompt) // 4
        image_in = self._input_image_tokens(self.base) + self._input_image_tokens(self.mask)
        if not produced:
            return tool_usage(text_in=text_in, image_in=image_in)
        if spec.output_format == "svg":
            return tool_usage(text_in=text_in, image_in=image_in, text_out=len(self.final_b64()) * 3 // 16)
        pixels = spec.width * spec.height / (1024 * 1024)
        image_out = 16 + round(_QUALITY_FACTOR.get(spec.quality, 48) * 73 * pixels)
        if spec.output_format == "gif":
            image_out += (spec.frame_count - 1) * image_out // 8
        image_out += _PARTIAL_TOKENS * partials
        return tool_usage(text_in=text_in, image_in=image_in, image_out=image_out)

    def svg_usage(self) -> dict[str, Any] | None:
        """The ``svg_usage`` of an SVG image call (the text model that wrote the SVG), else None."""
        spec = self._spec()
        if spec.output_format != "svg":
            return None
        svg = spec.svg or {}
        model = svg.get("model") if isinstance(svg.get("model"), str) else self.model
        input_tokens = 40 + len(self.prompt) // 4
        reasoning_tokens = 256
        output_tokens = len(self.final_b64()) * 3 // 16 + reasoning_tokens
        return {
            "input_tokens": input_tokens,
            "model": model,
            "output_tokens": output_tokens,
            "reasoning_tokens": reasoning_tokens,
            "total_tokens": input_tokens + output_tokens,
        }

    def image_item(self, item_id: str, status: str, result: str | None, **extra: Any) -> dict[str, Any]:
        spec = self._spec()
        return image_call_item(
            item_id,
            status,
            result,
            revised_prompt=self.revised_prompt(),
            size=spec.size,
            quality=spec.quality,
            background=spec.background,
            output_format=spec.output_format,
            action=self.action,
            **extra,
        )

    def response(
        self,
        status: str,
        output: list[dict[str, Any]],
        *,
        text: str = "",
        error: dict[str, Any] | None = None,
        image_usage: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        done = status in ("completed", "failed", "incomplete")
        effort = self.body.get("reasoning", {}).get("effort") if isinstance(self.body.get("reasoning"), dict) else None
        return response_object(
            response_id=self.response_id,
            created_at=self.created_at,
            status=status,
            model=self.model,
            output=output,
            tools=self.tools_echo,
            body=self.body,
            instructions=self.instructions,
            usage=usage_for(self.prompt, text, self.instructions, reasoning=self.reasoning) if done else None,
            error=error,
            completed_at=int(self.now()) if status == "completed" else None,
            agent_reference=self.agent_reference,
            conversation=self.conversation_id,
            tool_usage=image_usage if done else None,
            reasoning_effort=(effort or "medium") if self.reasoning else None,
        )
