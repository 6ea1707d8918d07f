"""Agent endpoints: the models the service returns and the merge-patch that sets one. No I/O.

An agent endpoint serves an agent at ``{project}/agents/{name}/endpoint/protocols/openai``; which version
answers is decided by its version selector (traffic percentages). It is set with
``PATCH /agents/{name}?api-version=v1`` and a JSON merge-patch body, as azure-ai-projects 2.10 does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..exceptions import ConfigurationError
from .calls import ApiCall

__all__ = ["PROTOCOLS", "AgentEndpoint", "VersionSelectionRule", "build_set_endpoint", "endpoint_param"]

#: The protocols an agent endpoint can serve (``protocol_configuration`` keys).
PROTOCOLS = ("responses", "activity", "a2a", "mcp", "invocations", "invocations_ws")
#: Fields the service fills in and refuses to be sent.
_READ_ONLY = frozenset({"publish_approval_status"})


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


class VersionSelectionRule(_Lenient):
    """One routing rule: ``traffic_percentage`` of the calls go to ``agent_version``."""

    type: str | None = "FixedRatio"
    agent_version: str | None = None
    traffic_percentage: int | None = None


class VersionSelector(_Lenient):
    """How the endpoint picks a version."""

    version_selection_rules: list[VersionSelectionRule] = []


class AgentEndpoint(_Lenient):
    """An agent's endpoint as the service returns it (``Agent.agent_endpoint``).

    Example::

        endpoint = client.agents.get("poster-artist").agent_endpoint
        endpoint.versions, endpoint.protocols, endpoint.publish_approval_status
    """

    version_selector: VersionSelector | None = None
    protocol_configuration: dict[str, Any] | None = None
    authorization_schemes: list[dict[str, Any]] | None = None
    #: Read-only: ``not_published``, ``pending``, ``approved``, ``rejected`` or ``no_approval_needed``.
    publish_approval_status: str | None = None

    @property
    def versions(self) -> dict[str, int]:
        """Traffic percentage by agent version."""
        rules = self.version_selector.version_selection_rules if self.version_selector else []
        return {rule.agent_version: rule.traffic_percentage or 0 for rule in rules if rule.agent_version}

    @property
    def protocols(self) -> list[str]:
        """The protocols it serves (``responses`` is the one image generation uses)."""
        return sorted(self.protocol_configuration or {})


def endpoint_param(
    version: str | Mapping[str, int] | AgentEndpoint, *, protocols: Sequence[str] = ("responses",)
) -> dict[str, Any]:
    """The ``agent_endpoint`` body: all traffic to one version, a split by percentage, or a saved endpoint."""
    if isinstance(version, AgentEndpoint):
        # Restoring what get() returned: read-only fields are dropped, unknown ones kept.
        return version.model_dump(exclude_none=True, exclude=set(_READ_ONLY))
    split = {version: 100} if isinstance(version, str) else dict(version) if isinstance(version, Mapping) else None
    if not split or any(not isinstance(k, str) or not k for k in split):
        raise ConfigurationError(
            f"version={version!r}. Fix: an agent version such as '3', a split such as {{'3': 90, '4': 10}}, or "
            "the AgentEndpoint that get() returned"
        )
    if (
        any(isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 100 for p in split.values())
        or sum(split.values()) != 100
    ):
        raise ConfigurationError(
            f"version={version!r}: the traffic percentages must be integers from 0 to 100 that add up to 100. "
            "Fix: e.g. {'3': 90, '4': 10}"
        )
    if isinstance(protocols, str) or not protocols or any(p not in PROTOCOLS for p in protocols):
        raise ConfigurationError(
            f"protocols={protocols!r}. Fix: a list of {', '.join(PROTOCOLS)}; image generation needs 'responses'"
        )
    rules = [{"agent_version": v, "traffic_percentage": p, "type": "FixedRatio"} for v, p in split.items()]
    return {
        "version_selector": {"version_selection_rules": rules},
        "protocol_configuration": {protocol: {} for protocol in protocols},
    }


def build_set_endpoint(project_url: str, name: str, agent_endpoint: dict[str, Any] | None) -> ApiCall:
    """``PATCH /agents/{name}?api-version=v1``, a merge-patch of ``agent_endpoint`` (None removes it).

    The same body twice gives the same agent, so the call may be sent again.
    """
    from .agents import AGENTS_API_VERSION, validate_agent_name

    return ApiCall(
        "PATCH",
        f"{project_url}/agents/{validate_agent_name(name)}",
        params={"api-version": AGENTS_API_VERSION},
        json={"agent_endpoint": agent_endpoint},
        headers={"Content-Type": "application/merge-patch+json"},
        idempotent=True,
    )
