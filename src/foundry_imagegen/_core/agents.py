"""Foundry prompt agents and the Files API: typed answers and request builders, without I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from .inputs import ResolvedImage
from .agent_endpoints import AgentEndpoint
from .calls import ApiCall
from .request import agent_reference_param
from .tool import ImageGenerationTool

__all__ = [
    "AGENTS_API_VERSION",
    "Agent",
    "AgentDeletion",
    "AgentEndpoint",
    "AgentReference",
    "AgentVersion",
    "FileObject",
    "agent_reference_param",
    "validate_agent_name",
]

AGENTS_API_VERSION = "v1"
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def validate_agent_name(name: object) -> str:
    """Agent names: 1-63 characters, letters, digits and hyphens, alphanumeric at both ends.

    Example::

        validate_agent_name("poster-artist")
    """
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ConfigurationError(
            f"agent name {name!r} is not valid: it needs 1-63 letters, digits or hyphens, starting and "
            "ending with a letter or digit. Fix: e.g. 'poster-artist'"
        )
    return name


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


class AgentReference(BaseModel):
    """Names a stored agent (and optionally a version) for a Responses call.

    Example::

        client.generate("a poster", agent=AgentReference(name="poster-artist", version="3"))
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str | None = None

    def model_post_init(self, __context: Any) -> None:
        validate_agent_name(self.name)


class AgentVersion(_Lenient):
    """One immutable version of an agent, as the service returns it.

    Example::

        version = client.agents.create_version("poster-artist", model="gpt-5.1", tool=tool)
        version.version, version.image_tool
    """

    object: str | None = "agent.version"
    id: str | None = None
    name: str
    version: str
    description: str | None = None
    created_at: float | None = None
    definition: dict[str, Any] = {}
    metadata: dict[str, str] | None = None
    status: str | None = None

    @property
    def reference(self) -> AgentReference:
        """An ``AgentReference`` pinned to this version."""
        return AgentReference(name=self.name, version=self.version)

    @property
    def image_tool(self) -> ImageGenerationTool | None:
        """The image tool of the definition (its wire ``model`` is the image deployment), if any."""
        for raw in self.definition.get("tools") or []:
            if isinstance(raw, Mapping) and raw.get("type") == "image_generation":
                fields = {k: v for k, v in raw.items() if k in ImageGenerationTool.model_fields}
                try:
                    tool = ImageGenerationTool.model_validate(fields)
                except ValidationError:
                    return None
                return tool.replace(image_deployment=tool.model) if tool.model and not tool.image_deployment else tool
        return None


class Agent(_Lenient):
    """An agent and its latest version, with its agent endpoint when it has one.

    Example::

        client.agents.get("poster-artist").latest.version
    """

    object: str | None = "agent"
    id: str | None = None
    name: str
    versions: dict[str, AgentVersion] = {}
    #: ``enabled`` or ``disabled``; a disabled agent's endpoint rejects every request.
    state: str | None = None
    configuration_state: str | None = None
    state_source: str | None = None
    agent_endpoint: AgentEndpoint | None = None

    @property
    def latest(self) -> AgentVersion | None:
        """The newest version."""
        return self.versions.get("latest")


class AgentDeletion(_Lenient):
    """What a delete returns.

    Example::

        client.agents.delete("poster-artist").deleted  # True
    """

    object: str | None = None
    name: str | None = None
    version: str | None = None
    deleted: bool = False


class FileObject(_Lenient):
    """An uploaded file (Files API).

    Example::

        uploaded = client.files.upload("photo.png")
        FileId(uploaded.id)
    """

    id: str
    object: str | None = "file"
    bytes: int | None = None
    created_at: float | None = None
    filename: str | None = None
    purpose: str | None = None
    status: str | None = None


class _VersionList(_Lenient):
    data: list[AgentVersion] = []
    has_more: bool = False
    last_id: str | None = None


class _AgentList(_Lenient):
    data: list[Agent] = []
    has_more: bool = False
    last_id: str | None = None


def next_page(page: _VersionList | _AgentList) -> str | None:
    """The ``after`` cursor of the page that follows ``page``, or None when it was the last."""
    return page.last_id if page.has_more and page.last_id else None


_SEGMENT_RE = re.compile(r"[A-Za-z0-9._-]{1,256}")


def _segment(value: object, what: str) -> str:
    """A value that goes into a URL path: one plain segment, never '..' or something with '/' or '?'."""
    if not isinstance(value, str) or not _SEGMENT_RE.fullmatch(value) or value in (".", ".."):
        raise ConfigurationError(
            f"{what}={value!r} is not a valid {what} (letters, digits, '.', '_' or '-'). Fix: pass it as the "
            "service returned it"
        )
    return value


