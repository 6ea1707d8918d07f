"""The dated model catalog: what each image and orchestrator model accepts, and when it retires.

Every fact carries its sources and the day it was last checked. Where sources disagree the fact says so
(``Fact.disputed``), and the SDK warns instead of refusing. Pure data and pure functions: the lifecycle
checks take ``today`` from the caller, so the core never reads the clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, Literal, TypeVar

from .warns import (
    DisputedRuleWarning,
    ModelCatalogWarning,
    ModelLifecycleWarning,
    ModelRetiredWarning,
    ModelRetiringWarning,
    ToolConfigWarning,
    UnknownModelWarning,
    reset_warnings,
    warn_at_caller,
    warn_once,
)

__all__ = [
    "CHECKED",
    "IMAGE_MODELS",
    "ORCHESTRATOR_MODELS",
    "RETIRING_SOON_DAYS",
    "SOURCES",
    "CustomSizeRule",
    "DisputedRuleWarning",
    "Fact",
    "ImageModel",
    "Lifecycle",
    "LifecycleStatus",
    "ModelCatalogWarning",
    "ModelLifecycleWarning",
    "ModelRetiredWarning",
    "ModelRetiringWarning",
    "OrchestratorModel",
    "Platform",
    "RetirementClaim",
    "Source",
    "ToolConfigWarning",
    "UnknownModelWarning",
    "check_lifecycle",
    "current_image_models",
    "current_orchestrators",
    "image_model",
    "lifecycle_status",
    "orchestrator_model",
    "reset_warnings",
    "warn_at_caller",
    "warn_once",
]

T = TypeVar("T")
Platform = Literal["azure", "openai"]

#: The day every fact below was last checked against its sources.
CHECKED = date(2026, 12, 1)

#: How far ahead a retirement date starts to warn.
RETIRING_SOON_DAYS = 30


@dataclass(frozen=True)
class Source:
    """Where a fact comes from.

    Parameters:
        key: a short tag, e.g. ``"azure-retirements-2026-09"``.
        title: what the source is.
        url: where it can be read (public), if it has an address.
        as_of: the date of the copy that was read (its ``ms.date`` or commit date), if known.
        third_party: True for reports that are not the vendor's own documentation or code.
    """

    key: str
    title: str
    url: str | None = None
    as_of: date | None = None
    third_party: bool = False

    def __str__(self) -> str:
        when = f", as of {self.as_of.isoformat()}" if self.as_of else ""
        return f"{self.title}{when}"


def _src(
    key: str, title: str, url: str | None = None, as_of: date | None = None, *, third_party: bool = False
) -> Source:
    return Source(key=key, title=title, url=url, as_of=as_of, third_party=third_party)


_LEARN = "https://learn.microsoft.com/en-us/azure/foundry/openai/concepts/model-retirement-schedule"
AZURE_RETIREMENTS_2026_09 = _src(
    "azure-retirements-2026-09", "Azure model retirement schedule (Learn page)", _LEARN, date(2026, 9, 2)
)
AZURE_RETIREMENTS_2026_07 = _src(
    "azure-retirements-2026-07",
    "Azure model retirement schedule (azure-ai-docs, older copy)",
    "https://github.com/MicrosoftDocs/azure-ai-docs",
    date(2026, 7, 7),
)
AZURE_IMAGE_DOCS = _src(
    "azure-image-docs",
    "Azure OpenAI image generation how-to",
    "https://learn.microsoft.com/en-us/azure/foundry/openai/how-to/dall-e",
    date(2026, 4, 17),
)
AZURE_CATALOG_GPT_IMAGE_2 = _src(
    "azure-catalog-gpt-image-2",
    "Foundry model catalog page for gpt-image-2 (undated)",
    "https://ai.azure.com/catalog/models/gpt-image-2",
)
AZURE_IMAGE_TOOL_DOCS = _src(
    "azure-image-tool-docs",
    "Foundry Agent Service image generation tool docs",
    "https://learn.microsoft.com/en-us/azure/foundry/agents/how-to/tools/image-generation",
)
AZURE_RESPONSES_DOCS = _src(
    "azure-responses-docs",
    "Azure OpenAI Responses API how-to",
    "https://learn.microsoft.com/en-us/azure/foundry/openai/how-to/responses",
    date(2026, 1, 14),
)
AZURE_LEARN_SDK_REFS = _src(
    "azure-sdk-refs",
    "Learn API references of the .NET/JS OpenAI libraries (InputFidelity)",
    "https://learn.microsoft.com/",
)
OPENAI_TYPES = _src(
    "openai-python-3.57",
    "openai-python 3.57.0 types (responses/tool_param.py, image_model.py)",
    "https://pypi.org/project/openai/3.57.0/",
)
OPENAI_DEPRECATIONS = _src(
    "openai-deprecations",
    "OpenAI API deprecations page (notice of 2026-06-02)",
    "https://developers.openai.com/api/docs/deprecations",
)
THIRD_PARTY_2_5 = _src(
    "3p-gpt-image-2.5",
    "third-party model pages for gpt-image-2.5 (docs.apiyi.com, oxen.ai)",
    third_party=True,
)
THIRD_PARTY_2_6 = _src(
    "3p-gpt-image-2.6",
    "third-party model pages for gpt-image-2.6 (inference.sh, wavespeed.ai)",
    third_party=True,
)
THIRD_PARTY_ORCHESTRATOR = _src(
    "3p-agent-framework",
    "microsoft/agent-framework issues #8674, #5618 (gpt-5.5 with gpt-image-2 on Azure)",
    "https://github.com/microsoft/agent-framework",
    third_party=True,
)

#: Every source the catalog cites, by key.
SOURCES: Mapping[str, Source] = {
    source.key: source
    for source in (
        AZURE_RETIREMENTS_2026_09,
        AZURE_RETIREMENTS_2026_07,
        AZURE_IMAGE_DOCS,
        AZURE_CATALOG_GPT_IMAGE_2,
        AZURE_IMAGE_TOOL_DOCS,
        AZURE_RESPONSES_DOCS,
        AZURE_LEARN_SDK_REFS,
        OPENAI_TYPES,
        OPENAI_DEPRECATIONS,
        THIRD_PARTY_2_5,
        THIRD_PARTY_2_6,
        THIRD_PARTY_ORCHESTRATOR,
    )
}


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One sourced fact about a model.

    Parameters:
        value: what the sources agree on, or the strictest reading when they disagree (this is enforced).
        sources: where it comes from.
        checked: the day it was last checked.
        disputed: values another source allows beyond ``value``; using one warns instead of failing.
        stated: False when no source states the fact for this model: nothing is refused, a use warns.
        note: what the sources say, in a sentence, when it needs saying.
    """

    value: T
    sources: tuple[Source, ...]
    checked: date = CHECKED
    disputed: T | None = None
    stated: bool = True
    note: str | None = None


