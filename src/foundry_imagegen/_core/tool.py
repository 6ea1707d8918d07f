"""The typed ``image_generation`` tool config: validation, wire JSON and the deployment header."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..exceptions import MissingImageDeploymentError
from .constants import IMAGE_DEPLOYMENT_HEADER

if TYPE_CHECKING:
    from .calls import InputLike, ResponsesRequest, ToolChoice

__all__ = ["ImageGenerationTool", "InputImageMask", "ToolConfigWarning"]

FIXED_SIZES = ("1024x1024", "1024x1536", "1536x1024")
_SIZE_RE = re.compile(r"^([1-9][0-9]{1,4})x([1-9][0-9]{1,4})$")
# Date-pinned names (gpt-image-2-2026-04-21) belong to the family of their prefix.
_FAMILY_RE = re.compile(r"^(gpt-image-1-mini|gpt-image-1\.5|gpt-image-1|gpt-image-2)(-\d{4}-\d{2}-\d{2})?$")
_DEPLOYMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# gpt-image-2 custom size limits: OpenAI's edge/aspect rules plus Azure's pixel budget.
_MAX_EDGE = 3840
_MIN_PIXELS = 655_360
_MAX_PIXELS = 8_294_400


class ToolConfigWarning(UserWarning):
    """A tool setting could not be checked locally (for example a custom size on an unknown model).

    Example::

        warnings.simplefilter("error", ToolConfigWarning)  # make such settings fail fast
    """


def _err(field: str, value: object, problem: str, fix: str) -> PydanticCustomError:
    # One shape for every message: what is wrong with which value, then the fix.
    return PydanticCustomError(
        "tool_config",
        "{field}={value} {problem}. Fix: {fix}",
        {"field": field, "value": repr(value), "problem": problem, "fix": fix},
    )


def model_family(name: str | None) -> str | None:
    """The known image model family a model or deployment name belongs to, or None if unknown."""
    if not name:
        return None
    match = _FAMILY_RE.fullmatch(name.strip().lower())
    return match.group(1) if match else None


class InputImageMask(BaseModel):
    """The inpainting mask of an edit: a base64/data-URL image or an uploaded file id, exactly one.

    Example::

        InputImageMask(file_id="assistant-abc123")
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    image_url: str | None = None
    file_id: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> InputImageMask:
        if (self.image_url is None) == (self.file_id is None):
            raise PydanticCustomError(
                "tool_config",
                "input_image_mask needs exactly one of image_url or file_id. Fix: pass "
                "InputImageMask(image_url='data:image/png;base64,...') or InputImageMask(file_id='...')",
            )
        return self


