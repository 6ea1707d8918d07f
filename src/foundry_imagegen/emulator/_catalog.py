"""The emulator's own model table: which orchestrators reason, and what each image model accepts.

Written from the service's published model facts as of 2026-12, independently of the SDK's catalog, so a
rule misread in one place is caught by the other. Deployments map a name to one of these models; the
model, not the deployment name, decides the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ALL_FORMATS",
    "ALL_QUALITIES",
    "ImageModel",
    "image_model",
    "is_reasoning_orchestrator",
]

ALL_QUALITIES = ("low", "medium", "high", "xhigh", "max", "auto")
ALL_FORMATS = ("png", "webp", "jpeg", "gif", "svg")
_BASE_QUALITIES = ("low", "medium", "high", "auto")
_RASTER_FORMATS = ("png", "webp", "jpeg")


@dataclass(frozen=True)
class ImageModel:
    """What one image model accepts.

    :param name: the model name (snapshots such as ``gpt-image-2-2026-04-21`` resolve to it).
    :param custom_sizes: takes ``WIDTHxHEIGHT`` beyond the three fixed sizes.
    :param qualities: accepted ``quality`` values.
    :param formats: accepted ``output_format`` values.
    :param input_fidelity: accepted ``input_fidelity`` values; empty means the field must be omitted.
    """

    name: str
    custom_sizes: bool
    qualities: tuple[str, ...]
    formats: tuple[str, ...]
    input_fidelity: tuple[str, ...]


_MODELS = {
    m.name: m
    for m in (
        ImageModel("gpt-image-1", False, _BASE_QUALITIES, _RASTER_FORMATS, ("high", "low")),
        ImageModel("gpt-image-1.5", False, _BASE_QUALITIES, _RASTER_FORMATS, ("high", "low")),
        ImageModel("gpt-image-1-mini", False, _BASE_QUALITIES, _RASTER_FORMATS, ("low",)),
        ImageModel("gpt-image-2", True, _BASE_QUALITIES, _RASTER_FORMATS, ()),
        ImageModel("gpt-image-2.5-flare", True, ALL_QUALITIES, _RASTER_FORMATS, ()),
        ImageModel("gpt-image-2.5-sunburst", True, ALL_QUALITIES, _RASTER_FORMATS, ()),
        # Custom sizes are not documented for 2.6; GIF and SVG are, and only there.
        ImageModel("gpt-image-2.6-flare", False, ALL_QUALITIES, ALL_FORMATS, ()),
        ImageModel("gpt-image-2.6-sunburst", False, ALL_QUALITIES, ALL_FORMATS, ()),
    )
}
# A deployment of a model this table does not know gets the oldest rules, except that gpt-image-2*
# names keep their custom sizes (what the emulator has always allowed).
_FALLBACK = ImageModel("unknown", False, _BASE_QUALITIES, _RASTER_FORMATS, ("high", "low"))
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def image_model(name: str | None) -> ImageModel | None:
    """The rules of image model ``name`` (snapshot suffixes ignored); None when ``name`` is None.

    :param name: an image model name, e.g. ``"gpt-image-2-2026-04-21"``.
    """
    if name is None:
        return None
    base = _SNAPSHOT.sub("", name)
    known = _MODELS.get(base)
    if known is not None:
        return known
    return ImageModel(base, base.startswith("gpt-image-2"), _FALLBACK.qualities, _FALLBACK.formats, ("high", "low"))


_REASONING = re.compile(r"^(gpt-5(?!-chat)|o[1-9])")


def is_reasoning_orchestrator(model: str) -> bool:
    """gpt-5 family (not the ``-chat`` models) and o-series orchestrators put ``reasoning`` items first.

    :param model: the orchestrator model (not the deployment name).
    """
    return bool(_REASONING.match(model)) or model.startswith("gpt-6")
