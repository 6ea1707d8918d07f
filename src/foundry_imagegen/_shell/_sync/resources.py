# Generated from _shell/_async/resources.py by scripts/unasync.py: do not edit; edit the source and run it.
"""``client.agents`` and ``client.files``: one line of I/O per operation over the core's builders.

Each resource sees its client through a narrow interface: a ``ResourceContext`` (URLs, defaults, the agent
cache) and the client's send function, never the client itself.
"""

from __future__ import annotations

import builtins
import contextlib
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from ..._core import agents as core
from ..._core.agent_endpoints import AgentEndpoint, build_set_endpoint, endpoint_param
from ..._core.agents import Agent, AgentDeletion, AgentReference, AgentVersion, FileObject, _AgentList, _VersionList
from ..._core.calls import ApiCall
from ..._core.inputs import ImageInput, ResolvedImage
from ..._core.plan import check_models
from ..._core.tool import ImageGenerationTool
from ...exceptions import NotFoundError
from ..base import model_parser as _parser
from ..disk import resolve_image

if TYPE_CHECKING:
    from ..base import ResourceContext

__all__ = ["Agents", "Files"]

T = TypeVar("T")


class Execute(Protocol):
    """The client's send-with-retries, the one thing a resource may call on it."""

    def __call__(self, call: ApiCall, parse: Callable[[httpx.Response], T]) -> T: ...


