"""Pure decisions a call makes before anything is sent: which agent, which deployment, what to check.

The shells hold the state (``AgentCache``) and do the I/O the answers ask for (an agent lookup, uploads);
every choice is made here, so both shells make it the same way and tests need no HTTP mocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError
from .calls import InputLike, ResponsesRequest
from .tool import ImageGenerationTool, catalog_target

if TYPE_CHECKING:
    from .agents import AgentReference, AgentVersion
    from .inputs import ResolvedImage

__all__ = [
    "AgentCache",
    "CallDefaults",
    "check_before_io",
    "check_models",
    "needs_agent_lookup",
    "prepare_request",
    "with_pending_uploads",
]

#: A placeholder file id: lets every check of a call run before any upload is made.
PENDING_UPLOAD = "pending-upload"


@dataclass(frozen=True)
class CallDefaults:
    """What the client fills in when a call leaves it out.

    ``deployment_models`` maps deployment names to the catalog models they run; ``today`` is the shell's
    date for the lifecycle checks (None: no lifecycle check, as in pure core use).
    """

    model: str | None
    image_deployment: str | None
    agent_field: str = "agent_reference"
    deployment_models: Mapping[str, str] = field(default_factory=dict)
    today: date | None = None


def check_models(tool: ImageGenerationTool, orchestrator: str | None, defaults: CallDefaults) -> None:
    """The catalog checks a call makes once its deployments are known: pairing, then lifecycle warnings.

    An image model named as the orchestrator is refused (it cannot call tools). With ``defaults.today``
    set, a retired or soon-retiring model warns, and so does a name the catalog does not know (once per
    process each).
    """
    # The catalog loads on the first call that is checked, not when the client is imported.
    from .catalog import UnknownModelWarning, check_lifecycle, image_model, orchestrator_model, warn_once

    chat = defaults.deployment_models.get(orchestrator, orchestrator) if orchestrator else None
    as_image = image_model(chat) if chat else None
    if as_image is not None:
        raise ConfigurationError(
            f"model={orchestrator!r} is the image model {as_image.name!r} (by name or deployment_models), "
            "but the orchestrator must be a chat model that calls the image tool. Fix: model='<chat deployment, "
            "e.g. gpt-5.1>' and pass the image model as image_deployment="
        )
    if defaults.today is None:
        return
    name, _ = catalog_target(tool)
    if name is not None:
        check_lifecycle(name, today=defaults.today, role="image", deployment=tool.image_deployment)
    if chat:
        check_lifecycle(chat, today=defaults.today, role="orchestrator", deployment=orchestrator)
        host = orchestrator_model(chat)
        if host is not None and host.supports_image_tool.value is None:
            warn_once(
                UnknownModelWarning,
                (host.name, "image-tool-support"),
                f"model={orchestrator!r}: no source says whether {host.name} can host the image tool, so this "
                "was not checked (an orchestrator that cannot answers 400 \"Hosted tool 'image_generation' is "
                'not supported"). Fix: if it fails, use a gpt-5-family deployment such as gpt-5.1.',
            )


class AgentCache:
    """Agent versions looked up by name, so the header follows the agent's own tool.

    An entry is dropped when this client creates or deletes versions of that agent.
    """

    def __init__(self) -> None:
        self._versions: dict[tuple[str, str | None], AgentVersion | None] = {}

    def parts(self, agent: object) -> tuple[AgentReference | None, ImageGenerationTool | None]:
        """The reference to send and, when already known, the agent's own image tool."""
        if agent is None:
            return None, None
        from .agents import AgentReference, AgentVersion, validate_agent_name

        if isinstance(agent, AgentVersion):
            return agent.reference, agent.image_tool
        if isinstance(agent, str):
            agent = AgentReference(name=validate_agent_name(agent))
        if isinstance(agent, AgentReference):
            known = self._versions.get((agent.name, agent.version))
            if known is None:
                return agent, None
            # A name looked up before is pinned to the version found then, header and body alike.
            return known.reference, known.image_tool
        raise ConfigurationError(
            f"agent is a {type(agent).__name__}. Fix: pass an agent name, an AgentReference or an AgentVersion"
        )

    def remember(
        self, ref: AgentReference, version: AgentVersion | None
    ) -> tuple[AgentReference, ImageGenerationTool | None]:
        """Keep what a lookup found; returns the pinned reference and the agent's tool."""
        self._versions[(ref.name, ref.version)] = version
        if version is None:
            return ref, None
        return version.reference, version.image_tool

    def forget(self, name: str) -> None:
        """Drop every cached version of agent ``name``."""
        for key in [key for key in self._versions if key[0] == name]:
            del self._versions[key]