@dataclass(frozen=True)
class CustomSizeRule:
    """The rule for ``WIDTHxHEIGHT`` sizes on models that take custom sizes.

    Parameters:
        multiple: both edges must be multiples of this.
        max_ratio: the long edge may be at most this many times the short one.
        max_edge: the longest allowed edge.
        min_pixels: the smallest allowed width*height.
        max_pixels: the largest allowed width*height.
    """

    multiple: int = 16
    max_ratio: int = 3
    max_edge: int = 3840
    min_pixels: int = 655_360
    max_pixels: int = 8_294_400

    def problems(self, width: int, height: int) -> list[str]:
        """What ``width`` x ``height`` breaks, in words; empty when it is fine."""
        problems = []
        if width % self.multiple or height % self.multiple:
            problems.append(f"both edges must be multiples of {self.multiple}")
        if max(width, height) > self.max_ratio * min(width, height):
            problems.append(f"the aspect ratio must be between 1:{self.max_ratio} and {self.max_ratio}:1")
        if max(width, height) > self.max_edge:
            problems.append(f"the long edge must be at most {self.max_edge}")
        if not self.min_pixels <= width * height <= self.max_pixels:
            problems.append(f"the pixel count must be between {self.min_pixels:,} and {self.max_pixels:,}")
        return problems


@dataclass(frozen=True)
class RetirementClaim:
    """One source's retirement date for a model on one platform.

    Parameters:
        retires_on: the day the model stops serving; None when the source lists the model without a date.
        source: who says so.
        status: the lifecycle label the source gives (``Preview``, ``GA``, ``Deprecated``, ``Legacy``).
    """

    retires_on: date | None
    source: Source
    status: str | None = None


