"""The model catalog: which image and orchestrator models exist, what each accepts, and when each retires.

Every fact names its sources and the day it was last checked (``CHECKED``); where sources disagree the
fact says so, and the SDK warns instead of refusing. Lifecycle is per platform: Azure and the OpenAI API
retire the same model on different dates.

Example::

    from datetime import date
    from foundry_imagegen import models

    entry = models.image_model("gpt-image-2")
    entry.custom_sizes.value            # CustomSizeRule(multiple=16, ...)
    entry.lifecycle["azure"].claims     # one RetirementClaim per source
    models.lifecycle_status(entry, today=date.today()).state   # 'active'

How to pick: a gpt-5-family orchestrator (``gpt-5.1``, ``gpt-5.5``) and ``gpt-image-2`` (GA, custom sizes)
or ``gpt-image-1-mini`` (cheaper, fixed sizes); ``models.current_image_models(today=...)`` lists the image
models no source calls retired or retiring on a day.
"""

from __future__ import annotations

from ._core.catalog import (
    CHECKED,
    IMAGE_MODELS,
    ORCHESTRATOR_MODELS,
    RETIRING_SOON_DAYS,
    SOURCES,
    CustomSizeRule,
    DisputedRuleWarning,
    Fact,
    ImageModel,
    Lifecycle,
    LifecycleStatus,
    ModelCatalogWarning,
    ModelLifecycleWarning,
    ModelRetiredWarning,
    ModelRetiringWarning,
    OrchestratorModel,
    Platform,
    RetirementClaim,
    Source,
    ToolConfigWarning,
    UnknownModelWarning,
    check_lifecycle,
    current_image_models,
    current_orchestrators,
    image_model,
    lifecycle_status,
    orchestrator_model,
    reset_warnings,
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
]
