"""Validation and resolution of the ``image_generation`` tool object (protocol §3).

Written independently of the SDK's models on purpose: a rule misread in both places must not pass the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._errors import ApiError, openai_error
from ._render import PILLOW_HINT, pillow_available

__all__ = [
    "FIXED_SIZES",
    "ToolSpec",
    "check_tool_fields",
    "custom_size_problem",
    "is_custom_size_model",
    "parse_size",
    "resolve_tool",
]

FIXED_SIZES = ("1024x1024", "1024x1536", "1536x1024")

_ENUMS: dict[str, tuple[str, ...]] = {
    "quality": ("low", "medium", "high", "auto"),
    "background": ("transparent", "opaque", "auto"),
    "output_format": ("png", "webp", "jpeg"),
    "moderation": ("auto", "low"),
    "input_fidelity": ("high", "low"),
    "action": ("generate", "edit", "auto"),
}
_KNOWN_KEYS = frozenset(
    {
        "type",
        "model",
        "size",
        "output_compression",
        "partial_images",
        "input_image_mask",
        "n",
        *_ENUMS,
    }
)
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
    """Models that accept arbitrary WIDTHxHEIGHT sizes."""
    return bool(model) and str(model).startswith("gpt-image-2")


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
    for key, allowed in _ENUMS.items():
        value = tool.get(key)
        if value is not None and value not in allowed:
            raise _invalid(f"{prefix}.{key}", value, _quote_list(allowed))
    model = tool.get("model")
    if model is not None and not isinstance(model, str):
        raise _invalid(f"{prefix}.model", model, "an image model deployment name")
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
    effective_model = image_model or model
    if tool.get("input_fidelity") == "high" and effective_model and str(effective_model).startswith("gpt-image-1-mini"):
        raise _invalid(f"{prefix}.input_fidelity", "high", "'low' for gpt-image-1-mini")
    size = tool.get("size")
    if size is not None and size != "auto" and size not in FIXED_SIZES:
        parsed = parse_size(size) if isinstance(size, str) else None
        fixed = _quote_list((*FIXED_SIZES, "auto"))
        if parsed is None:
            raise _invalid(f"{prefix}.size", size, fixed)
        if is_custom_size_model(effective_model) or (custom_sizes_unknown and effective_model is None):
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
    for optional in ("partial_images", "input_fidelity", "action", "input_image_mask"):
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
    )
