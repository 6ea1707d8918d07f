"""Validation and resolution of the ``image_generation`` tool object (protocol §3).

Written independently of the SDK's models on purpose: a rule misread in both places must not pass the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._catalog import ALL_FORMATS, ALL_QUALITIES, ImageModel, image_model
from ._errors import ApiError, openai_error
from ._render import PILLOW_HINT, pillow_available

__all__ = [
    "FIXED_SIZES",
    "GIF_DEFAULT_FRAMES",
    "GIF_DEFAULT_FRAME_MS",
    "ToolSpec",
    "check_tool_fields",
    "custom_size_problem",
    "is_custom_size_model",
    "parse_size",
    "resolve_tool",
]

FIXED_SIZES = ("1024x1024", "1024x1536", "1536x1024")

_ENUMS: dict[str, tuple[str, ...]] = {
    "quality": ALL_QUALITIES,
    "background": ("transparent", "opaque", "auto"),
    "output_format": ALL_FORMATS,
    "moderation": ("auto", "low"),
    "input_fidelity": ("high", "low"),
    "action": ("generate", "edit", "auto"),
    "complexity": ("low", "medium", "high"),
}
# Values that depend on the image model; the rest of _ENUMS holds for all of them.
_PER_MODEL = ("quality", "output_format")
_KNOWN_KEYS = frozenset(
    {
        "type",
        "model",
        "size",
        "output_compression",
        "partial_images",
        "input_image_mask",
        "n",
        "frame_count",
        "frame_duration_ms",
        "svg",
        *_ENUMS,
    }
)
GIF_DEFAULT_FRAMES = 9
GIF_DEFAULT_FRAME_MS = 200
# The service documents no upper bounds; these keep one emulated GIF small.
_MAX_FRAMES = 100
_MAX_FRAME_MS = 60_000
_SVG_EFFORTS = ("minimal", "low", "medium", "high")
_SIZE_RE = re.compile(r"^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$")


def _quote_list(values: tuple[str, ...]) -> str:
    quoted = [f"'{v}'" for v in values]
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}" if len(quoted) > 1 else quoted[0]


def _invalid(param: str, value: Any, supported: str) -> ApiError:
    return openai_error(
        400,
        f"Invalid value: '{value}'. Supported values are: {supported}.",
        "invalid_request_error",
        param,
        "invalid_value",
    )


def parse_size(size: str) -> tuple[int, int] | None:
    """``"1536x1024"`` → ``(1536, 1024)``; None when it is not of the WIDTHxHEIGHT form."""
    m = _SIZE_RE.fullmatch(size)
    return (int(m.group(1)), int(m.group(2))) if m else None


def custom_size_problem(w: int, h: int) -> str | None:
    # Azure's gpt-image-2 rules (protocol §3): multiples of 16, aspect 1:3..3:1, long edge <= 3840,
    # 655,360..8,294,400 pixels.
    if w % 16 or h % 16:
        return "both edges must be multiples of 16"
    if max(w, h) > 3 * min(w, h):
        return "the aspect ratio must be between 1:3 and 3:1"
    if max(w, h) > 3840:
        return "the long edge must be at most 3840 pixels"
    if not 655_360 <= w * h <= 8_294_400:
        return "the total pixel count must be between 655,360 and 8,294,400"
    return None


def is_custom_size_model(model: str | None) -> bool:
    """Models that accept arbitrary WIDTHxHEIGHT sizes.

    :param model: an image model name, or None.
    """
    rules = _rules(model)
    return rules is not None and rules.custom_sizes


def _rules(model: str | None) -> ImageModel | None:
    return image_model(str(model)) if model else None


def _model_values(rules: ImageModel | None, key: str) -> tuple[str, ...] | None:
    if rules is None or key not in _PER_MODEL:
        return None
    return rules.qualities if key == "quality" else rules.formats


def _check_fidelity(tool: dict[str, Any], prefix: str, rules: ImageModel | None) -> None:
    fidelity = tool.get("input_fidelity")
    if fidelity is None or rules is None:
        return
    if not rules.input_fidelity:
        raise openai_error(
            400,
            f"input_fidelity is not supported for model '{rules.name}'. Omit this parameter.",
            "invalid_request_error",
            f"{prefix}.input_fidelity",
            "invalid_input_fidelity_model",
        )
    if fidelity not in rules.input_fidelity:
        raise _invalid(f"{prefix}.input_fidelity", fidelity, f"{_quote_list(rules.input_fidelity)} for {rules.name}")


def _int_field(tool: dict[str, Any], key: str) -> int | None:
    value = tool.get(key)
    if value is None:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _check_animation_and_svg(tool: dict[str, Any], prefix: str, fmt: str) -> None:
    """GIF-only and SVG-only fields, and what a GIF cannot be combined with."""
    for key, top in (("frame_count", _MAX_FRAMES), ("frame_duration_ms", _MAX_FRAME_MS)):
        value = _int_field(tool, key)
        if value is None:
            continue
        if fmt != "gif":
            raise _only_with(prefix, key, "gif")
        if not 1 <= value <= top:
            raise _invalid(f"{prefix}.{key}", tool[key], f"integers from 1 to {top}")
    if fmt == "gif":
        if tool.get("partial_images"):
            raise _not_with_gif(prefix, "partial_images", "partial images are not streamed for GIF output; use 0")
        if tool.get("input_image_mask") is not None:
            raise _not_with_gif(prefix, "input_image_mask", "GIF output cannot be masked")
        compression = tool.get("output_compression")
        if compression is not None and compression != 100:
            raise _not_with_gif(prefix, "output_compression", "GIF output takes no output_compression")
    svg = tool.get("svg")
    if svg is None:
        return
    if fmt != "svg":
        raise _only_with(prefix, "svg", "svg")
    if not isinstance(svg, dict):
        raise _invalid(f"{prefix}.svg", svg, "an object with 'model' and 'reasoning'")
    for key in svg:
        if key not in ("model", "reasoning"):
            raise openai_error(
                400,
                f"Unknown parameter: '{prefix}.svg.{key}'.",
                "invalid_request_error",
                f"{prefix}.svg.{key}",
                "unknown_parameter",
            )
    if svg.get("model") is not None and not isinstance(svg["model"], str):
        raise _invalid(f"{prefix}.svg.model", svg["model"], "a model name")
    reasoning = svg.get("reasoning")
    if reasoning is not None:
        effort = reasoning.get("effort") if isinstance(reasoning, dict) else reasoning
        if (
            not isinstance(reasoning, dict)
            or set(reasoning) - {"effort"}
            or (effort is not None and effort not in _SVG_EFFORTS)
        ):
            raise _invalid(
                f"{prefix}.svg.reasoning", reasoning, "an object {'effort': " + _quote_list(_SVG_EFFORTS) + "}"
            )


def _only_with(prefix: str, key: str, fmt: str) -> ApiError:
    return openai_error(
        400,
        f"Invalid parameter: '{key}' is only supported when output_format is '{fmt}'.",
        "invalid_request_error",
        f"{prefix}.{key}",
        "invalid_value",
    )


def _not_with_gif(prefix: str, key: str, why: str) -> ApiError:
    return openai_error(
        400,
        f"Invalid parameter: '{key}' cannot be used with output_format 'gif': {why}.",
        "invalid_request_error",
        f"{prefix}.{key}",
        "invalid_value",
    )


def check_tool_fields(tool: Any, prefix: str, *, image_model: str | None, custom_sizes_unknown: bool = False) -> None:
    """Raise :class:`ApiError` (HTTP 400) for the first invalid field of one image_generation tool.

    ``prefix`` is the parameter path, e.g. ``"tools[0]"``. ``image_model`` decides whether custom sizes
    are allowed; with ``custom_sizes_unknown`` (agent definitions, where the deployment is only known
    at run time) a custom size only has to satisfy the gpt-image-2 rules.
    """
    if not isinstance(tool, dict):
        raise openai_error(
            400,
            f"Invalid type for '{prefix}': expected an object.",
            "invalid_request_error",
            prefix,
            "invalid_type",
        )
    for key in tool:
        if key not in _KNOWN_KEYS:
            raise openai_error(
                400,
                f"Unknown parameter: '{prefix}.{key}'.",
                "invalid_request_error",
                f"{prefix}.{key}",
                "unknown_parameter",
            )
    model = tool.get("model")
    if model is not None and not isinstance(model, str):
        raise _invalid(f"{prefix}.model", model, "an image model deployment name")
    effective_model = image_model or model
    rules = _rules(effective_model)
    for key, allowed in _ENUMS.items():
        value = tool.get(key)
        if value is None:
            continue
        narrowed = _model_values(rules, key)
        if value not in allowed:
            raise _invalid(f"{prefix}.{key}", value, _quote_list(narrowed or allowed))
        if narrowed is not None and value not in narrowed:
            assert rules is not None
            raise _invalid(f"{prefix}.{key}", value, f"{_quote_list(narrowed)} for {rules.name}")
    partial = tool.get("partial_images")
    if partial is not None and (isinstance(partial, bool) or not isinstance(partial, int) or not 0 <= partial <= 3):
        raise _invalid(f"{prefix}.partial_images", partial, "integers from 0 to 3")
    compression = tool.get("output_compression")
    if compression is not None and (
        isinstance(compression, bool) or not isinstance(compression, int) or not 0 <= compression <= 100
    ):
        raise _invalid(f"{prefix}.output_compression", compression, "integers from 0 to 100")
    n = tool.get("n")
    if n is not None and n != 1:
        raise _invalid(f"{prefix}.n", n, "1")
    fmt = tool.get("output_format") or "png"
    if tool.get("background") == "transparent" and fmt == "jpeg":
        raise openai_error(
            400,
            "Invalid value: 'transparent'. Supported values are: 'opaque' and 'auto' when output_format is "
            "'jpeg'; "
            "transparent backgrounds need 'png' or 'webp'.",
            "invalid_request_error",
            f"{prefix}.background",
            "invalid_value",
        )
    _check_fidelity(tool, prefix, rules)
    _check_animation_and_svg(tool, prefix, fmt)
    size = tool.get("size")
    if size is not None and size != "auto" and size not in FIXED_SIZES:
        parsed = parse_size(size) if isinstance(size, str) else None
        fixed = _quote_list((*FIXED_SIZES, "auto"))
        if parsed is None:
            raise _invalid(f"{prefix}.size", size, fixed)
        if (rules is not None and rules.custom_sizes) or (custom_sizes_unknown and effective_model is None):
            problem = custom_size_problem(*parsed)
            if problem:
                raise _invalid(f"{prefix}.size", size, f"{fixed}, or WIDTHxHEIGHT where {problem}")
        else:
            raise _invalid(f"{prefix}.size", size, fixed + " (custom WIDTHxHEIGHT needs a gpt-image-2 deployment)")
    mask = tool.get("input_image_mask")
    if mask is not None:
        if not isinstance(mask, dict):
            raise _invalid(f"{prefix}.input_image_mask", mask, "an object with 'image_url' or 'file_id'")
        for key in mask:
            if key not in ("image_url", "file_id"):
                raise openai_error(
                    400,
                    f"Unknown parameter: '{prefix}.input_image_mask.{key}'.",
                    "invalid_request_error",
                    f"{prefix}.input_image_mask.{key}",
                    "unknown_parameter",
                )
        if not any(isinstance(mask.get(k), str) and mask.get(k) for k in ("image_url", "file_id")):
            raise _invalid(f"{prefix}.input_image_mask", mask, "an object with 'image_url' or 'file_id'")
    if fmt in ("jpeg", "webp") and not pillow_available():
        raise openai_error(
            400,
            f"The emulator cannot write '{fmt}' images without Pillow: {PILLOW_HINT}.",
            "invalid_request_error",
            f"{prefix}.output_format",
            "unsupported_value",
        )


@dataclass(frozen=True)
class ToolSpec:
    """An image tool after validation, with ``auto`` values resolved the way the service reports them."""

    index: int
    deployment: str
    image_model: str
    width: int
    height: int
    quality: str
    background: str
    output_format: str
    output_compression: int
    moderation: str
    partial_images: int
    input_fidelity: str | None
    action: str
    mask: dict[str, Any] | None
    echo: dict[str, Any]
    size_is_auto: bool = False
    complexity: str | None = None
    frame_count: int = GIF_DEFAULT_FRAMES
    frame_duration_ms: int = GIF_DEFAULT_FRAME_MS
    svg: dict[str, Any] | None = None

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def transparent(self) -> bool:
        return self.background == "transparent"


def resolve_tool(tool: dict[str, Any], index: int, *, deployment: str, image_model: str) -> ToolSpec:
    """Fill in defaults for a tool that already passed :func:`check_tool_fields`."""
    size = tool.get("size") or "auto"
    w, h = parse_size(size) or (1024, 1024)
    quality = tool.get("quality") or "auto"
    background = tool.get("background") or "auto"
    fmt = tool.get("output_format") or "png"
    compression = tool.get("output_compression")
    echo = {
        "type": "image_generation",
        "background": background,
        "model": tool.get("model") or deployment,
        "moderation": tool.get("moderation") or "auto",
        "n": 1,
        "output_compression": 100 if compression is None else compression,
        "output_format": fmt,
        "quality": quality,
        "size": size,
    }
    if fmt == "gif":
        echo["frame_count"] = tool.get("frame_count") or GIF_DEFAULT_FRAMES
        echo["frame_duration_ms"] = tool.get("frame_duration_ms") or GIF_DEFAULT_FRAME_MS
    for optional in ("partial_images", "input_fidelity", "action", "input_image_mask", "complexity", "svg"):
        if tool.get(optional) is not None:
            echo[optional] = tool[optional]
    return ToolSpec(
        index=index,
        deployment=deployment,
        image_model=image_model,
        width=w,
        height=h,
        quality="medium" if quality == "auto" else quality,
        background="opaque" if background == "auto" else background,
        output_format=fmt,
        output_compression=100 if compression is None else compression,
        moderation=tool.get("moderation") or "auto",
        partial_images=tool.get("partial_images") or 0,
        input_fidelity=tool.get("input_fidelity"),
        action=tool.get("action") or "auto",
        mask=tool.get("input_image_mask"),
        echo=echo,
        size_is_auto=size == "auto",
        complexity=tool.get("complexity"),
        frame_count=tool.get("frame_count") or GIF_DEFAULT_FRAMES,
        frame_duration_ms=tool.get("frame_duration_ms") or GIF_DEFAULT_FRAME_MS,
        svg=tool.get("svg"),
    )
