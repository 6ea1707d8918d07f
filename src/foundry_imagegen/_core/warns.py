"""The warning classes of the model catalog and the helpers that give them, apart from the catalog's data.

The tool config names these at import time; the catalog itself (every model's facts, dated and sourced)
loads only when a tool or call is first checked against it.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import PurePath

__all__ = [
    "DisputedRuleWarning",
    "ModelCatalogWarning",
    "ModelLifecycleWarning",
    "ModelRetiredWarning",
    "ModelRetiringWarning",
    "ToolConfigWarning",
    "UnknownModelWarning",
    "reset_warnings",
    "warn_at_caller",
    "warn_once",
]


class ModelCatalogWarning(UserWarning):
    """Base of the warnings the model catalog raises: something about a model could not be confirmed.

    Example::

        warnings.simplefilter("error", ModelCatalogWarning)  # fail fast on any catalog doubt
    """


class ModelLifecycleWarning(ModelCatalogWarning):
    """A model is retired or retires soon on the platform the client talks to."""


class ModelRetiredWarning(ModelLifecycleWarning):
    """The model's retirement date has passed: the service may answer every call with an error.

    The message names the date, the source and the suggested replacement.
    """


class ModelRetiringWarning(ModelLifecycleWarning):
    """The model retires within 30 days (by at least one source)."""


class ToolConfigWarning(UserWarning):
    """A tool setting could not be checked locally (for example a custom size on an unknown model).

    Example::

        warnings.simplefilter("error", ToolConfigWarning)  # make such settings fail fast
    """


class DisputedRuleWarning(ModelCatalogWarning, ToolConfigWarning):
    """A tool setting that the catalog's sources disagree on, or that no source states for the model.

    The setting is sent as given (the SDK does not refuse what one source allows); the message says
    what each source says.
    """


class UnknownModelWarning(ModelCatalogWarning, ToolConfigWarning):
    """A model or deployment name is not in the catalog, so its rules and lifecycle could not be checked.

    Fix: name the model the deployment runs, e.g. ``FoundryClient(..., deployment_models={"my-img": "gpt-image-2"})``
    or ``ImageGenerationTool(image_model="gpt-image-2")``.
    """


_WARNED: set[tuple[str, str, str]] = set()
_PACKAGE_DIR = str(PurePath(__file__).parent.parent)


def warn_at_caller(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` pointing at the first frame outside this package and pydantic: the user's line.

    A fixed ``stacklevel`` cannot do that, since the same check runs from a constructor, from
    ``replace()`` and from a client call, each at another depth.
    """
    import pydantic  # already loaded by whoever validates a tool; only its location is needed

    internal = (_PACKAGE_DIR, str(PurePath(pydantic.__file__).parent))
    frame = sys._getframe(0)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(internal):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def warn_once(category: type[Warning], key: tuple[str, str], message: str) -> bool:
    """Warn ``message`` once per process for ``key`` (model, reason) and category; True if it warned.

    The once-registry is the one piece of state the core keeps: warnings about a model are facts about
    the model, not about the call, so a loop of calls says it once.
    """
    marker = (category.__name__, *key)
    if marker in _WARNED:
        return False
    _WARNED.add(marker)
    warn_at_caller(message, category)
    return True


def reset_warnings() -> None:
    """Forget which catalog warnings were given, so they are given again (for tests and long-lived REPLs)."""
    _WARNED.clear()
