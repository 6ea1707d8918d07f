"""Where a call goes: the project's ``/openai/v1`` base, or an agent's own endpoint. Pure, no I/O.

An agent endpoint (``{project}/agents/{name}/endpoint/protocols/openai``) serves the same Responses and
Conversations families as the project base, with ``api-version=v1`` on every call and the agent named by
the URL instead of the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import ConfigurationError
from .calls import ApiCall
from .config import EndpointInfo

__all__ = [
    "AGENT_ENDPOINT_FEATURES",
    "Route",
    "agent_endpoint_route",
    "check_conversations_supported",
    "default_route",
    "endpoint_agent_name",
]

#: The preview features azure-ai-projects 2.10 announces on every agent-endpoint call.
AGENT_ENDPOINT_FEATURES = (
    "WorkflowAgents=V1Preview,ExternalAgents=V1Preview,DraftAgents=V1Preview,VoiceAgents=V1Preview,"
    "DigitalWorker=V1Preview,GitHubCopilot=V1Preview,Skills=V1Preview,MicrosoftCopilot=V1Preview,"
    "ModelRouterControls=V1Preview"
)
FEATURES_HEADER = "Foundry-Features"


@dataclass(frozen=True)
class Route:
    """A base URL (the part before ``/responses`` or ``/conversations``) with its query and headers."""

    base_url: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The agent whose endpoint this is, or None for the project / resource base.
    agent: str | None = None
    #: Whether the base is an Azure OpenAI resource (no conversations there).
    is_resource: bool = False

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> ApiCall:
        """The ``ApiCall`` for ``path`` (which starts with ``/``) on this route."""
        return ApiCall(
            method,
            self.base_url + path,
            params={**self.params, **(params or {})},
            json=json,
            headers={**self.headers, **(headers or {})},
            idempotent=idempotent,
        )


def _is_resource(endpoint: EndpointInfo) -> bool:
    if endpoint.project_url is not None:
        return False
    if endpoint.kind == "resource":
        return True
    host = endpoint.base_url.split("://", 1)[-1].split("/", 1)[0].lower()
    return host.endswith((".openai.azure.com", ".cognitiveservices.azure.com"))


def default_route(endpoint: EndpointInfo) -> Route:
    """The client's own ``.../openai/v1`` base."""
    return Route(endpoint.base_url, is_resource=_is_resource(endpoint))


def agent_endpoint_route(endpoint: EndpointInfo, agent: str) -> Route:
    """The agent endpoint of ``agent`` (a Foundry project only)."""
    from .agents import AGENTS_API_VERSION, validate_agent_name

    if endpoint.project_url is None:
        raise ConfigurationError(
            f"agent endpoints belong to Foundry projects, but this client points at {endpoint.base_url!r}. Fix: "
            "use 'https://<resource>.services.ai.azure.com/api/projects/<project>'"
        )
    name = validate_agent_name(agent)
    return Route(
        f"{endpoint.project_url}/agents/{name}/endpoint/protocols/openai",
        params={"api-version": AGENTS_API_VERSION},
        headers={FEATURES_HEADER: AGENT_ENDPOINT_FEATURES},
        agent=name,
    )


def check_conversations_supported(route: Route, what: str) -> None:
    """Refuse, before sending, a conversation call to an Azure OpenAI resource (it has no conversations)."""
    if route.is_resource:
        raise ConfigurationError(
            f"{what} needs a Foundry project: conversations exist on project endpoints (and agent endpoints), "
            f"not on an Azure OpenAI resource such as {route.base_url!r}, which answers 404. Fix: use "
            "'https://<resource>.services.ai.azure.com/api/projects/<project>', or continue with "
            "previous_response_id= (store=True) instead"
        )


def endpoint_agent_name(agent: object) -> str:
    """The agent name an agent-endpoint call goes to; a pinned version is refused (the endpoint routes)."""
    from .agents import AgentReference, AgentVersion, validate_agent_name

    if agent is None:
        raise ConfigurationError(
            "agent_endpoint=True needs agent=. Fix: pass the agent's name, e.g. agent='poster-artist'"
        )
    if isinstance(agent, AgentVersion):
        return agent.name
    if isinstance(agent, AgentReference):
        if agent.version is not None:
            raise ConfigurationError(
                f"agent=AgentReference(name={agent.name!r}, version={agent.version!r}) with agent_endpoint=True: "
                "the endpoint picks the version by its version selector, so the pinned version would be ignored. "
                f"Fix: pass agent={agent.name!r}, route the endpoint with client.agents.set_endpoint("
                f"{agent.name!r}, {agent.version!r}), or call without agent_endpoint=True"
            )
        return agent.name
    if isinstance(agent, str):
        return validate_agent_name(agent)
    raise ConfigurationError(
        f"agent is a {type(agent).__name__}. Fix: pass an agent name, an AgentReference or an AgentVersion"
    )