@dataclass(frozen=True)
class Lifecycle:
    """A model's lifecycle on one platform (Azure and OpenAI retire models on different dates).

    Parameters:
        platform: ``"azure"`` or ``"openai"``.
        available_from: the release or version date, when known.
        claims: each source's retirement date; more than one distinct date means the sources disagree.
        replacement: the model to move to.
        replacement_source: who suggests the replacement (``None``: this SDK's own suggestion).
        checked: the day the claims were last checked.
        note: anything else worth knowing.
    """

    platform: Platform
    available_from: date | None
    claims: tuple[RetirementClaim, ...] = ()
    replacement: str | None = None
    replacement_source: Source | None = None
    checked: date = CHECKED
    note: str | None = None

    @property
    def retires_on(self) -> date | None:
        """The earliest retirement date any source gives (the one warnings use)."""
        dates = [claim.retires_on for claim in self.claims if claim.retires_on is not None]
        return min(dates) if dates else None

    @property
    def latest_retirement(self) -> date | None:
        """The latest retirement date any source gives."""
        dates = [claim.retires_on for claim in self.claims if claim.retires_on is not None]
        return max(dates) if dates else None

    @property
    def disputed(self) -> bool:
        """Whether the sources give different retirement dates."""
        return len({claim.retires_on for claim in self.claims if claim.retires_on is not None}) > 1

    @property
    def deprecated(self) -> bool:
        """Whether a source labels the model deprecated or legacy."""
        return any((claim.status or "").lower() in ("deprecated", "legacy") for claim in self.claims)


@dataclass(frozen=True)
class ImageModel:
    """What one image model accepts in the ``image_generation`` tool, and its lifecycle.

    Parameters:
        name: the model name (also the usual deployment name).
        family: ``gpt-image-1``, ``gpt-image-2``, ``gpt-image-2.5`` or ``gpt-image-2.6``.
        sizes: the fixed sizes (with ``auto``).
        custom_sizes: the ``WIDTHxHEIGHT`` rule, or None when the model takes only fixed sizes.
        qualities: the ``quality`` values.
        backgrounds: the ``background`` values (``transparent`` in it: the model does transparency).
        transparent_formats: the output formats a transparent background needs.
        output_formats: the ``output_format`` values.
        input_fidelity: the ``input_fidelity`` values; empty: the field must be omitted.
        partial_images: the (lowest, highest) ``partial_images``.
        complexity: whether the model takes ``complexity``.
        lifecycle: per platform.
        snapshots: date-pinned names of the same model.
    """

    name: str
    family: str
    sizes: Fact[tuple[str, ...]]
    custom_sizes: Fact[CustomSizeRule | None]
    qualities: Fact[tuple[str, ...]]
    backgrounds: Fact[tuple[str, ...]]
    transparent_formats: Fact[tuple[str, ...]]
    output_formats: Fact[tuple[str, ...]]
    input_fidelity: Fact[tuple[str, ...]]
    partial_images: Fact[tuple[int, int]]
    complexity: Fact[bool]
    lifecycle: Mapping[str, Lifecycle] = field(default_factory=dict)
    snapshots: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrchestratorModel:
    """A chat model that can call the image tool (the client's ``model=``).

    Parameters:
        name: the model name.
        family: e.g. ``gpt-4.1``, ``gpt-5``, ``o-series``.
        supports_image_tool: whether a source names it as a host of the image tool (None: no source says).
        lifecycle: per platform.
    """

    name: str
    family: str
    supports_image_tool: Fact[bool | None]
    lifecycle: Mapping[str, Lifecycle] = field(default_factory=dict)


# -- image models -------------------------------------------------------------------------------------------

_FIXED = ("1024x1024", "1024x1536", "1536x1024", "auto")
_Q = ("low", "medium", "high", "auto")
_BG = ("transparent", "opaque", "auto")
_FORMATS_NOTE = (
    "Azure's image docs list PNG and JPEG only ('WEBP images aren't supported'); openai-python allows webp too"
)


