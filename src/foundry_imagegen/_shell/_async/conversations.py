"""``client.conversations``: one line of I/O per operation over the core's builders."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from ..._core import conversations as core
from ..._core.calls import InputLike
from ..._core.conversations import Conversation, ConversationDeletion, _ItemList
from ..._core.results import ImageGenerationCall, MessageItem, UnknownOutputItem
from ..._core.routes import Route, agent_endpoint_route, check_conversations_supported, default_route
from ..base import model_parser as _parser

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..base import ResourceContext
    from .resources import AsyncExecute

__all__ = ["AsyncConversations"]

#: What a conversation holds: messages, image generation calls, and items of other types.
ConversationItem = ImageGenerationCall | MessageItem | UnknownOutputItem


class AsyncConversations:
    """Conversations of a Foundry project: the service keeps the turns, ``conversation=`` continues them.

    Not available on a plain Azure OpenAI resource: calls there are refused before anything is sent.

    Example::

        conversation = await client.conversations.create(metadata={"topic": "posters"})
        first = await client.generate("a poster of a fox", conversation=conversation)
        second = await client.edit(first, "make it night")  # continues in the conversation
    """

    def __init__(self, context: ResourceContext, execute: AsyncExecute, *, agent: str | None = None) -> None:
        self._context = context
        self._execute = execute
        self._agent = agent

    def _routed(self) -> Route:
        endpoint = self._context.endpoint
        assert endpoint is not None
        route = default_route(endpoint) if self._agent is None else agent_endpoint_route(endpoint, self._agent)
        check_conversations_supported(route, "client.conversations")
        return route

    def for_agent(self, agent: str) -> AsyncConversations:
        """The conversations of an agent endpoint (``/agents/{name}/endpoint/protocols/openai/conversations``).

        Use these with ``agent_endpoint=True`` calls; the project's own are for ``agent_reference`` calls.

        Example::

            conversation = await client.conversations.for_agent("poster-artist").create()
        """
        scoped = AsyncConversations(self._context, self._execute, agent=agent)
        scoped._routed()  # a bad name or a non-project endpoint is reported here
        return scoped

    async def create(
        self, items: InputLike | None = None, *, metadata: Mapping[str, str] | None = None
    ) -> Conversation:
        """Create a conversation, optionally with up to 20 first items (a string is one user message).

        Example::

            conversation = await client.conversations.create("Posters for a fox-themed cafe", metadata={"k": "v"})
        """
        call = core.build_create(self._routed(), items=items, metadata=metadata)
        return await self._execute(call, _parser(Conversation))

    async def get(self, conversation: str | Conversation) -> Conversation:
        """One conversation.

        Example::

            (await client.conversations.get("conv_123")).metadata
        """
        return await self._execute(core.build_get(self._routed(), conversation), _parser(Conversation))

    async def update(self, conversation: str | Conversation, *, metadata: Mapping[str, str]) -> Conversation:
        """Replace a conversation's metadata (the only thing an update changes).

        Example::

            await client.conversations.update("conv_123", metadata={"topic": "menus"})
        """
        call = core.build_update(self._routed(), conversation, metadata=metadata)
        return await self._execute(call, _parser(Conversation))

    async def delete(self, conversation: str | Conversation) -> ConversationDeletion:
        """Delete a conversation and its items.

        Example::

            await client.conversations.delete("conv_123")
        """
        return await self._execute(core.build_delete(self._routed(), conversation), _parser(ConversationDeletion))

    async def add_items(self, conversation: str | Conversation, items: InputLike) -> builtins.list[ConversationItem]:
        """Append up to 20 items (a string is one user message); returns them as stored.

        Example::

            await client.conversations.add_items("conv_123", "Keep the palette warm.")
        """
        call = core.build_add_items(self._routed(), conversation, items)
        page = await self._execute(call, _parser(_ItemList))
        return builtins.list(page.data)

    async def list_items(
        self, conversation: str | Conversation, *, order: str = "asc"
    ) -> builtins.list[ConversationItem]:
        """Every item, oldest first by default (pages are followed). Stored images may have no bytes.

        Example::

            [item.type for item in await client.conversations.list_items("conv_123")]
        """
        items: builtins.list[ConversationItem] = []
        after = None
        while True:
            call = core.build_list_items(self._routed(), conversation, after=after, order=order)
            page = await self._execute(call, _parser(_ItemList))
            items.extend(page.data)
            after = core.next_items_page(page)
            if after is None:
                return items