class ImageGenerationTool(BaseModel):
    """Typed config of the hosted ``image_generation`` tool. Frozen; unknown fields are refused.

    Every rule the service enforces that can be checked locally is checked here, before any request,
    and each error names the field, the value and the fix. ``image_deployment`` is not a tool field: it is
    the image model deployment sent in the ``x-ms-oai-image-generation-deployment`` header (``deployment=``
    is its old, deprecated spelling).

    Example::

        tool = ImageGenerationTool(image_deployment="gpt-image-1", size="1024x1024", quality="low")
        tool.to_param()  # {'type': 'image_generation', 'size': '1024x1024', 'quality': 'low', ...}
        tool.headers()   # {'x-ms-oai-image-generation-deployment': 'gpt-image-1'}
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False, defer_build=True)

    type: Literal["image_generation"] = "image_generation"
    image_deployment: str | None = Field(default=None, description="Image model deployment name (header value).")
    model: str | None = Field(
        default=None,
        description="Wire `model`; Azure reads it as a deployment name. Defaults to `image_deployment`.",
    )
    output_format: Literal["png", "webp", "jpeg"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    output_compression: int | None = None
    quality: Literal["low", "medium", "high", "auto"] | None = None
    size: str | None = None
    moderation: Literal["auto", "low"] | None = None
    partial_images: int | None = None
    input_fidelity: Literal["high", "low"] | None = None
    input_image_mask: InputImageMask | None = None
    action: Literal["generate", "edit", "auto"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _old_deployment_name(cls, data: Any) -> Any:
        # 0.1 called the field `deployment`; one name per concept now, the old one still accepted.
        if isinstance(data, dict) and "deployment" in data:
            if "image_deployment" in data:
                raise ValueError("pass image_deployment= only (deployment= is its deprecated spelling)")
            warnings.warn(
                "ImageGenerationTool(deployment=...) is deprecated. Fix: ImageGenerationTool(image_deployment=...)",
                DeprecationWarning,
                stacklevel=4,
            )
            data = {("image_deployment" if key == "deployment" else key): value for key, value in data.items()}
        return data

    @property
    def deployment(self) -> str | None:
        """Deprecated spelling of ``image_deployment``."""
        warnings.warn("tool.deployment is deprecated. Fix: tool.image_deployment", DeprecationWarning, stacklevel=2)
        return self.image_deployment

    @field_validator("image_deployment")
    @classmethod
    def _check_deployment(cls, value: str | None) -> str | None:
        if value is not None and not _DEPLOYMENT_RE.fullmatch(value):
            raise _err(
                "image_deployment",
                value,
                "is not a deployment name (1-64 letters, digits, '.', '_' or '-')",
                "pass the name shown under Deployments in the Foundry portal, e.g. 'gpt-image-1'",
            )
        return value

    @field_validator("output_compression", "partial_images", mode="before")
    @classmethod
    def _no_bools(cls, value: object, info: ValidationInfo) -> object:
        # bool is an int subclass; True silently becoming 1 is the kind of quiet misuse we refuse.
        if isinstance(value, bool):
            raise _err(str(info.field_name), value, "must be an integer, not a bool", "pass a number")
        return value

    @field_validator("output_compression")
    @classmethod
    def _check_compression(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None:
            return value
        if not 0 <= value <= 100:
            raise _err("output_compression", value, "is out of range", "use an integer from 0 to 100")
        fmt = info.data.get("output_format")
        if fmt not in ("jpeg", "webp"):
            shown = fmt or "png (the default)"
            raise _err(
                "output_compression",
                value,
                f"applies only to jpeg or webp output, but output_format is {shown}",
                "set output_format='jpeg' or 'webp', or leave output_compression unset",
            )
        return value

    @field_validator("background")
    @classmethod
    def _check_background(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value == "transparent" and info.data.get("output_format") == "jpeg":
            raise _err(
                "background",
                value,
                "needs an alpha channel, which jpeg lacks",
                "set output_format='png' (or 'webp'), or background='opaque'",
            )
        return value

    @field_validator("partial_images")
    @classmethod
    def _check_partials(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 3:
            raise _err("partial_images", value, "is out of range", "use 0, 1, 2 or 3")
        return value

    @field_validator("size")
    @classmethod
    def _check_size(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value == "auto" or value in FIXED_SIZES:
            return value
        match = _SIZE_RE.fullmatch(value)
        if not match:
            raise _err(
                "size",
                value,
                "is not a size",
                f"use one of {', '.join(FIXED_SIZES)}, 'auto', or WIDTHxHEIGHT for gpt-image-2",
            )
        name = info.data.get("model") or info.data.get("image_deployment")
        family = model_family(name)
        if family is None:
            warnings.warn(
                f"size={value!r}: custom sizes work only on gpt-image-2 models, and model/deployment "
                f"{name!r} is not a known model name, so the size was not checked locally. Set "
                "model='gpt-image-2' if that is what the deployment runs.",
                ToolConfigWarning,
                stacklevel=2,
            )
            return value
        if family != "gpt-image-2":
            raise _err(
                "size",
                value,
                f"is a custom size, which {family} does not support",
                f"use one of {', '.join(FIXED_SIZES)} or 'auto', or a gpt-image-2 deployment",
            )
        width, height = int(match.group(1)), int(match.group(2))
        problems = []
        if width % 16 or height % 16:
            problems.append("both edges must be multiples of 16")
        if max(width, height) > 3 * min(width, height):
            problems.append("the aspect ratio must be between 1:3 and 3:1")
        if max(width, height) > _MAX_EDGE:
            problems.append(f"the long edge must be at most {_MAX_EDGE}")
        if not _MIN_PIXELS <= width * height <= _MAX_PIXELS:
            problems.append(f"the pixel count must be between {_MIN_PIXELS:,} and {_MAX_PIXELS:,}")
        if problems:
            raise _err(
                "size",
                value,
                "breaks the gpt-image-2 size rules: " + "; ".join(problems),
                "pick e.g. 1024x1024, 1536x864 or 2048x1152",
            )
        return value

    @field_validator("input_fidelity")
    @classmethod
    def _check_fidelity(cls, value: str | None, info: ValidationInfo) -> str | None:
        name = info.data.get("model") or info.data.get("image_deployment")
        if value is not None and model_family(name) == "gpt-image-1-mini":
            raise _err(
                "input_fidelity",
                value,
                "is not supported by gpt-image-1-mini",
                "leave input_fidelity unset, or use gpt-image-1, gpt-image-1.5 or later",
            )
        return value

    @classmethod
    def coerce(cls, value: ImageGenerationTool | Mapping[str, Any] | None) -> ImageGenerationTool:
        """Accept a tool, a dict in the wire shape (validated through this model), or None (defaults).

        Example::

            ImageGenerationTool.coerce({"type": "image_generation", "size": "1024x1024"})
        """
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls.model_validate(dict(value))
        raise TypeError(
            f"tool={value!r} is a {type(value).__name__}. Fix: pass an ImageGenerationTool or a dict of its fields"
        )

    def replace(self, **changes: Any) -> ImageGenerationTool:
        """A copy with ``changes`` applied and validated again (``model_copy`` would skip validation).

        Example::

            hq = tool.replace(quality="high")
        """
        return type(self).model_validate({**self.model_dump(exclude_none=True), **changes})

    def with_defaults(self, *, image_deployment: str | None) -> ImageGenerationTool:
        """This tool, with the client's default deployment filled in when the tool names none."""
        if self.image_deployment is None and image_deployment is not None:
            return self.replace(image_deployment=image_deployment)
        return self

    def to_param(self) -> dict[str, Any]:
        """The tool JSON exactly as the wire wants it: unset fields omitted, ``image_deployment`` left out.

        The wire ``model`` falls back to ``image_deployment``, as the Azure samples do: on Azure the service
        reads this field as a deployment name.

        Example::

            ImageGenerationTool(image_deployment="img", quality="low").to_param()
            # {'type': 'image_generation', 'model': 'img', 'quality': 'low'}
        """
        data = self.model_dump(mode="json", exclude_none=True, exclude={"image_deployment"})
        if "model" not in data and self.image_deployment:
            data = {"type": data.pop("type"), "model": self.image_deployment, **data}
        return data

    def headers(self) -> dict[str, str]:
        """The HTTP header that names the image deployment; required on every call using the tool.

        Example::

            ImageGenerationTool(image_deployment="gpt-image-1").headers()
        """
        if not self.image_deployment:
            raise MissingImageDeploymentError(
                "image_deployment=None: the service needs the image model deployment in the "
                f"{IMAGE_DEPLOYMENT_HEADER} header, and without it answers HTTP 400 to every call that "
                "carries the image tool. Fix: ImageGenerationTool(image_deployment='<your image deployment, "
                "e.g. gpt-image-1>') or FoundryClient(..., image_deployment='...'), or set "
                "IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME for from_env()."
            )
        return {IMAGE_DEPLOYMENT_HEADER: self.image_deployment}

    def to_openai_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for openai-python's ``client.responses.create``: the tool and the header.

        Example::

            openai_client.responses.create(model="gpt-4.1", input="a cat", **tool.to_openai_kwargs())
        """
        return {"tools": [self.to_param()], "extra_headers": self.headers()}

    def build_request(
        self,
        input: InputLike,
        *,
        model: str | None = None,
        instructions: str | None = None,
        tool_choice: ToolChoice | None = None,
        previous_response_id: str | None = None,
        store: bool | None = None,
        stream: bool = False,
    ) -> ResponsesRequest:
        """A complete Responses call (method, path, headers, JSON body) that uses this tool.

        Example::

            req = tool.build_request("a red fox", model="gpt-4.1", tool_choice="image_generation")
            req.method, req.path, req.headers, req.json
        """
        from .request import build_responses_request

        return build_responses_request(
            self,
            input,
            model=model,
            instructions=instructions,
            tool_choice=tool_choice,
            previous_response_id=previous_response_id,
            store=store,
            stream=stream,
        )
