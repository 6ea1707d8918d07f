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
from .warns import DisputedRuleWarning, ToolConfigWarning, UnknownModelWarning, warn_at_caller

if TYPE_CHECKING:
    from .calls import InputLike, ResponsesRequest, ToolChoice
    from .catalog import Fact, ImageModel

__all__ = ["ImageGenerationTool", "InputImageMask", "SvgOptions", "SvgReasoning", "ToolConfigWarning"]

FIXED_SIZES = ("1024x1024", "1024x1536", "1536x1024")
_SIZE_RE = re.compile(r"^([1-9][0-9]{1,4})x([1-9][0-9]{1,4})$")
_DEPLOYMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

#: Tool fields whose rules depend on the model; checked against the catalog.
_MODEL_FIELDS = (
    "size",
    "quality",
    "output_format",
    "background",
    "input_fidelity",
    "complexity",
)


def _err(field: str, value: object, problem: str, fix: str) -> PydanticCustomError:
    # One shape for every message: what is wrong with which value, then the fix.
    return PydanticCustomError(
        "tool_config",
        "{field}={value} {problem}. Fix: {fix}",
        {"field": field, "value": repr(value), "problem": problem, "fix": fix},
    )


Verdict = Literal["ok", "refuse", "disputed", "unstated"]


def _judge_choice(fact: Fact[tuple[str, ...]], value: str) -> Verdict:
    if value in fact.value:
        return "ok" if fact.stated else "unstated"
    if fact.disputed is not None and value in fact.disputed:
        return "disputed" if fact.stated or fact.value else "unstated"
    return "unstated" if not fact.stated else "refuse"


def _judge(entry: ImageModel, field: str, value: object, fmt: str | None) -> Verdict:
    """How the catalog rates ``field=value`` on ``entry`` (``fmt``: the tool's output_format)."""
    if field == "size":
        assert isinstance(value, str)
        if value == "auto" or value in entry.sizes.value:
            return "ok"
        rule = entry.custom_sizes
        if not rule.stated:
            return "unstated"
        return "ok" if rule.value is not None else "refuse"
    if field == "complexity":
        fact = entry.complexity
        if fact.value:
            return "ok" if fact.stated else "unstated"
        if fact.disputed:
            return "unstated" if not fact.stated else "disputed"
        return "refuse"
    if field == "background":
        if value != "transparent":
            return "ok"
        if "transparent" not in entry.backgrounds.value:
            return "refuse"
        verdict = _judge_choice(entry.transparent_formats, fmt or "png")
        return "unstated" if verdict == "refuse" and fmt in ("gif", "svg") else verdict
    return _judge_choice(_fact_of(entry, field), str(value))


def _universal(field: str, value: object, fmt: str | None) -> bool:
    # A value every catalog model takes without doubt needs no model to be checked.
    from .catalog import IMAGE_MODELS  # the catalog loads on the first check that needs it, not at import

    return all(_judge(entry, field, value, fmt) == "ok" for entry in IMAGE_MODELS.values())


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(repr(value) for value in values) if values else "none (omit the field)"


def _takers(field: str, value: object, fmt: str | None) -> list[str]:
    from .catalog import IMAGE_MODELS

    return [name for name, entry in IMAGE_MODELS.items() if _judge(entry, field, value, fmt) == "ok"]


def _target(data: Mapping[str, Any]) -> tuple[str, str | None, ImageModel | None]:
    """The field, name and catalog entry a tool is checked against.

    ``image_model``, else ``model`` when it is a catalog name, else ``image_deployment`` when it is one;
    with none of those, the first name given and no entry (unknown); with no name at all, ``(_, None, None)``.
    """
    explicit = data.get("image_model")
    if not explicit and not data.get("model") and not data.get("image_deployment"):
        return "image_deployment", None, None
    from .catalog import image_model

    if explicit:
        return "image_model", explicit, image_model(explicit)
    named = [(field, data.get(field)) for field in ("model", "image_deployment") if data.get(field)]
    for field, name in named:
        entry = image_model(name)
        if entry is not None:
            return field, name, entry
    return named[0] + (None,) if named else ("image_deployment", None, None)


def catalog_target(tool: ImageGenerationTool) -> tuple[str | None, ImageModel | None]:
    """The name a tool is checked against and its catalog entry (None when the catalog lacks it)."""
    _, name, entry = _target(tool.__dict__)
    return name, entry