def _image_1_series(
    name: str, *, fidelity: Fact[tuple[str, ...]], lifecycle: Mapping[str, Lifecycle], snapshots: tuple[str, ...] = ()
) -> ImageModel:
    return ImageModel(
        name=name,
        family="gpt-image-1",
        sizes=Fact(_FIXED, (OPENAI_TYPES, AZURE_IMAGE_DOCS)),
        custom_sizes=Fact(None, (OPENAI_TYPES, AZURE_IMAGE_DOCS)),
        qualities=Fact(_Q, (OPENAI_TYPES, AZURE_IMAGE_DOCS)),
        backgrounds=Fact(_BG, (OPENAI_TYPES, AZURE_IMAGE_DOCS)),
        transparent_formats=Fact(("png",), (AZURE_IMAGE_DOCS,), disputed=("png", "webp"), note="OpenAI: png or webp"),
        output_formats=Fact(
            ("png", "jpeg"), (AZURE_IMAGE_DOCS, OPENAI_TYPES), disputed=("png", "jpeg", "webp"), note=_FORMATS_NOTE
        ),
        input_fidelity=fidelity,
        partial_images=Fact((0, 3), (OPENAI_TYPES,)),
        complexity=Fact(False, (OPENAI_TYPES,), note="the field is newer than the model; no source lists it here"),
        lifecycle=lifecycle,
        snapshots=snapshots,
    )


def _azure(
    available: date | None,
    *claims: RetirementClaim,
    replacement: str | None = None,
    source: Source | None = None,
    note: str | None = None,
) -> Lifecycle:
    return Lifecycle("azure", available, claims, replacement=replacement, replacement_source=source, note=note)


def _openai(
    available: date | None,
    retires: date | None,
    *,
    replacement: str | None = None,
    source: Source = OPENAI_DEPRECATIONS,
    note: str | None = None,
    suggested: bool = False,
) -> Lifecycle:
    # suggested: the replacement is this SDK's own suggestion, not the source's.
    claims = (RetirementClaim(retires, source, "Deprecated" if retires else "Active"),)
    return Lifecycle(
        "openai",
        available,
        claims,
        replacement=replacement,
        replacement_source=source if replacement and not suggested else None,
        note=note,
    )


def _both(
    when: date | None, status: str, *, newer: date | None = None, newer_status: str | None = None
) -> tuple[RetirementClaim, ...]:
    # The two copies of the Azure schedule; the newer is given only where it says something else.
    older = RetirementClaim(when, AZURE_RETIREMENTS_2026_07, status)
    later = RetirementClaim(newer or when, AZURE_RETIREMENTS_2026_09, newer_status or status)
    return (older, later)


_D = date
_GPT_IMAGE_2_SIZE = CustomSizeRule()
_NEW_FIELD_NOTE = "openai-python 3.57 defines the field, but no source ties it to this model"

_IMAGE_LIST = (
    _image_1_series(
        "gpt-image-1",
        fidelity=Fact(("high", "low"), (OPENAI_TYPES,)),
        lifecycle={
            "azure": _azure(_D(2025, 4, 15), *_both(_D(2026, 10, 23), "Preview"), replacement="gpt-image-2"),
            "openai": _openai(None, _D(2026, 10, 23), source=OPENAI_TYPES, replacement="gpt-image-2", suggested=True),
        },
    ),
    _image_1_series(
        "gpt-image-1-mini",
        fidelity=Fact(
            (),
            (AZURE_LEARN_SDK_REFS, OPENAI_TYPES),
            disputed=("low",),
            note="openai-python 3.57 accepts only 'low'; the .NET/JS references on Learn call it unsupported",
        ),
        lifecycle={
            "azure": _azure(_D(2025, 10, 6), *_both(_D(2027, 4, 7), "GA"), replacement="gpt-image-2"),
            "openai": _openai(None, _D(2026, 12, 1), replacement="gpt-image-2.6-flare"),
        },
    ),
    _image_1_series(
        "gpt-image-1.5",
        fidelity=Fact(("high", "low"), (OPENAI_TYPES,)),
        lifecycle={
            "azure": _azure(
                _D(2025, 12, 16),
                *_both(_D(2026, 12, 16), "GA", newer=_D(2027, 6, 16)),
                replacement="gpt-image-2",
                note="the two copies of the Azure schedule disagree (2026-12-16 vs 2027-06-16)",
            ),
            "openai": _openai(None, _D(2026, 12, 1), replacement="gpt-image-2.6-flare"),
        },
        snapshots=("gpt-image-1.5-2025-12-16",),
    ),
    ImageModel(
        name="gpt-image-2",
        family="gpt-image-2",
        sizes=Fact(_FIXED, (OPENAI_TYPES,)),
        custom_sizes=Fact(
            _GPT_IMAGE_2_SIZE,
            (OPENAI_TYPES, AZURE_IMAGE_DOCS),
            note="OpenAI: edges /16, ratio 1:3-3:1, max 3840x2160; Azure: 655,360-8,294,400 pixels",
        ),
        qualities=Fact(_Q, (OPENAI_TYPES,), note="no xhigh/max on gpt-image-2"),
        backgrounds=Fact(_BG, (OPENAI_TYPES,), note="transparency is 'in preview' on OpenAI, unstated on Azure"),
        transparent_formats=Fact(("png",), (AZURE_IMAGE_DOCS,), disputed=("png", "webp")),
        output_formats=Fact(
            ("png", "jpeg"), (AZURE_IMAGE_DOCS, OPENAI_TYPES), disputed=("png", "jpeg", "webp"), note=_FORMATS_NOTE
        ),
        input_fidelity=Fact(
            (),
            (OPENAI_TYPES, AZURE_CATALOG_GPT_IMAGE_2),
            disputed=("high",),
            note="openai-python 3.57: 'for gpt-image-2, omit this parameter' (OpenAI answers 400 "
            "invalid_input_fidelity_model); Azure's catalog page says it supports high input_fidelity",
        ),
        partial_images=Fact((0, 3), (OPENAI_TYPES,)),
        complexity=Fact(False, (OPENAI_TYPES,), disputed=True, stated=False, note=_NEW_FIELD_NOTE),
        lifecycle={
            "azure": _azure(_D(2026, 4, 21), *_both(_D(2027, 4, 21), "GA", newer=_D(2027, 10, 21))),
            "openai": _openai(_D(2026, 4, 21), None),
        },
        snapshots=("gpt-image-2-2026-04-21",),
    ),
)