def check_before_io(
    agent: AgentReference | None,
    tool: ImageGenerationTool | Mapping[str, Any] | None,
    mask: ResolvedImage | None,
) -> None:
    """Every local refusal of an agent call, run before uploads or lookups touch the network."""
    if agent is not None:
        from .request import check_agent_tool

        check_agent_tool(ImageGenerationTool.coerce(tool), has_mask=mask is not None)


def needs_agent_lookup(
    tool: ImageGenerationTool | Mapping[str, Any] | None,
    agent_tool: ImageGenerationTool | None,
    defaults: CallDefaults,
) -> bool:
    """Whether the service must be asked for the agent's tool: only when nobody named the image deployment."""
    explicit = ImageGenerationTool.coerce(tool).image_deployment
    return explicit is None and defaults.image_deployment is None and agent_tool is None


def prepare_request(
    prompt: InputLike,
    defaults: CallDefaults,
    *,
    tool: ImageGenerationTool | Mapping[str, Any] | None,
    model: str | None,
    instructions: str | None,
    previous_response_id: str | None,
    store: bool | None,
    force_image: bool | None,
    stream: bool,
    extra_body: Mapping[str, Any] | None,
    images: Sequence[ResolvedImage] = (),
    mask: ResolvedImage | None = None,
    agent: AgentReference | None = None,
    agent_tool: ImageGenerationTool | None = None,
) -> tuple[ResponsesRequest, ImageGenerationTool]:
    """The Responses request of a call, and the tool that will run (the agent's own when it has one).

    Deployment precedence: the caller's tool, else the agent's own tool, else the client's default.
    """
    resolved = ImageGenerationTool.coerce(tool)
    if (
        agent is not None
        and agent_tool is not None
        and resolved.image_deployment is None
        and agent_tool.image_deployment
    ):
        resolved = resolved.replace(image_deployment=agent_tool.image_deployment)
    resolved = resolved.with_defaults(
        image_deployment=defaults.image_deployment, deployment_models=defaults.deployment_models
    )
    if mask is not None:
        resolved = resolved.replace(input_image_mask=mask.mask_param())
    if force_image is None:
        force_image = agent is None  # an agent's definition decides its own tool use
    from .request import build_responses_request, with_images  # on the first call, not at import

    request = build_responses_request(
        resolved,
        with_images(prompt, images),
        model=model or defaults.model,
        instructions=instructions,
        tool_choice="image_generation" if force_image else None,
        previous_response_id=previous_response_id,
        store=store,
        stream=stream,
        extra_body=extra_body,
        agent=agent,
        agent_field=defaults.agent_field,
    )
    check_models(resolved, None if agent is not None else (model or defaults.model), defaults)
    return request, agent_tool if agent is not None and agent_tool is not None else resolved


def with_pending_uploads(
    images: Sequence[ResolvedImage], mask: ResolvedImage | None
) -> tuple[list[ResolvedImage], ResolvedImage | None]:
    """The inputs with placeholder file ids where uploads will go, so every check runs before any upload."""
    pending = [image.with_file_id(PENDING_UPLOAD) if image.kind == "bytes" else image for image in images]
    pending_mask = mask.with_file_id(PENDING_UPLOAD) if mask is not None and mask.kind == "bytes" else mask
    return pending, pending_mask
