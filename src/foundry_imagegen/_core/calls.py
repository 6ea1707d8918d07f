"""The leaf types of the core: what a call is, before anyone builds or sends one. Imports nothing of ours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from .constants import IMAGE_DEPLOYMENT_HEADER

__all__ = ["CLIENT_DEFAULT", "ApiCall", "ClientDefault", "InputLike", "ResponsesRequest", "ToolChoice"]


class ClientDefault(Enum):
    """The type of ``CLIENT_DEFAULT``: a per-call argument left to the client's own setting."""

    CLIENT_DEFAULT = "client default"

    def __repr__(self) -> str:
        return "<client default>"


#: "Use the client's setting", the default of per-call ``timeout=``; ``None`` there means no limit, as on
#: the constructor (httpx's ``USE_CLIENT_DEFAULT`` plays the same part).
CLIENT_DEFAULT = ClientDefault.CLIENT_DEFAULT

#: A prompt string, or Responses input items (message dicts) as the wire wants them.
InputLike = str | Sequence[Mapping[str, Any]]

#: ``"image_generation"`` forces the image tool (wire form ``{"type": "image_generation"}``).
ToolChoice = Literal["auto", "none", "required", "image_generation"]


@dataclass(frozen=True)
class ResponsesRequest:
    """One Responses API call, ready to send: ``path`` is relative to the ``.../openai/v1`` base URL.

    Example::

        req = ImageGenerationTool(image_deployment="gpt-image-2").build_request("a cat", model="gpt-5.1")
        client.create_response(req)
    """

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stream(self) -> bool:
        """Whether the answer is an event stream."""
        return bool(self.json.get("stream"))

    @property
    def image_deployment(self) -> str | None:
        """The image deployment this call names in its header."""
        return self.headers.get(IMAGE_DEPLOYMENT_HEADER)


@dataclass(frozen=True)
class ApiCall:
    """Any HTTP call the clients make, fully described (absolute URL); the shells only send it."""

    method: str
    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    data: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Safe to send again after it may have reached the service (GET and DELETE always are).
    idempotent: bool = False