class Agents:
    """Prompt agents of a Foundry project (async); the mirror of ``Agents``.

    Example::

        version = client.agents.create_version("poster-artist", model="gpt-5.1", tool=tool)
    """

    def __init__(self, context: ResourceContext, execute: Execute) -> None:
        """Made by the client (``client.agents``); not meant to be constructed directly.

        Args:
            context: What the resource may use of its client: URLs, defaults, the agent cache.
            execute: The client's send-with-retries.
        """
        self._context = context
        self._execute = execute

    def _url(self) -> str:
        return self._context.project_url("client.agents")

    def _create_call(
        self,
        name: str,
        *,
        model: str | None,
        tool: ImageGenerationTool | Mapping[str, Any] | None,
        instructions: str | None,
        description: str | None,
        metadata: Mapping[str, str] | None,
    ) -> ApiCall:
        defaults = self._context.defaults
        resolved = ImageGenerationTool.coerce(tool).with_defaults(
            image_deployment=defaults.image_deployment, deployment_models=defaults.deployment_models
        )
        call = core.build_create_version(
            self._url(),
            name,
            model=model or defaults.model or "",
            tool=resolved,
            instructions=instructions,
            description=description,
            metadata=metadata,
        )
        check_models(resolved, model or defaults.model, defaults)
        return call

    def create_version(
        self,
        name: str,
        *,
        model: str | None = None,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        instructions: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
        endpoint: bool = False,
    ) -> AgentVersion:
        """Create a new version of agent ``name`` (the agent too, if new) holding the image tool.

        With ``endpoint=True`` the agent endpoint then sends all its traffic to the new version (as
        azure-ai-projects' ``create_version_with_endpoint`` does), ready for ``agent_endpoint=True`` calls.

        Args:
            name: The agent's name: 1-63 letters, digits and hyphens, alphanumeric at both ends.
            model: The orchestrator deployment (default: the client's ``model``).
            tool: The image tool the agent holds (the client's ``image_deployment`` fills a missing one).
            instructions: The agent's system instructions.
            description: A description shown in the portal.
            metadata: String key/value pairs stored with the version.
            endpoint: Also route the agent endpoint's traffic to the new version (see above).

        Returns:
            The created version (``.name``, ``.version``, ``.image_tool``).

        Example::

            version = client.agents.create_version("poster-artist", model="gpt-5.1", tool=tool)
        """
        call = self._create_call(
            name,
            model=model,
            tool=tool,
            instructions=instructions,
            description=description,
            metadata=metadata,
        )
        self._context.agent_cache.forget(name)
        version = self._execute(call, _parser(AgentVersion))
        if endpoint:
            self.set_endpoint(name, version.version)
        return version

    def set_endpoint(
        self,
        name: str,
        version: str | Mapping[str, int] | AgentEndpoint,
        *,
        protocols: Sequence[str] = ("responses",),
    ) -> Agent:
        """Route the agent endpoint (``PATCH /agents/{name}``, a merge-patch of ``agent_endpoint``).

        Args:
            name: The agent's name.
            version: The version that gets all traffic, a split such as ``{"3": 90, "4": 10}``, or an
                ``AgentEndpoint`` saved from ``get()`` to restore.
            protocols: The protocols served (image calls need ``responses``).

        Example::

            agent = client.agents.set_endpoint("poster-artist", "3")
            agent.agent_endpoint.versions  # {'3': 100}
        """
        call = build_set_endpoint(self._url(), name, endpoint_param(version, protocols=protocols))
        self._context.agent_cache.forget(name)
        return self._execute(call, _parser(Agent))

    def remove_endpoint(self, name: str) -> Agent:
        """Remove the agent endpoint (a merge-patch setting ``agent_endpoint`` to null).

        Args:
            name: The agent's name.

        Example::

            client.agents.remove_endpoint("poster-artist")
        """
        call = build_set_endpoint(self._url(), name, None)
        self._context.agent_cache.forget(name)
        return self._execute(call, _parser(Agent))

    def get(self, name: str) -> Agent:
        """The agent with its latest version.

        Args:
            name: The agent's name.

        Raises:
            NotFoundError: There is no such agent.

        Example::

            (client.agents.get("poster-artist")).latest
        """
        return self._execute(core.build_get_agent(self._url(), name), _parser(Agent))

    def get_version(self, name: str, version: str) -> AgentVersion:
        """One version of an agent.

        Args:
            name: The agent's name.
            version: The version, e.g. ``"2"``.

        Example::

            (client.agents.get_version("poster-artist", "2")).image_tool
        """
        return self._execute(core.build_get_version(self._url(), name, version), _parser(AgentVersion))

    def list(self) -> builtins.list[Agent]:
        """Every agent of the project, oldest first (pages are followed).

        Example::

            [agent.name for agent in client.agents.list()]
        """
        agents: builtins.list[Agent] = []
        after = None
        while True:
            page = self._execute(core.build_list_agents(self._url(), after=after), _parser(_AgentList))
            agents.extend(page.data)
            after = core.next_page(page)
            if after is None:
                return agents

    def list_versions(self, name: str) -> builtins.list[AgentVersion]:
        """Every version of an agent, oldest first (pages are followed).

        Args:
            name: The agent's name.

        Example::

            [v.version for v in client.agents.list_versions("poster-artist")]
        """
        versions: builtins.list[AgentVersion] = []
        after = None
        while True:
            call = core.build_list_versions(self._url(), name, after=after)
            page = self._execute(call, _parser(_VersionList))
            versions.extend(page.data)
            after = core.next_page(page)
            if after is None:
                return versions

    def delete_version(self, name: str, version: str) -> AgentDeletion:
        """Delete one version.

        Args:
            name: The agent's name.
            version: The version to delete.

        Example::

            client.agents.delete_version("poster-artist", "1")
        """
        self._context.agent_cache.forget(name)
        call = core.build_delete_version(self._url(), name, version)
        return self._execute(call, _parser(AgentDeletion))

    def delete(self, name: str) -> AgentDeletion:
        """Delete the agent and all its versions.

        Args:
            name: The agent's name.

        Example::

            client.agents.delete("poster-artist")
        """
        self._context.agent_cache.forget(name)
        return self._execute(core.build_delete_agent(self._url(), name), _parser(AgentDeletion))

    def resolve(self, agent: AgentReference) -> AgentVersion | None:
        """The version a reference points at (the latest when it names none).

        Args:
            agent: A name and, optionally, a version.

        Example::

            client.agents.resolve(AgentReference(name="poster-artist"))
        """
        if agent.version is not None:
            return self.get_version(agent.name, agent.version)
        return (self.get(agent.name)).latest

    @contextlib.contextmanager
    def ephemeral(
        self,
        name: str | None = None,
        *,
        model: str | None = None,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        instructions: str | None = None,
        description: str | None = None,
        endpoint: bool = False,
    ) -> Iterator[AgentVersion]:
        """A version that exists only inside the ``with`` block: deleted on exit, also on error.

        With ``endpoint=True`` the agent endpoint routes to it inside the block; an existing agent's
        endpoint is put back as it was on exit (azure-ai-projects' sample does the same).

        Args:
            name: An existing or new agent to add the version to (only the version is deleted); default:
                a fresh agent, deleted whole.
            model: As for ``create_version``.
            tool: As for ``create_version``.
            instructions: As for ``create_version``.
            description: As for ``create_version``.
            endpoint: Route the agent endpoint to the version inside the block (see above).

        Example::

            with client.agents.ephemeral(model="gpt-5.1", tool=tool) as agent:
                (client.generate("a poster", agent=agent)).save("poster.png")
        """
        fresh = name is None
        saved = None
        if endpoint and not fresh:
            assert name is not None
            with contextlib.suppress(NotFoundError):  # a new agent has no endpoint to put back
                saved = (self.get(name)).agent_endpoint
        version = self.create_version(
            name or core.fresh_agent_name(secrets.token_hex(6)),
            model=model,
            tool=tool,
            instructions=instructions,
            description=description,
            endpoint=endpoint,
        )
        try:
            yield version
        finally:
            if fresh:
                self.delete(version.name)
            else:
                try:
                    if saved is not None:
                        self.set_endpoint(version.name, saved)
                    elif endpoint:
                        self.remove_endpoint(version.name)
                finally:
                    self.delete_version(version.name, version.version)