def _refusal(field: str, value: object, entry: ImageModel, fmt: str | None) -> PydanticCustomError:
    from .catalog import image_model

    others = [name for name in _takers(field, value, fmt) if image_model(name) is not entry]
    elsewhere = f", or a deployment of {', '.join(others[:3])}" if others else ""
    if field == "size":
        return _err(
            "size",
            value,
            f"is a custom size, which {entry.name} does not support",
            f"use one of {', '.join(FIXED_SIZES)} or 'auto', or a gpt-image-2 deployment",
        )
    if field == "complexity":
        return _err("complexity", value, f"is not supported by {entry.name}", f"leave complexity unset{elsewhere}")
    if field == "background":
        takes = _choices(entry.transparent_formats.value)
        return _err(
            "background",
            value,
            f"needs output_format {takes} on {entry.name}, but output_format is {fmt}",
            "set output_format='png', or background='opaque'",
        )
    if field == "input_fidelity":
        fact = entry.input_fidelity
        takes = (
            f"only {_choices(fact.disputed or ())}, and sources disagree even on that"
            if fact.disputed
            else (f"{_choices(fact.value)}")
        )
        return _err(
            "input_fidelity",
            value,
            f"is not supported by {entry.name} (it takes {takes})",
            f"leave input_fidelity unset (None is never sent){elsewhere}",
        )
    fact = _fact_of(entry, field)
    doubtful = [item for item in fact.disputed or () if item not in fact.value]
    disputed = f"; sources disagree on {_choices(tuple(doubtful))}" if doubtful else ""
    return _err(
        field,
        value,
        f"is not supported by {entry.name} (it takes {_choices(fact.value)}{disputed})",
        f"pick one of those{elsewhere}",
    )


def _fact_of(entry: ImageModel, field: str) -> Fact[Any]:
    facts: dict[str, Fact[Any]] = {
        "size": entry.custom_sizes,
        "quality": entry.qualities,
        "output_format": entry.output_formats,
        "background": entry.transparent_formats,
        "input_fidelity": entry.input_fidelity,
        "complexity": entry.complexity,
    }
    return facts[field]


def _format_shown(info: ValidationInfo) -> str:
    return str(info.data.get("output_format") or "png (the default)")


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