def _params(**extra: str) -> dict[str, str]:
    return {"api-version": AGENTS_API_VERSION, **extra}


def build_create_version(
    project_url: str,
    name: str,
    *,
    model: str,
    tool: ImageGenerationTool,
    instructions: str | None,
    description: str | None,
    metadata: Mapping[str, str] | None,
) -> ApiCall:
    """``POST /agents/{name}/versions``: a prompt agent whose definition holds the image tool."""
    validate_agent_name(name)
    if not model:
        raise ConfigurationError(
            "model=None: an agent needs the orchestrator (chat) model deployment. Fix: model='gpt-5.1'"
        )
    if tool.image_deployment is None:
        tool.headers()  # raises MissingImageDeploymentError with the fix
    if model == tool.image_deployment:
        raise ConfigurationError(
            f"model={model!r} is also the image deployment. Fix: use a chat model deployment for model="
        )
    if metadata is not None and (
        len(metadata) > 16 or any(len(k) > 64 or len(str(v)) > 512 for k, v in metadata.items())
    ):
        raise ConfigurationError(
            "metadata allows at most 16 pairs, keys up to 64 and values up to 512 characters. Fix: trim it"
        )
    definition: dict[str, Any] = {"kind": "prompt", "model": model}
    if instructions is not None:
        definition["instructions"] = instructions
    definition["tools"] = [tool.to_param()]
    body: dict[str, Any] = {"definition": definition}
    if description is not None:
        body["description"] = description
    if metadata is not None:
        body["metadata"] = dict(metadata)
    return ApiCall("POST", f"{project_url}/agents/{name}/versions", params=_params(), json=body)


def build_get_agent(project_url: str, name: str) -> ApiCall:
    return ApiCall("GET", f"{project_url}/agents/{validate_agent_name(name)}", params=_params())


def build_get_version(project_url: str, name: str, version: str) -> ApiCall:
    return ApiCall(
        "GET",
        f"{project_url}/agents/{validate_agent_name(name)}/versions/{_segment(version, 'version')}",
        params=_params(),
    )


def build_list_agents(project_url: str, *, after: str | None = None) -> ApiCall:
    params = _params(limit="100", order="asc")
    if after:
        params["after"] = after
    return ApiCall("GET", f"{project_url}/agents", params=params)


def build_list_versions(project_url: str, name: str, *, after: str | None = None) -> ApiCall:
    params = _params(limit="100", order="asc")
    if after:
        params["after"] = after
    return ApiCall("GET", f"{project_url}/agents/{validate_agent_name(name)}/versions", params=params)


def build_delete_version(project_url: str, name: str, version: str) -> ApiCall:
    return ApiCall(
        "DELETE",
        f"{project_url}/agents/{validate_agent_name(name)}/versions/{_segment(version, 'version')}",
        params=_params(),
    )


def build_delete_agent(project_url: str, name: str) -> ApiCall:
    return ApiCall("DELETE", f"{project_url}/agents/{validate_agent_name(name)}", params=_params())


def build_upload(base_url: str, data: bytes, *, filename: str, mime: str, purpose: str) -> ApiCall:
    """``POST /files`` as multipart; Azure refuses ``user_data`` for Responses inputs, so the default
    purpose is ``assistants``."""
    if not purpose:
        raise ConfigurationError("purpose is empty. Fix: purpose='assistants'")
    return ApiCall("POST", f"{base_url}/files", files={"file": (filename, data, mime)}, data={"purpose": purpose})


def build_delete_file(base_url: str, file_id: str) -> ApiCall:
    return ApiCall("DELETE", f"{base_url}/files/{_segment(file_id, 'file_id')}")


_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def build_upload_image(base_url: str, resolved: ResolvedImage, *, filename: str | None, purpose: str) -> ApiCall:
    """``POST /files`` for a checked local image; URLs and file ids are refused with the fix."""
    if resolved.data is None or resolved.format is None:
        raise ConfigurationError(
            f"file={resolved.name!r} is a {resolved.kind.replace('_', ' ')}, not local bytes. Fix: upload bytes "
            "or a path; a URL or FileId can be used as an input image directly"
        )
    name = filename or (PurePath(resolved.name).name if "." in resolved.name else f"image.{resolved.format}")
    return build_upload(base_url, resolved.data, filename=name, mime=_MIME[resolved.format], purpose=purpose)


def fresh_agent_name(token: str) -> str:
    """The name of an ephemeral agent, from ``token`` (random hex the shell draws)."""
    return f"imagegen-{token}"
