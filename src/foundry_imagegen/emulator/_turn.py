"""One validated Responses call (a "turn"): its settings, its pictures and the wire objects it answers with."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from typing import Any

from ._png import Raster
from ._render import Scene, build_scene, encode_image, partial_scale, render, render_edit, resize_nearest
from ._tool import ToolSpec
from ._wire import image_call_item, response_object, revise_prompt, usage_for

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
    base: Raster | None = None
    mask: Raster | None = None
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

    def final_b64(self) -> str:
        if self._final_b64 is None:
            spec = self._spec()
            data = encode_image(self.final_raster(), spec.output_format, compression=spec.output_compression)
            self._final_b64 = base64.b64encode(data).decode("ascii")
        return self._final_b64

    def partial_b64(self, index: int, total: int) -> str:
        spec = self._spec()
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
    ) -> dict[str, Any]:
        done = status in ("completed", "failed", "incomplete")
        return response_object(
            response_id=self.response_id,
            created_at=self.created_at,
            status=status,
            model=self.model,
            output=output,
            tools=self.tools_echo,
            body=self.body,
            instructions=self.instructions,
            usage=usage_for(self.prompt, text, self.instructions) if done else None,
            error=error,
            completed_at=int(time.time()) if status == "completed" else None,
            agent_reference=self.agent_reference,
        )