class Files:
    """The Files API (async); the mirror of ``Files``.

    Example::

        uploaded = client.files.upload("photo.png")
    """

    def __init__(self, context: ResourceContext, execute: Execute) -> None:
        """Made by the client (``client.files``); not meant to be constructed directly.

        Args:
            context: What the resource may use of its client: URLs, defaults, the agent cache.
            execute: The client's send-with-retries.
        """
        self._context = context
        self._execute = execute

    def _upload_call(self, file: ImageInput, *, filename: str | None, purpose: str) -> ApiCall:
        resolved = resolve_image(file, param="file")
        return core.build_upload_image(self._context.base_url, resolved, filename=filename, purpose=purpose)

    def upload(self, file: ImageInput, *, filename: str | None = None, purpose: str = "assistants") -> FileObject:
        """Upload an image (checked locally first). Azure wants ``purpose='assistants'`` for inputs.

        Args:
            file: Bytes, a path or a ``GeneratedImage`` (PNG, JPEG or WebP, at most 50 MiB).
            filename: The name the service stores (default: the path's name, or one made from the format).
            purpose: The Files API purpose.

        Returns:
            The file object; ``FileId(uploaded.id)`` references it as an image input.

        Example::

            FileId((client.files.upload("photo.png")).id)
        """
        call = self._upload_call(file, filename=filename, purpose=purpose)
        return self._execute(call, _parser(FileObject))

    def delete(self, file_id: str) -> AgentDeletion:
        """Delete an uploaded file.

        Args:
            file_id: The file's id (``assistant-...`` or ``file-...``).

        Example::

            client.files.delete("assistant-KaVLJQTiWEvdz8yJQHHkqJ")
        """
        call = core.build_delete_file(self._context.base_url, file_id)
        return self._execute(call, _parser(AgentDeletion))

    def _upload_resolved(self, image: ResolvedImage, *, purpose: str = "assistants") -> ResolvedImage:
        # For the client's upload step: a checked local image becomes a file reference.
        if image.kind != "bytes":
            return image
        call = core.build_upload_image(self._context.base_url, image, filename=None, purpose=purpose)
        uploaded = self._execute(call, _parser(FileObject))
        return image.with_file_id(uploaded.id)