def _image_2_5(name: str) -> ImageModel:
    return ImageModel(
        name=name,
        family="gpt-image-2.5",
        sizes=Fact(_FIXED, (THIRD_PARTY_2_5,)),
        custom_sizes=Fact(_GPT_IMAGE_2_SIZE, (THIRD_PARTY_2_5,), note="custom sizes as gpt-image-2"),
        qualities=Fact((*_Q[:3], "xhigh", "max", "auto"), (THIRD_PARTY_2_5,)),
        backgrounds=Fact(_BG, (THIRD_PARTY_2_5,)),
        transparent_formats=Fact(("png", "webp"), (THIRD_PARTY_2_5,)),
        output_formats=Fact(("png", "webp", "jpeg"), (THIRD_PARTY_2_5,)),
        input_fidelity=Fact((), (), disputed=("high", "low"), stated=False, note="no source states input_fidelity"),
        partial_images=Fact((0, 3), (THIRD_PARTY_2_5,)),
        complexity=Fact(False, (), disputed=True, stated=False, note=_NEW_FIELD_NOTE),
        lifecycle={
            "azure": _azure(None, note="only quota rows exist for Azure (tier 1); no region or retirement page"),
            "openai": _openai(_D(2026, 9, 8), None, source=THIRD_PARTY_2_5),
        },
        snapshots=(f"{name}-2026-09-08",),
    )


def _image_2_6(name: str) -> ImageModel:
    return ImageModel(
        name=name,
        family="gpt-image-2.6",
        sizes=Fact(_FIXED, (OPENAI_TYPES,)),
        custom_sizes=Fact(
            _GPT_IMAGE_2_SIZE, (), stated=False, note="not named in openai-python's custom-size docstring"
        ),
        qualities=Fact(
            _Q,
            (OPENAI_TYPES,),
            disputed=(*_Q[:3], "xhigh", "max", "auto"),
            stated=True,
            note="third-party resellers list five tiers; openai-python does not name xhigh/max for 2.6",
        ),
        backgrounds=Fact(_BG, (THIRD_PARTY_2_6,)),
        transparent_formats=Fact(("png", "webp"), (THIRD_PARTY_2_6,)),
        output_formats=Fact(
            ("png", "webp", "jpeg", "gif", "svg"),
            (THIRD_PARTY_2_6, OPENAI_TYPES),
            note="GIF and SVG per third-party pages",
        ),
        input_fidelity=Fact((), (), disputed=("high", "low"), stated=False, note="no source states input_fidelity"),
        partial_images=Fact((0, 3), (OPENAI_TYPES,), note="GIF output needs partial_images=0"),
        complexity=Fact(True, (OPENAI_TYPES,), stated=False, note=_NEW_FIELD_NOTE),
        lifecycle={
            "azure": _azure(None, note="no Azure evidence found"),
            "openai": _openai(
                None, None, source=OPENAI_TYPES, note="openai-python 3.57's default image model is -sunburst"
            ),
        },
    )


