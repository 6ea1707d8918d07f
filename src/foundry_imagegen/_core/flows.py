"""Multi-step calls as generators: each yields the I/O it needs and receives the answer.

The shape of httpx's ``Auth.auth_flow``: the flow decides, the sync and async shells only drive it, so a
multi-step call (look up the agent, upload the inputs, then send) is written once.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from .calls import InputLike, ResponsesRequest
from .plan import AgentCache, CallDefaults, check_before_io, needs_agent_lookup, prepare_request, with_pending_uploads
from .tool import ImageGenerationTool

if TYPE_CHECKING:
    from .agents import AgentReference
    from .inputs import ResolvedImage

__all__ = ["LookupAgent", "Step", "UploadImage", "build_flow"]


@dataclass(frozen=True)
class LookupAgent:
    """Ask the service for the version ``ref`` points at; send back an ``AgentVersion`` or None."""

    ref: AgentReference


@dataclass(frozen=True)
class UploadImage:
    """Upload a local image; send back the same image as a file reference."""

    image: ResolvedImage


Step = Union[LookupAgent, UploadImage]


def build_flow(
    prompt: InputLike,
    defaults: CallDefaults,
    agents: AgentCache,
    *,
    tool: ImageGenerationTool | Mapping[str, Any] | None,
    images: Sequence[ResolvedImage],
    mask: ResolvedImage | None,
    agent: object,
    upload_images: bool,
    **kwargs: Any,
) -> Generator[Step, Any, tuple[ResponsesRequest, ImageGenerationTool]]:
    """The request of a call and the tool that runs it, after the lookups and uploads it needs.

    Every local check runs before the first step, so that nothing is uploaded or looked up for a call
    that would then be refused.
    """
    ref, agent_tool = agents.parts(agent)
    check_before_io(ref, tool, mask)
    if ref is not None and needs_agent_lookup(tool, agent_tool, defaults):
        version = yield LookupAgent(ref)
        ref, agent_tool = agents.remember(ref, version)
    if upload_images:
        pending, pending_mask = with_pending_uploads(images, mask)
        prepare_request(
            prompt, defaults, tool=tool, images=pending, mask=pending_mask, agent=ref, agent_tool=agent_tool, **kwargs
        )
        uploaded: list[ResolvedImage] = []
        for image in images:
            uploaded.append((yield UploadImage(image)) if image.kind == "bytes" else image)
        images = uploaded
        if mask is not None and mask.kind == "bytes":
            mask = yield UploadImage(mask)
    return prepare_request(
        prompt, defaults, tool=tool, images=images, mask=mask, agent=ref, agent_tool=agent_tool, **kwargs
    )
