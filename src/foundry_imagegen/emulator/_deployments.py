"""The project's deployments listing: ``GET …/deployments`` and ``GET …/deployments/{name}``.

Built from the emulator's own deployment maps (orchestrators and image models). Two knobs make the
listing disagree with what the Responses API serves, so a preflight check can be tested offline on
every path: a deployment can be left out of the listing while it still answers, and a listed
deployment can report other fields (a wrong ``modelName``, a stale ``modelVersion``, …).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._errors import ApiError, azure_error
from ._http import JsonReply, Reply, Request, Route

__all__ = ["DeploymentListing", "deployment_routes", "model_version"]

# Model versions as the service lists them. Where no version is published for a model the emulator
# picks a date-shaped placeholder so that every item has the required field.
_MODEL_VERSIONS: dict[str, str] = {
    "gpt-image-1": "2025-04-15",
    "gpt-image-1-mini": "2025-10-06",
    "gpt-image-1.5": "2025-12-16",
    "gpt-image-2": "2026-04-21",
    "gpt-image-2.5-flare": "2026-09-08",
    "gpt-image-2.5-sunburst": "2026-09-08",
    "gpt-4o": "2024-11-20",
    "gpt-4o-mini": "2024-07-18",
    "gpt-4.1": "2025-04-14",
    "gpt-4.1-mini": "2025-04-14",
    "gpt-4.1-nano": "2025-04-14",
    "gpt-5": "2025-08-07",
    "gpt-5-chat": "2025-08-07",
    "gpt-5-mini": "2025-08-07",
    "gpt-5-nano": "2025-08-07",
    "gpt-5.1": "2025-11-13",
    "gpt-5.2": "2025-12-11",
    "gpt-5.5": "2026-04-24",
    "gpt-5.6-luna": "2026-07-09",
    "gpt-5.6-sol": "2026-07-09",
    "gpt-5.6-terra": "2026-07-09",
}
_PLACEHOLDER_VERSION = "2026-01-01"
# Chat deployments list these capability keys; image deployments an empty map, as captured listings show.
_CHAT_CAPABILITIES = {"chat_completion": "true", "completion": "false"}
_FIELDS = frozenset(
    {"type", "name", "modelName", "modelVersion", "modelPublisher", "capabilities", "sku", "connectionName"}
)
_QUERY_FILTERS = {"modelPublisher": "modelPublisher", "modelName": "modelName", "deploymentType": "type"}


def model_version(model: str) -> str:
    """The version the listing reports for ``model`` (snapshot names carry their own date).

    :param model: a model name such as ``gpt-image-2`` or ``gpt-image-2-2026-04-21``.
    """
    m = re.search(r"-(\d{4}-\d{2}-\d{2})$", model)
    if m:
        return m.group(1)
    return _MODEL_VERSIONS.get(model, _PLACEHOLDER_VERSION)


def _base_model(model: str) -> str:
    return re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model)


class DeploymentListing:
    """What ``/deployments`` answers.

    :param model_deployments: orchestrator deployment name → model.
    :param image_deployments: image deployment name → model.
    :param unlisted: deployment names left out of the listing (they still serve Responses calls).
    :param overrides: deployment name → fields that replace the listed ones (e.g. ``{"modelName": "x"}``);
        a name that is not a deployment adds a listed-only entry (listed, but Responses calls 404).
    :param capacity: deployment name → its requests-per-minute quota, reported as ``sku.capacity``.
    """

    def __init__(
        self,
        *,
        model_deployments: Mapping[str, str],
        image_deployments: Mapping[str, str],
        unlisted: Iterable[str] = (),
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        capacity: Callable[[str], int],
    ) -> None:
        self.model_deployments = model_deployments
        self.image_deployments = image_deployments
        self.unlisted = frozenset(unlisted)
        self.overrides = {name: dict(fields) for name, fields in (overrides or {}).items()}
        for name, fields in self.overrides.items():
            unknown = sorted(set(fields) - _FIELDS)
            if unknown:
                raise ValueError(
                    f"deployment override for {name!r} has unknown fields {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(_FIELDS))}"
                )
        self.capacity = capacity

    def _item(self, name: str, model: str, *, image: bool) -> dict[str, Any]:
        base = _base_model(model)
        return {
            "type": "ModelDeployment",
            "name": name,
            "modelName": base,
            "modelVersion": model_version(model),
            "modelPublisher": "OpenAI",
            "capabilities": {} if image else dict(_CHAT_CAPABILITIES),
            "sku": {"capacity": self.capacity(name), "family": "", "name": "GlobalStandard", "size": "", "tier": ""},
        }

    def items(self) -> list[dict[str, Any]]:
        """Every listed deployment, orchestrators first, each with its overrides applied."""
        found: dict[str, dict[str, Any]] = {}
        for name, model in self.model_deployments.items():
            found[name] = self._item(name, model, image=False)
        for name, model in self.image_deployments.items():
            found[name] = self._item(name, model, image=True)
        for name, fields in self.overrides.items():
            if name not in found:
                found[name] = self._item(name, str(fields.get("modelName", name)), image=False)
            found[name] = {**found[name], **fields, "name": name}
        return [item for name, item in found.items() if name not in self.unlisted]

    def get(self, name: str) -> dict[str, Any]:
        """One listed deployment, or the Foundry 404."""
        for item in self.items():
            if item["name"] == name:
                return item
        raise self.not_found(name)

    @staticmethod
    def not_found(name: str) -> ApiError:
        return azure_error(404, "not_found", f"Deployment '{name}' not found.")

    def listing(self, query: Mapping[str, str]) -> dict[str, Any]:
        """The list page; ``modelPublisher``, ``modelName`` and ``deploymentType`` filter it.

        :param query: the request's query parameters.
        """
        items = self.items()
        for param, field in _QUERY_FILTERS.items():
            wanted = query.get(param)
            if wanted:
                items = [i for i in items if str(i.get(field, "")).lower() == wanted.lower()]
        return {"value": items}


def deployment_routes(listing: DeploymentListing) -> list[Route]:
    """The deployments area's route table entries (project paths only).

    :param listing: what the routes answer from.
    """

    def get_one(_req: Request, m: re.Match[str]) -> Reply:
        return JsonReply(200, listing.get(m.group(1)))

    def get_all(req: Request, _m: re.Match[str]) -> Reply:
        return JsonReply(200, listing.listing(req.query))

    return [
        Route.of("GET", r"/deployments", get_all),
        Route.of("GET", r"/deployments/([^/]+)", get_one),
    ]
