"""The Conversations API (project endpoints only): conversations, their items, and the turn history.

A Responses call with ``conversation`` reads the conversation's items before its own input and, once
it has completed, appends its input and output items, as the service does. Image results are not
kept in the stored items (``result`` is ``null``, like a stored response); an edit in a later turn
finds the picture by the ``ig_`` id while the emulator still holds it.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._agents import paginate
from ._clock import Clock
from ._errors import ApiError, openai_error
from ._http import JsonReply, Reply, Request, Route
from ._wire import new_id

__all__ = ["MAX_CONVERSATIONS", "MAX_ITEMS", "ConversationStore", "conversation_routes", "normalise_items"]

MAX_CONVERSATIONS = 1000
MAX_ITEMS = 2000
MAX_ITEMS_PER_CALL = 20
_ROLES = ("user", "assistant", "system", "developer")
_ID_PREFIX = {"message": "msg", "image_generation_call": "ig", "reasoning": "rs"}


def _bad(message: str, param: str | None, code: str = "invalid_value") -> ApiError:
    return openai_error(400, message, "invalid_request_error", param, code)


def _text_part(role: str, text: str) -> dict[str, Any]:
    if role == "assistant":
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {"type": "input_text", "text": text}


def normalise_items(value: Any, param: str) -> list[dict[str, Any]]:
    """Input items as the conversation stores them: ids added, string content turned into parts.

    :param value: a Responses ``input`` (string or list) or an ``items`` array.
    :param param: the field name used in error messages.
    """
    if value is None:
        return []
    if isinstance(value, str):
        value = [{"type": "message", "role": "user", "content": value}]
    if not isinstance(value, list):
        raise _bad(f"Invalid type for '{param}': expected an array of items.", param, "invalid_type")
    items: list[dict[str, Any]] = []
    for i, raw in enumerate(value):
        where = f"{param}[{i}]"
        if not isinstance(raw, dict):
            raise _bad(f"Invalid type for '{where}': expected an object.", where, "invalid_type")
        item = copy.deepcopy(raw)
        kind = item.setdefault("type", "message")
        if not isinstance(kind, str):
            raise _bad(f"Invalid type for '{where}.type': expected a string.", f"{where}.type", "invalid_type")
        if kind == "message":
            role = item.get("role")
            if role not in _ROLES:
                quoted = ", ".join(f"'{r}'" for r in _ROLES)
                raise _bad(f"Invalid value: '{role}'. Supported values are: {quoted}.", f"{where}.role")
            content = item.get("content")
            if isinstance(content, str):
                item["content"] = [_text_part(role, content)]
            elif not isinstance(content, list):
                raise _bad(
                    f"Missing required parameter: '{where}.content'.", f"{where}.content", "missing_required_parameter"
                )
            item.setdefault("status", "completed")
        if kind != "item_reference":
            item.setdefault("id", new_id(_ID_PREFIX.get(kind, "item")))
        items.append(item)
    return items


def _stored_output(item: dict[str, Any]) -> dict[str, Any]:
    kept = copy.deepcopy(item)
    if kept.get("type") == "image_generation_call":
        kept["result"] = None
    return kept


@dataclass
class _Conversation:
    id: str
    created_at: int
    metadata: dict[str, str]
    items: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "object": "conversation", "created_at": self.created_at, "metadata": self.metadata}


def _check_metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 16:
        raise _bad("Invalid 'metadata': expected an object with at most 16 pairs.", "metadata")
    for k, v in value.items():
        if not isinstance(v, str) or len(k) > 64 or len(v) > 512:
            raise _bad("Invalid 'metadata': keys are at most 64 characters, values strings of at most 512.", "metadata")
    return dict(value)


class ConversationStore:
    """Conversations by id, bounded to :data:`MAX_CONVERSATIONS` (oldest dropped) and :data:`MAX_ITEMS` each.

    :param clock: the emulator clock, for ``created_at``.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()

    @staticmethod
    def not_found(conversation_id: str, param: str | None = None) -> ApiError:
        return openai_error(
            404, f"Conversation with id '{conversation_id}' not found.", "invalid_request_error", param, "not_found"
        )

    def _get(self, conversation_id: str) -> _Conversation:
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            raise self.not_found(conversation_id)
        return conversation

    @staticmethod
    def _items_of(body: Any, *, required: bool) -> list[dict[str, Any]]:
        items = body.get("items") if isinstance(body, dict) else None
        if items is None and required:
            raise _bad("Missing required parameter: 'items'.", "items", "missing_required_parameter")
        normalised = normalise_items(items, "items") if items is not None else []
        if len(normalised) > MAX_ITEMS_PER_CALL:
            raise _bad(
                f"Invalid 'items': array too long. Expected an array with maximum length {MAX_ITEMS_PER_CALL}, "
                f"but got an array with length {len(normalised)} instead.",
                "items",
                "array_above_max_length",
            )
        return normalised

    def create(self, body: Any) -> dict[str, Any]:
        """``POST /conversations`` with optional ``items`` (≤20) and ``metadata`` (≤16 pairs)."""
        if body is not None and not isinstance(body, dict):
            raise _bad("The request body must be a JSON object.", None)
        items = self._items_of(body, required=False)
        metadata = _check_metadata(body.get("metadata") if body else None)
        conversation = _Conversation(new_id("conv"), int(self.clock.now()), metadata, items)
        with self._lock:
            self._conversations[conversation.id] = conversation
            while len(self._conversations) > MAX_CONVERSATIONS:
                self._conversations.popitem(last=False)
            return conversation.as_json()

    def get(self, conversation_id: str) -> dict[str, Any]:
        with self._lock:
            return self._get(conversation_id).as_json()

    def update(self, conversation_id: str, body: Any) -> dict[str, Any]:
        """``POST /conversations/{id}``: replace the metadata (required)."""
        if not isinstance(body, dict) or "metadata" not in body:
            raise _bad("Missing required parameter: 'metadata'.", "metadata", "missing_required_parameter")
        metadata = _check_metadata(body["metadata"])
        with self._lock:
            conversation = self._get(conversation_id)
            conversation.metadata = metadata
            return conversation.as_json()

    def delete(self, conversation_id: str) -> dict[str, Any]:
        with self._lock:
            if self._conversations.pop(conversation_id, None) is None:
                raise self.not_found(conversation_id)
        return {"id": conversation_id, "object": "conversation.deleted", "deleted": True}

    def add_items(self, conversation_id: str, body: Any) -> dict[str, Any]:
        """``POST /conversations/{id}/items``: append ``items`` (≤20); returns them as a list."""
        items = self._items_of(body, required=True)
        with self._lock:
            self._append(self._get(conversation_id), items)
        return _list(items)

    def list_items(self, conversation_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        """``GET /conversations/{id}/items`` with ``after``, ``limit`` (1–100, 20) and ``order`` (``desc``)."""
        with self._lock:
            items = list(self._get(conversation_id).items)
        return paginate(items, {k: v for k, v in query.items() if k != "before"})

    def get_item(self, conversation_id: str, item_id: str) -> dict[str, Any]:
        with self._lock:
            for item in self._get(conversation_id).items:
                if item.get("id") == item_id:
                    return item
        raise self._item_not_found(item_id)

    def delete_item(self, conversation_id: str, item_id: str) -> dict[str, Any]:
        """``DELETE /conversations/{id}/items/{item_id}``: returns the conversation."""
        with self._lock:
            conversation = self._get(conversation_id)
            kept = [i for i in conversation.items if i.get("id") != item_id]
            if len(kept) == len(conversation.items):
                raise self._item_not_found(item_id)
            conversation.items = kept
            return conversation.as_json()

    @staticmethod
    def _item_not_found(item_id: str) -> ApiError:
        return openai_error(404, f"Item with id '{item_id}' not found.", "invalid_request_error", None, "not_found")

    @staticmethod
    def _append(conversation: _Conversation, items: list[dict[str, Any]]) -> None:
        conversation.items.extend(items)
        if len(conversation.items) > MAX_ITEMS:
            del conversation.items[: len(conversation.items) - MAX_ITEMS]

    # ------------------------------------------------------------------ for the Responses API

    def history(self, conversation_id: str) -> list[dict[str, Any]]:
        """The items a Responses call with this conversation reads first (a copy)."""
        with self._lock:
            return copy.deepcopy(self._get(conversation_id).items)

    def record_turn(self, conversation_id: str, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> None:
        """Append a completed turn's input and output items (image results dropped); a deleted one is skipped."""
        with self._lock:
            conversation = self._conversations.get(conversation_id)
            if conversation is not None:
                self._append(conversation, [*inputs, *(_stored_output(o) for o in outputs)])


def _list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "first_id": items[0].get("id") if items else None,
        "last_id": items[-1].get("id") if items else None,
        "has_more": False,
    }


def _json_body(req: Request) -> Any:
    try:
        return json.loads(req.body) if req.body else None
    except ValueError:
        raise _bad("We could not parse the JSON body of your request.", None, "invalid_json") from None


def conversation_routes(conversations: ConversationStore, prefix: str = r"/openai(?:/v1)?") -> list[Route]:
    """The Conversations area's route table entries (project paths, after the project prefix).

    :param conversations: the store the handlers read and write.
    :param prefix: the path before ``/conversations``.
    """
    base = rf"{prefix}/conversations"
    one = rf"{base}/([^/]+)"

    def ok(value: dict[str, Any]) -> Reply:
        return JsonReply(200, value)

    def create(req: Request, _m: re.Match[str]) -> Reply:
        return ok(conversations.create(_json_body(req)))

    return [
        Route.of("POST", base, create),
        Route.of("GET", one, lambda _req, m: ok(conversations.get(m.group(1)))),
        Route.of("POST", one, lambda req, m: ok(conversations.update(m.group(1), _json_body(req)))),
        Route.of("DELETE", one, lambda _req, m: ok(conversations.delete(m.group(1)))),
        Route.of("GET", rf"{one}/items", lambda req, m: ok(conversations.list_items(m.group(1), req.query))),
        Route.of("POST", rf"{one}/items", lambda req, m: ok(conversations.add_items(m.group(1), _json_body(req)))),
        Route.of("GET", rf"{one}/items/([^/]+)", lambda _req, m: ok(conversations.get_item(m.group(1), m.group(2)))),
        Route.of(
            "DELETE", rf"{one}/items/([^/]+)", lambda _req, m: ok(conversations.delete_item(m.group(1), m.group(2)))
        ),
    ]