#: The image models this SDK knows, by name.
IMAGE_MODELS: Mapping[str, ImageModel] = {
    model.name: model
    for model in (
        *_IMAGE_LIST,
        _image_2_5("gpt-image-2.5-flare"),
        _image_2_5("gpt-image-2.5-sunburst"),
        _image_2_6("gpt-image-2.6-flare"),
        _image_2_6("gpt-image-2.6-sunburst"),
    )
}

# -- orchestrators ---------------------------------------------------------------------------------------------

_TOOL_DOC = Fact[bool | None](True, (AZURE_IMAGE_TOOL_DOCS,))
_GPT5_SERIES = Fact[bool | None](
    True, (AZURE_IMAGE_TOOL_DOCS,), note="the tool docs name 'the gpt-5 series', not each version"
)


def _orch(
    name: str, family: str, support: Fact[bool | None], azure: Lifecycle, openai: Lifecycle | None = None
) -> OrchestratorModel:
    lifecycle = {"azure": azure} if openai is None else {"azure": azure, "openai": openai}
    return OrchestratorModel(name=name, family=family, supports_image_tool=support, lifecycle=lifecycle)


_R5 = "gpt-5.1"


def _gpt4(name: str, older: date, newer: date, newer_status: str, available: date) -> OrchestratorModel:
    return _orch(
        name,
        name.split("-mini")[0].split("-nano")[0],
        _TOOL_DOC,
        _azure(available, *_both(older, "Deprecated", newer=newer, newer_status=newer_status), replacement=_R5),
    )


_ORCH_LIST = (
    _gpt4("gpt-4o", _D(2026, 10, 1), _D(2027, 4, 14), "Deprecated/Legacy", _D(2024, 5, 13)),
    _gpt4("gpt-4o-mini", _D(2026, 10, 1), _D(2027, 4, 14), "Deprecated/Legacy", _D(2024, 7, 18)),
    _gpt4("gpt-4.1", _D(2026, 10, 14), _D(2027, 4, 14), "Legacy", _D(2025, 4, 14)),
    _gpt4("gpt-4.1-mini", _D(2026, 10, 14), _D(2027, 4, 14), "Legacy", _D(2025, 4, 14)),
    _gpt4("gpt-4.1-nano", _D(2026, 10, 14), _D(2027, 4, 14), "Legacy", _D(2025, 4, 14)),
    _orch(
        "o3",
        "o-series",
        _TOOL_DOC,
        _azure(
            _D(2025, 4, 16),
            *_both(_D(2026, 10, 16), "GA", newer=_D(2026, 10, 21)),
            replacement="gpt-5.6-sol",
            source=AZURE_RETIREMENTS_2026_09,
        ),
    ),
    _orch(
        "o4-mini",
        "o-series",
        Fact[bool | None](None, (), stated=False),
        _azure(_D(2025, 4, 16), *_both(_D(2026, 10, 16), "Deprecated"), replacement=_R5),
    ),
    *(
        _orch(
            name,
            "gpt-5",
            _GPT5_SERIES,
            _azure(_D(2025, 8, 7), *_both(_D(2027, 2, 6), "GA", newer=_D(2027, 2, 9)), replacement=_R5),
            _openai(_D(2025, 8, 7), _D(2026, 12, 11)),
        )
        for name in ("gpt-5", "gpt-5-mini", "gpt-5-nano")
    ),
    _orch(
        "gpt-5.1",
        "gpt-5",
        Fact[bool | None](True, (AZURE_RESPONSES_DOCS, AZURE_IMAGE_TOOL_DOCS)),
        _azure(_D(2025, 11, 13), *_both(_D(2027, 5, 15), "GA")),
    ),
    _orch(
        "gpt-5.2", "gpt-5", _GPT5_SERIES, _azure(_D(2025, 12, 11), *_both(_D(2026, 12, 12), "GA", newer=_D(2027, 6, 8)))
    ),
    *(
        _orch(
            name,
            "gpt-5",
            _GPT5_SERIES,
            _azure(
                None,
                *_both(_D(2027, 3, 5), "GA", newer=_D(2027, 9, 2)),
                note="the schedule gives 2027-03-05..18 (older copy) and 2027-09-02..21 (newer) across the "
                "gpt-5.4 variants; the earliest day of each range is kept",
            ),
        )
        for name in ("gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.4-pro")
    ),
    _orch(
        "gpt-5.5",
        "gpt-5",
        Fact[bool | None](True, (AZURE_IMAGE_TOOL_DOCS, THIRD_PARTY_ORCHESTRATOR)),
        _azure(_D(2026, 4, 24), *_both(_D(2027, 4, 23), "GA", newer=_D(2027, 10, 26))),
    ),
    *(
        _orch(
            name,
            "gpt-5",
            _GPT5_SERIES,
            _azure(_D(2026, 7, 9), RetirementClaim(_D(2028, 1, 11), AZURE_RETIREMENTS_2026_09, "GA")),
        )
        for name in ("gpt-5.6-luna", "gpt-5.6-sol", "gpt-5.6-terra")
    ),
    *(
        _orch(
            name,
            "gpt-6",
            Fact[bool | None](None, (), stated=False, note="only quota rows exist; no source on the image tool"),
            _azure(None, note="only quota rows exist for Azure"),
        )
        for name in ("gpt-6-astra", "gpt-6-luna", "gpt-6-sol")
    ),
)

