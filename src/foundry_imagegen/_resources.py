"""``client.agents`` and ``client.files``: one line of I/O per operation over the core's builders."""

from __future__ import annotations

import builtins
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel

from . import _agents as core
from ._agents import Agent, AgentDeletion, AgentReference, AgentVersion, FileObject, _AgentList, _VersionList
from ._inputs import ImageInput, ResolvedImage, resolve_image
from ._parse import parse_model
from ._request import ApiCall
from ._tool import ImageGenerationTool
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._async_client import AsyncFoundryClient
    from ._client import FoundryClient

__all__ = ["Agents", "AsyncAgents", "AsyncFiles", "Files"]

M = TypeVar("M", bound=BaseModel)
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def _parser(model: type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: parse_model(response.status_code, response.headers, response.content, model)


class _AgentsBase:
    def __init__(self, client: FoundryClient | AsyncFoundryClient) -> None:
        self._base = client

    def _url(self) -> str:
        return self._base._project_url("client.agents")

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
        resolved = ImageGenerationTool.coerce(tool).with_defaults(deployment=self._base.image_deployment)
        return core.build_create_version(
            self._url(),
            name,
            model=model or self._base.model or "",
            tool=resolved,
            instructions=instructions,
            description=description,
            metadata=metadata,
        )

    @staticmethod
    def _fresh_name() -> str:
        return f"imagegen-{secrets.token_hex(6)}"


class Agents(_AgentsBase):
    """Prompt agents of a Foundry project (sync). Reach it as ``client.agents``.

    Example::

        tool = ImageGenerationTool(deployment="gpt-image-1", quality="low")
        version = client.agents.create_version("poster-artist", model="gpt-4.1", tool=tool)
        client.generate("a jazz festival poster", agent=version)
        client.agents.delete_version("poster-artist", version.version)
    """

    _base: FoundryClient

    def create_version(
        self,
        name: str,
        *,
        model: str | None = None,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        instructions: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> AgentVersion:
        """Create a new version of agent ``name`` (the agent too, if new) holding the image tool.

        Example::

            version = client.agents.create_version("poster-artist", model="gpt-4.1", tool=tool)
        """
        call = self._create_call(
            name,
            model=model,
            tool=tool,
            instructions=instructions,
            description=description,
            metadata=metadata,
        )
        self._base._forget_agent(name)
        return self._base._execute(call, _parser(AgentVersion))

    def get(self, name: str) -> Agent:
        """The agent with its latest version.

        Example::

            client.agents.get("poster-artist").latest.version
        """
        return self._base._execute(core.build_get_agent(self._url(), name), _parser(Agent))

    def get_version(self, name: str, version: str) -> AgentVersion:
        """One version of an agent.

        Example::

            client.agents.get_version("poster-artist", "2").image_tool
        """
        return self._base._execute(core.build_get_version(self._url(), name, version), _parser(AgentVersion))

    def list(self) -> builtins.list[Agent]:
        """Every agent of the project, oldest first (pages are followed).

        Example::

            [agent.name for agent in client.agents.list()]
        """
        agents: builtins.list[Agent] = []
        after = None
        while True:
            page = self._base._execute(core.build_list_agents(self._url(), after=after), _parser(_AgentList))
            agents.extend(page.data)
            after = core.next_page(page)
            if after is None:
                return agents

    def list_versions(self, name: str) -> builtins.list[AgentVersion]:
        """Every version of an agent, oldest first (pages are followed).

        Example::

            [v.version for v in client.agents.list_versions("poster-artist")]
        """
        versions: builtins.list[AgentVersion] = []
        after = None
        while True:
            page = self._base._execute(core.build_list_versions(self._url(), name, after=after), _parser(_VersionList))
            versions.extend(page.data)
            after = core.next_page(page)
            if after is None:
                return versions

    def delete_version(self, name: str, version: str) -> AgentDeletion:
        """Delete one version.

        Example::

            client.agents.delete_version("poster-artist", "1").deleted
        """
        self._base._forget_agent(name)
        return self._base._execute(core.build_delete_version(self._url(), name, version), _parser(AgentDeletion))

    def delete(self, name: str) -> AgentDeletion:
        """Delete the agent and all its versions.

        Example::

            client.agents.delete("poster-artist")
        """
        self._base._forget_agent(name)
        return self._base._execute(core.build_delete_agent(self._url(), name), _parser(AgentDeletion))

    def resolve(self, agent: AgentReference) -> AgentVersion | None:
        """The version a reference points at (the latest when it names none).

        Example::

            client.agents.resolve(AgentReference(name="poster-artist")).version
        """
        if agent.version is not None:
            return self.get_version(agent.name, agent.version)
        return self.get(agent.name).latest

    @contextlib.contextmanager
    def ephemeral(
        self,
        name: str | None = None,
        *,
        model: str | None = None,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        instructions: str | None = None,
        description: str | None = None,
    ) -> Iterator[AgentVersion]:
        """A version that exists only inside the ``with`` block: deleted on exit, also on error.

        Without ``name`` a fresh agent is created and deleted whole.

        Example::

            with client.agents.ephemeral(model="gpt-4.1", tool=tool) as agent:
                client.generate("a poster", agent=agent).save("poster.png")
        """
        fresh = name is None
        version = self.create_version(
            name or self._fresh_name(),
            model=model,
            tool=tool,
            instructions=instructions,
            description=description,
        )
        try:
            yield version
        finally:
            if fresh:
                self.delete(version.name)
            else:
                self.delete_version(version.name, version.version)


class AsyncAgents(_AgentsBase):
    """Prompt agents of a Foundry project (async); the mirror of ``Agents``.

    Example::

        version = await client.agents.create_version("poster-artist", model="gpt-4.1", tool=tool)
    """

    _base: AsyncFoundryClient

    async def create_version(
        self,
        name: str,
        *,
        model: str | None = None,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        instructions: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> AgentVersion:
        """Create a new version of agent ``name`` (the agent too, if new) holding the image tool.

        Example::

            version = await client.agents.create_version("poster-artist", model="gpt-4.1", tool=tool)
        """
        call = self._create_call(
            name,
            model=model,
            tool=tool,
            instructions=instructions,
            description=description,
            metadata=metadata,
        )
        self._base._forget_agent(name)
        return await self._base._execute(call, _parser(AgentVersion))

    async def get(self, name: str) -> Agent:
        """The agent with its latest version.

        Example::

            (await client.agents.get("poster-artist")).latest
        """
        return await self._base._execute(core.build_get_agent(self._url(), name), _parser(Agent))

    async def get_version(self, name: str, version: str) -> AgentVersion:
        """One version of an agent.

        Example::

            (await client.agents.get_version("poster-artist", "2")).image_tool
        """
        return await self._base._execute(core.build_get_version(self._url(), name, version), _parser(AgentVersion))

    async def list(self) -> builtins.list[Agent]:
        """Every agent of the project, oldest first (pages are followed).

        Example::

            [agent.name for agent in await client.agents.list()]
        """
        agents: builtins.list[Agent] = []
        after = None
        while True:
            page = await self._base._execute(core.build_list_agents(self._url(), after=after), _parser(_AgentList))
            agents.extend(page.data)
            after = core.next_page(page)
            if after is None:
                return agents

    async def list_versions(self, name: str) -> builtins.list[AgentVersion]:
        """Every version of an agent, oldest first (pages are followed).

        Example::

            [v.version for v in await client.agents.list_versions("poster-artist")]
        """
        versions: builtins.list[AgentVersion] = []
        after = None
        while True:
            call = core.build_list_versions(self._url(), name, after=after)
            page = await self._base._execute(call, _parser(_VersionList))
            versions.extend(page.data)
            after = core.next_page(page)
            if after is None:
                return versions

    async def delete_version(self, name: str, version: str) -> AgentDeletion:
        """Delete one version.

        Example::

            await client.agents.delete_version("poster-artist", "1")
        """
        self._base._forget_agent(name)
        call = core.build_delete_version(self._url(), name, version)
        return await self._base._execute(call, _parser(AgentDeletion))

    async def delete(self, name: str) -> AgentDeletion:
        """Delete the agent and all its versions.

        Example::

            await client.agents.delete("poster-artist")
        """
        self._base._forget_agent(name)
        return await self._base._execute(core.build_delete_agent(self._url(), name), _parser(AgentDeletion))

    async def resolve(self, agent: AgentReference) -> AgentVersion | None:
        """The version a reference points at (the latest when it names none).

        Example::

            await client.agents.resolve(AgentReference(name="poster-artist"))
        """
        if agent.version is not None:
            return await self.get_version(agent.name, agent.version)
        return (await self.get(agent.name)).latest

    @contextlib.asynccontextmanager
    async def ephemeral(
        self,
        name: str | None = None,
        *,
        model: str | None = None,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        instructions: str | None = None,
        description: str | None = None,
    ) -> AsyncIterator[AgentVersion]:
        """A version that exists only inside the ``async with`` block: deleted on exit, also on error.

        Example::

            async with client.agents.ephemeral(model="gpt-4.1", tool=tool) as agent:
                (await client.generate("a poster", agent=agent)).save("poster.png")
        """
        fresh = name is None
        version = await self.create_version(
            name or self._fresh_name(),
            model=model,
            tool=tool,
            instructions=instructions,
            description=description,
        )
        try:
            yield version
        finally:
            if fresh:
                await self.delete(version.name)
            else:
                await self.delete_version(version.name, version.version)


class _FilesBase:
    def __init__(self, client: FoundryClient | AsyncFoundryClient) -> None:
        self._base = client

    def _upload_call(self, file: ImageInput | str | os.PathLike[str], *, filename: str | None, purpose: str) -> ApiCall:
        resolved = resolve_image(file, param="file")
        return self._resolved_call(resolved, filename=filename, purpose=purpose)

    def _resolved_call(self, resolved: ResolvedImage, *, filename: str | None, purpose: str) -> ApiCall:
        if resolved.data is None or resolved.format is None:
            raise ConfigurationError(
                f"file={resolved.name!r} is a {resolved.kind.replace('_', ' ')}, not local bytes. Fix: upload bytes "
                "or a path; a URL or FileId can be used as an input image directly"
            )
        name = filename or (Path(resolved.name).name if "." in resolved.name else f"image.{resolved.format}")
        return core.build_upload(
            self._base.base_url, resolved.data, filename=name, mime=_MIME[resolved.format], purpose=purpose
        )


class Files(_FilesBase):
    """The Files API (sync), for images referenced by id. Reach it as ``client.files``.

    Example::

        uploaded = client.files.upload("photo.png")
        client.edit(FileId(uploaded.id), "make it night")
    """

    _base: FoundryClient

    def upload(self, file: ImageInput, *, filename: str | None = None, purpose: str = "assistants") -> FileObject:
        """Upload an image (checked locally first). Azure wants ``purpose='assistants'`` for inputs.

        Example::

            FileId(client.files.upload("photo.png").id)
        """
        return self._base._execute(self._upload_call(file, filename=filename, purpose=purpose), _parser(FileObject))

    def delete(self, file_id: str) -> AgentDeletion:
        """Delete an uploaded file.

        Example::

            client.files.delete("assistant-KaVLJQTiWEvdz8yJQHHkqJ")
        """
        return self._base._execute(core.build_delete_file(self._base.base_url, file_id), _parser(AgentDeletion))

    def upload_resolved(self, image: ResolvedImage, *, purpose: str = "assistants") -> ResolvedImage:
        """Upload a local image and return it as a file reference (URLs and ids pass through).

        Example::

            client.files.upload_resolved(resolve_image("photo.png")).file_id
        """
        if image.kind != "bytes":
            return image
        uploaded = self._base._execute(self._resolved_call(image, filename=None, purpose=purpose), _parser(FileObject))
        return image.with_file_id(uploaded.id)


class AsyncFiles(_FilesBase):
    """The Files API (async); the mirror of ``Files``.

    Example::

        uploaded = await client.files.upload("photo.png")
    """

    _base: AsyncFoundryClient

    async def upload(self, file: ImageInput, *, filename: str | None = None, purpose: str = "assistants") -> FileObject:
        """Upload an image (checked locally first). Azure wants ``purpose='assistants'`` for inputs.

        Example::

            FileId((await client.files.upload("photo.png")).id)
        """
        call = self._upload_call(file, filename=filename, purpose=purpose)
        return await self._base._execute(call, _parser(FileObject))

    async def delete(self, file_id: str) -> AgentDeletion:
        """Delete an uploaded file.

        Example::

            await client.files.delete("assistant-KaVLJQTiWEvdz8yJQHHkqJ")
        """
        call = core.build_delete_file(self._base.base_url, file_id)
        return await self._base._execute(call, _parser(AgentDeletion))

    async def upload_resolved(self, image: ResolvedImage, *, purpose: str = "assistants") -> ResolvedImage:
        """Upload a local image and return it as a file reference (URLs and ids pass through).

        Example::

            (await client.files.upload_resolved(resolve_image("photo.png"))).file_id
        """
        if image.kind != "bytes":
            return image
        call = self._resolved_call(image, filename=None, purpose=purpose)
        uploaded = await self._base._execute(call, _parser(FileObject))
        return image.with_file_id(uploaded.id)