class SvgReasoning(BaseModel):
    """The reasoning effort of the SVG model (``svg.reasoning``).

    Fields:
        effort: e.g. ``"low"``, ``"medium"`` or ``"high"``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    effort: str | None = None


class SvgOptions(BaseModel):
    """How SVG output is made (the tool's ``svg`` field; needs ``output_format="svg"``).

    Fields:
        model: the model that writes the SVG.
        reasoning: its reasoning effort.

    Example::

        SvgOptions(reasoning=SvgReasoning(effort="low"))
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    model: str | None = None
    reasoning: SvgReasoning | None = None


class ImageGenerationTool(BaseModel):
    """Typed config of the hosted ``image_generation`` tool. Frozen; unknown fields are refused.

    Every rule the service enforces that can be checked locally is checked here, before any request,
    and each error names the field, the value, the model and the fix. The rules come from the model
    catalog (``foundry_imagegen.models``) for the model the tool will use: ``image_model``, else ``model``
    when it is a catalog name, else ``image_deployment`` when it is one. A name the catalog does not know
    is allowed, with one ``UnknownModelWarning`` naming the settings that could not be checked; where
    sources disagree the tool warns (``DisputedRuleWarning``) instead of refusing. Unset fields are never
    sent.

    ``image_deployment`` is not a tool field: it is the image model deployment sent in the
    ``x-ms-oai-image-generation-deployment`` header (``deployment=`` is its old, deprecated spelling).
    ``image_model`` is not sent either: it names the catalog model a custom-named deployment runs.

    Fields:
        image_deployment: the image model deployment (header value; also the wire ``model`` when unset).
        model: the wire ``model``; Azure reads it as a deployment name.
        image_model: the catalog model the deployment runs, for the local checks only.
        output_format: ``png``, ``webp``, ``jpeg``, or ``gif``/``svg`` on models that make them.
        background: ``transparent``, ``opaque`` or ``auto``.
        output_compression: 0-100, jpeg/webp only.
        quality: ``low``, ``medium``, ``high``, ``auto``; ``xhigh``/``max`` where the model has them.
        size: a fixed size, ``auto``, or ``WIDTHxHEIGHT`` on models with custom sizes.
        moderation: ``auto`` or ``low``.
        partial_images: 0-3 streamed partial renders (0 with GIF).
        input_fidelity: ``high`` or ``low``, where the model takes it.
        input_image_mask: the inpainting mask (not with GIF).
        action: ``generate``, ``edit`` or ``auto``.
        complexity: ``low``, ``medium`` or ``high`` planning effort, where the model takes it.
        frame_count: GIF frames (service default 9).
        frame_duration_ms: GIF frame duration (service default 200).
        svg: SVG options; needs ``output_format="svg"``.

    Example::

        tool = ImageGenerationTool(image_deployment="gpt-image-2", size="1536x864", quality="low")
        tool.to_param()  # {'type': 'image_generation', 'model': 'gpt-image-2', 'quality': 'low', ...}
        tool.headers()   # {'x-ms-oai-image-generation-deployment': 'gpt-image-2'}
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False, defer_build=True)

    type: Literal["image_generation"] = "image_generation"
    image_deployment: str | None = Field(default=None, description="Image model deployment name (header value).")
    model: str | None = Field(
        default=None,
        description="Wire `model`; Azure reads it as a deployment name. Defaults to `image_deployment`.",
    )
    image_model: str | None = Field(
        default=None, description="Catalog model the deployment runs, for local checks; never sent."
    )
    output_format: Literal["png", "webp", "jpeg", "gif", "svg"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    output_compression: int | None = None
    quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] | None = None
    size: str | None = None
    moderation: Literal["auto", "low"] | None = None
    partial_images: int | None = None
    input_fidelity: Literal["high", "low"] | None = None
    input_image_mask: InputImageMask | None = None
    action: Literal["generate", "edit", "auto"] | None = None
    complexity: Literal["low", "medium", "high"] | None = None
    frame_count: int | None = None
    frame_duration_ms: int | None = None
    svg: SvgOptions | None = None

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
                "pass the name shown under Deployments in the Foundry portal, e.g. 'gpt-image-2'",
            )
        return value

    @field_validator("output_compression", "partial_images", "frame_count", "frame_duration_ms", mode="before")
    @classmethod
    def _no_bools(cls, value: object, info: ValidationInfo) -> object:
        # bool is an int subclass; True silently becoming 1 is the kind of quiet misuse we refuse.
        if isinstance(value, bool):
            raise _err(str(info.field_name), value, "must be an integer, not a bool", "pass a number")
        return value

    @field_validator("output_format")
    @classmethod
    def _check_format(cls, value: str | None, info: ValidationInfo) -> str | None:
        cls._against_catalog("output_format", value, info)
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
        cls._against_catalog("background", value, info)
        return value

    @field_validator("quality", "input_fidelity", "complexity")
    @classmethod
    def _check_choice(cls, value: str | None, info: ValidationInfo) -> str | None:
        cls._against_catalog(str(info.field_name), value, info)
        return value

    @field_validator("partial_images")
    @classmethod
    def _check_partials(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and not 0 <= value <= 3:
            raise _err("partial_images", value, "is out of range", "use 0, 1, 2 or 3")
        if value and info.data.get("output_format") == "gif":
            raise _err(
                "partial_images",
                value,
                "cannot be used with output_format='gif' (GIF output has no partial images)",
                "set partial_images=0 or leave it unset, or pick another output_format",
            )
        return value

    @field_validator("input_image_mask")
    @classmethod
    def _check_mask(cls, value: InputImageMask | None, info: ValidationInfo) -> InputImageMask | None:
        if value is not None and info.data.get("output_format") == "gif":
            raise _err(
                "input_image_mask",
                value,
                "cannot be used with output_format='gif' (GIF output takes no mask)",
                "edit to png/webp/jpeg output, or drop the mask",
            )
        return value

    @field_validator("frame_count", "frame_duration_ms")
    @classmethod
    def _check_frames(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None:
            return value
        field = str(info.field_name)
        if value < 1:
            raise _err(field, value, "must be at least 1", f"pass a positive integer, or leave {field} unset")
        if info.data.get("output_format") != "gif":
            raise _err(
                field,
                value,
                f"applies only to GIF output, but output_format is {_format_shown(info)}",
                f"set output_format='gif' (on a model that makes GIFs), or leave {field} unset",
            )
        return value

    @field_validator("svg")
    @classmethod
    def _check_svg(cls, value: SvgOptions | None, info: ValidationInfo) -> SvgOptions | None:
        if value is not None and info.data.get("output_format") != "svg":
            raise _err(
                "svg",
                value.model_dump(exclude_none=True),
                f"applies only to SVG output, but output_format is {_format_shown(info)}",
                "set output_format='svg' (on a model that makes SVGs), or leave svg unset",
            )
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
        cls._against_catalog("size", value, info)
        _, _, entry = _target(info.data)
        # An unstated rule (no source gives the model's custom sizes) only warns, after validation.
        if entry is None or entry.custom_sizes.value is None or not entry.custom_sizes.stated:
            return value
        problems = entry.custom_sizes.value.problems(int(match.group(1)), int(match.group(2)))
        if problems:
            raise _err(
                "size",
                value,
                f"breaks the {entry.name} size rules: " + "; ".join(problems),
                "pick e.g. 1024x1024, 1536x864 or 2048x1152",
            )
        return value

    @classmethod
    def _against_catalog(cls, field: str, value: object, info: ValidationInfo) -> None:
        # Refusals only; the doubts (unknown model, disputed or unstated facts) warn after validation.
        if value is None:
            return
        _, _, entry = _target(info.data)
        if entry is not None and _judge(entry, field, value, info.data.get("output_format")) == "refuse":
            raise _refusal(field, value, entry, info.data.get("output_format"))

    @model_validator(mode="after")
    def _warn_doubts(self) -> ImageGenerationTool:
        data = self.__dict__
        param, name, entry = _target(data)
        if name is None:
            return self  # no model named yet: the client checks once it fills in the deployment
        fmt = self.output_format
        set_fields = [(field, data[field]) for field in _MODEL_FIELDS if data[field] is not None]
        if entry is None:
            unchecked = [f"{field}={value!r}" for field, value in set_fields if not _universal(field, value, fmt)]
            if unchecked:
                warn_at_caller(
                    f"{param}={name!r} is not a known image model name: its rules could not be "
                    f"checked, so {', '.join(unchecked)} {'was' if len(unchecked) == 1 else 'were'} not checked "
                    "locally. Fix: set image_model='<the model the deployment runs, e.g. gpt-image-2>' (or "
                    "deployment_models= on the client).",
                    UnknownModelWarning,
                )
            return self
        for field, value in set_fields:
            verdict = _judge(entry, field, value, fmt)
            if verdict in ("disputed", "unstated"):
                fact = _fact_of(entry, field)
                why = "sources disagree" if verdict == "disputed" else "no source states this for the model"
                note = f" ({fact.note})" if fact.note else ""
                warn_at_caller(
                    f"{field}={value!r} on {entry.name}: {why}{note}, so it is sent as given and the service "
                    f"may refuse it. Fix: leave {field} unset if the call fails.",
                    DisputedRuleWarning,
                )
        return self

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

    def with_defaults(
        self, *, image_deployment: str | None, deployment_models: Mapping[str, str] | None = None
    ) -> ImageGenerationTool:
        """This tool with the client's defaults filled in where it names none, checked again.

        Parameters:
            image_deployment: the client's default image deployment.
            deployment_models: deployment name -> catalog model, so a custom-named deployment is checked
                against the model it runs (``image_model`` set on the tool wins).
        """
        changes: dict[str, str] = {}
        if self.image_deployment is None and image_deployment is not None:
            changes["image_deployment"] = image_deployment
        if self.image_model is None and deployment_models:
            wire = self.model or changes.get("image_deployment") or self.image_deployment
            mapped = deployment_models.get(wire) if wire else None
            if mapped:
                changes["image_model"] = mapped
        return self.replace(**changes) if changes else self

    def to_param(self) -> dict[str, Any]:
        """The tool JSON exactly as the wire wants it: unset fields omitted, ``image_deployment`` left out.

        The wire ``model`` falls back to ``image_deployment``, as the Azure samples do: on Azure the service
        reads this field as a deployment name.

        Example::

            ImageGenerationTool(image_deployment="img", quality="low").to_param()
            # {'type': 'image_generation', 'model': 'img', 'quality': 'low'}
        """
        data = self.model_dump(mode="json", exclude_none=True, exclude={"image_deployment", "image_model"})
        if "model" not in data and self.image_deployment:
            data = {"type": data.pop("type"), "model": self.image_deployment, **data}
        return data

    def headers(self) -> dict[str, str]:
        """The HTTP header that names the image deployment; required on every call using the tool.

        Example::

            ImageGenerationTool(image_deployment="gpt-image-2").headers()
        """
        if not self.image_deployment:
            raise MissingImageDeploymentError(
                "image_deployment=None: the service needs the image model deployment in the "
                f"{IMAGE_DEPLOYMENT_HEADER} header, and without it answers HTTP 400 to every call that "
                "carries the image tool. Fix: ImageGenerationTool(image_deployment='<your image deployment, "
                "e.g. gpt-image-2>') or FoundryClient(..., image_deployment='...'), or set "
                "IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME for from_env()."
            )
        return {IMAGE_DEPLOYMENT_HEADER: self.image_deployment}

    def to_openai_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for openai-python's ``client.responses.create``: the tool and the header.

        Example::

            openai_client.responses.create(model="gpt-5.1", input="a cat", **tool.to_openai_kwargs())
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

            req = tool.build_request("a red fox", model="gpt-5.1", tool_choice="image_generation")
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