#: The orchestrator (chat) models this SDK knows, by name.
ORCHESTRATOR_MODELS: Mapping[str, OrchestratorModel] = {model.name: model for model in _ORCH_LIST}

# -- lookups -------------------------------------------------------------------------------------------------

_SNAPSHOT = re.compile(r"^(?P<base>.+?)-(?P<date>\d{4}-\d{2}-\d{2})$")


def _lookup(name: str | None, table: Mapping[str, T]) -> T | None:
    if not name:
        return None
    key = name.strip().lower()
    if key in table:
        return table[key]
    # A date-pinned snapshot (gpt-image-2-2026-04-21) is the model of its prefix.
    match = _SNAPSHOT.fullmatch(key)
    if match and match.group("base") in table:
        return table[match.group("base")]
    return None


def image_model(name: str | None) -> ImageModel | None:
    """The catalog entry of an image model name (date-pinned snapshots included), or None if unknown.

    Parameters:
        name: a model name such as ``"gpt-image-2"`` or ``"gpt-image-2-2026-04-21"``.

    Example::

        image_model("gpt-image-2").custom_sizes.value  # CustomSizeRule(...)
    """
    return _lookup(name, IMAGE_MODELS)


def orchestrator_model(name: str | None) -> OrchestratorModel | None:
    """The catalog entry of an orchestrator model name, or None if unknown.

    Parameters:
        name: a model name such as ``"gpt-5.1"``.

    Example::

        orchestrator_model("gpt-4.1").lifecycle["azure"].retires_on
    """
    return _lookup(name, ORCHESTRATOR_MODELS)


@dataclass(frozen=True)
class LifecycleStatus:
    """Where a model stands on one platform on one day.

    Parameters:
        model: the catalog name.
        platform: ``"azure"`` or ``"openai"``.
        state: ``"active"``, ``"retiring"`` (within 30 days by some source), ``"retired"`` (by some
            source) or ``"unknown"`` (no retirement date is known).
        lifecycle: the catalog entry it was read from.
        message: one sentence for a warning (empty when active or unknown).
    """

    model: str
    platform: Platform
    state: Literal["active", "retiring", "retired", "unknown"]
    lifecycle: Lifecycle | None
    message: str = ""


def _claims_text(lifecycle: Lifecycle) -> str:
    return "; ".join(
        f"{claim.retires_on.isoformat()} per {claim.source}"
        for claim in lifecycle.claims
        if claim.retires_on is not None
    )


def lifecycle_status(
    entry: ImageModel | OrchestratorModel, *, today: date, platform: Platform = "azure"
) -> LifecycleStatus:
    """Where ``entry`` stands on ``platform`` on ``today`` (pure: the caller passes the date).

    Parameters:
        entry: a catalog entry (``image_model(...)`` or ``orchestrator_model(...)``).
        today: the day to judge by.
        platform: ``"azure"`` (what this SDK talks to) or ``"openai"``.

    Example::

        lifecycle_status(image_model("gpt-image-1"), today=date(2026, 12, 2)).state  # 'retired'
    """
    lifecycle = entry.lifecycle.get(platform)
    retires = lifecycle.retires_on if lifecycle else None
    if lifecycle is None or retires is None:
        return LifecycleStatus(entry.name, platform, "unknown", lifecycle)
    latest = lifecycle.latest_retirement
    where = "Azure" if platform == "azure" else "the OpenAI API"
    replacement = f"Fix: move to {lifecycle.replacement}" if lifecycle.replacement else "Fix: move to a newer model"
    replacement += " (see foundry_imagegen.models for models in date)."
    disputed = f" Sources disagree: {_claims_text(lifecycle)}." if lifecycle.disputed else ""
    if retires <= today:
        state: Literal["retired", "retiring"] = "retired"
        if lifecycle.disputed and latest is not None and latest > today:
            head = f"{entry.name} may be retired on {where}: one source says it retired on {retires.isoformat()}."
        else:
            head = f"{entry.name} was retired on {where} on {retires.isoformat()}; calls may fail."
    elif (retires - today).days <= RETIRING_SOON_DAYS:
        state = "retiring"
        days = (retires - today).days
        head = f"{entry.name} retires on {where} on {retires.isoformat()} (in {days} days)."
    else:
        return LifecycleStatus(entry.name, platform, "active", lifecycle)
    return LifecycleStatus(entry.name, platform, state, lifecycle, f"{head}{disputed} {replacement}")


def check_lifecycle(
    name: str | None,
    *,
    today: date,
    role: Literal["image", "orchestrator"],
    platform: Platform = "azure",
    deployment: str | None = None,
) -> LifecycleStatus | None:
    """Warn (once per process per model and reason) if model ``name`` is retired, retiring or unknown.

    Parameters:
        name: the catalog model name to check (the deployment's model).
        today: the day to judge by; the shell passes ``date.today()``, tests a fixed day.
        role: ``"image"`` (the tool's model) or ``"orchestrator"`` (the chat model).
        platform: whose retirement schedule applies.
        deployment: the deployment name, when it differs from ``name`` (shown in the message).

    Returns the status, or None when the name is not in the catalog (then ``UnknownModelWarning``).

    Example::

        check_lifecycle("gpt-image-1", today=date(2026, 12, 2), role="image")  # ModelRetiredWarning
    """
    if not name:
        return None
    entry: ImageModel | OrchestratorModel | None = image_model(name) if role == "image" else orchestrator_model(name)
    if entry is None:
        what = "image model" if role == "image" else "orchestrator model"
        param = "image_deployment" if role == "image" else "model"
        warn_once(
            UnknownModelWarning,
            (name, f"unknown-{role}"),
            f"{param}={name!r} is not a known {what} name, so its rules and retirement date could not be "
            f"checked. Fix: pass deployment_models={{{name!r}: '<model it runs, e.g. "
            f"{'gpt-image-2' if role == 'image' else 'gpt-5.1'}>'}} to the client.",
        )
        return None
    status = lifecycle_status(entry, today=today, platform=platform)
    if status.state in ("retired", "retiring"):
        via = f" (deployment {deployment!r})" if deployment and deployment != entry.name else ""
        category = ModelRetiredWarning if status.state == "retired" else ModelRetiringWarning
        message = status.message.replace(entry.name, f"{entry.name}{via}", 1)
        warn_once(category, (entry.name, f"{platform}-{status.state}"), message)
    return status


def current_image_models(*, today: date, platform: Platform = "azure") -> list[ImageModel]:
    """The image models with a known retirement date that no source puts within 30 days of ``today``.

    Parameters:
        today: the day to judge by.
        platform: ``"azure"`` or ``"openai"``.

    Example::

        [model.name for model in current_image_models(today=date(2026, 12, 2))]  # ['gpt-image-1-mini', 'gpt-image-2']
    """
    return [
        entry
        for entry in IMAGE_MODELS.values()
        if lifecycle_status(entry, today=today, platform=platform).state == "active"
    ]


def current_orchestrators(*, today: date, platform: Platform = "azure") -> list[OrchestratorModel]:
    """The orchestrators a source names as image tool hosts and that are in date on ``today``.

    Parameters:
        today: the day to judge by.
        platform: ``"azure"`` or ``"openai"``.

    Example::

        [model.name for model in current_orchestrators(today=date(2026, 12, 2))]
    """
    return [
        entry
        for entry in ORCHESTRATOR_MODELS.values()
        if entry.supports_image_tool.value and lifecycle_status(entry, today=today, platform=platform).state == "active"
    ]
