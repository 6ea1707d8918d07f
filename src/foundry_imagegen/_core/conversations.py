"""Conversations and the state a Responses call carries, without I/O.

What lives here: the Conversations API models and request builders, the checks on ``conversation=``,
``previous_response_id=``, ``background=`` and ``store=`` that run before anything is sent, how ``edit``
continues from an earlier result, and the history rule:

- an earlier turn is continued by ``conversation`` (the service holds the items), else by
  ``previous_response_id`` (a stored response), else by sending the image bytes again as ``input_image``;
- an ``image_generation_call`` item is never sent back: with a conversation or ``previous_response_id`` the
  service already holds it (resending its base64 costs megabytes for nothing), and its ``ig_`` id alone fails
  with reasoning orchestrators (the item needs its ``rs_`` reasoning item) and with ``store=False`` (nothing was
  kept). Without either, an item that still holds its bytes is sent as an ``input_image`` instead;
- a request body over ``MAX_REQUEST_BYTES`` is refused before sending.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from ..exceptions import ConfigurationError
from .calls import ApiCall, InputLike, ResponsesRequest
from .images import sniff_format
from .results import OutputItem

if TYPE_CHECKING:
    from .inputs import ImageInput, PathReader
    from .results import GeneratedImage, GenerationResult, Response
    from .routes import Route

__all__ = [
    "MAX_CONVERSATION_ITEMS",
    "MAX_REQUEST_BYTES",
    "ContinuePlan",
    "Conversation",
    "ConversationDeletion",
    "check_request_size",
    "conversation_id",
    "conversation_of",
    "plan_continue",
    "replay_input",
    "with_state",
]

#: The Conversations API takes at most 20 items per create or add.
MAX_CONVERSATION_ITEMS = 20
#: The largest JSON body this SDK sends (50 MB, the total payload the Responses API documents for image
#: inputs). Bodies near it come from resent histories; the service answers them with 413.
MAX_REQUEST_BYTES = 50_000_000

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


class Conversation(_Lenient):
    """A stored conversation (``conv_...``): pass it, or its ``id``, as ``conversation=``.

    Example::

        conversation = client.conversations.create(metadata={"topic": "posters"})
        client.generate("a poster of a fox", conversation=conversation)
    """

    id: str
    object: str | None = "conversation"
    created_at: float | None = None
    metadata: dict[str, str] | None = None


class ConversationDeletion(_Lenient):
    """What deleting a conversation returns.

    Example::

        client.conversations.delete("conv_123").deleted  # True
    """

    id: str | None = None
    object: str | None = "conversation.deleted"
    deleted: bool = True


class _ItemList(_Lenient):
    data: list[OutputItem] = []
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


def next_items_page(page: _ItemList) -> str | None:
    """The ``after`` cursor of the next page of items, or None after the last."""
    return page.last_id if page.has_more and page.last_id else None


def conversation_id(value: object, *, param: str = "conversation") -> str:
    """The id of a conversation given as a ``Conversation``, a ``{"id": ...}`` mapping or a string."""
    if isinstance(value, Conversation):
        value = value.id
    elif isinstance(value, Mapping):
        value = value.get("id")
    if not isinstance(value, str) or not value.strip() or not _plain(value):
        raise ConfigurationError(
            f"{param}={value!r} is not a conversation id. Fix: pass the id the service returned (conv_...) "
            "or the Conversation from client.conversations.create()"
        )
    return value


def _plain(value: str) -> bool:
    return len(value) <= 256 and all(c.isalnum() or c in "._-" for c in value) and value not in (".", "..")


def conversation_of(response: Response) -> str | None:
    """The conversation a response belongs to, as the service echoes it (``conversation: {id}``)."""
    # A typed field if the model grows one, else the extra field the lenient model keeps.
    echoed = getattr(response, "conversation", None) or (response.model_extra or {}).get("conversation")
    if isinstance(echoed, Mapping):
        echoed = echoed.get("id")
    elif echoed is not None and not isinstance(echoed, str):
        echoed = getattr(echoed, "id", None)
    return echoed if isinstance(echoed, str) and echoed else None


# -- Conversations API builders ---------------------------------------------------------------------------


def _check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping) or any(not isinstance(v, str) for v in metadata.values()):
        raise ConfigurationError(
            f"metadata={metadata!r}: it must map strings to strings. Fix: e.g. metadata={{'topic': 'posters'}}"
        )
    if len(metadata) > 16 or any(len(k) > 64 or len(v) > 512 for k, v in metadata.items()):
        raise ConfigurationError(
            f"metadata has {len(metadata)} pairs; the service allows at most 16, keys up to 64 and values up "
            "to 512 characters. Fix: trim it"
        )
    return dict(metadata)


def conversation_items(items: InputLike, *, param: str = "items") -> list[dict[str, Any]]:
    """Items for a create or add: a string becomes one user message; at most 20 items."""
    from .request import _check_input

    checked = _check_input(items)
    listed = [{"type": "message", "role": "user", "content": checked}] if isinstance(checked, str) else checked
    if len(listed) > MAX_CONVERSATION_ITEMS:
        raise ConfigurationError(
            f"{param} has {len(listed)} items; the service takes at most {MAX_CONVERSATION_ITEMS} per call. Fix: "
            "create with the first 20, then client.conversations.add_items() the rest in batches of 20"
        )
    return [dict(item) for item in replay_input(listed, served_by=None) if isinstance(item, Mapping)]


def build_create(route: Route, *, items: InputLike | None, metadata: Mapping[str, str] | None) -> ApiCall:
    """``POST /conversations`` with optional initial items and metadata."""
    body: dict[str, Any] = {}
    if items is not None:
        body["items"] = conversation_items(items)
    checked = _check_metadata(metadata)
    if checked is not None:
        body["metadata"] = checked
    return route.call("POST", "/conversations", json=body)


def build_get(route: Route, conversation: object) -> ApiCall:
    return route.call("GET", f"/conversations/{conversation_id(conversation)}")


def build_update(route: Route, conversation: object, *, metadata: Mapping[str, str]) -> ApiCall:
    """``POST /conversations/{id}`` replacing the metadata (the only field an update may set)."""
    checked = _check_metadata(metadata)
    if checked is None:
        raise ConfigurationError("metadata=None: an update sets the metadata. Fix: pass a dict, {} to clear it")
    # Same body twice gives the same conversation: safe to resend.
    cid = conversation_id(conversation)
    return route.call("POST", f"/conversations/{cid}", json={"metadata": checked}, idempotent=True)


def build_delete(route: Route, conversation: object) -> ApiCall:
    return route.call("DELETE", f"/conversations/{conversation_id(conversation)}")


def build_add_items(route: Route, conversation: object, items: InputLike) -> ApiCall:
    """``POST /conversations/{id}/items`` (not resent: the items would be added twice)."""
    cid = conversation_id(conversation)
    return route.call("POST", f"/conversations/{cid}/items", json={"items": conversation_items(items)})


def build_list_items(
    route: Route, conversation: object, *, after: str | None = None, order: str = "asc", limit: int = 100
) -> ApiCall:
    """``GET /conversations/{id}/items``, one page."""
    if order not in ("asc", "desc"):
        raise ConfigurationError(f"order={order!r}. Fix: 'asc' (oldest first) or 'desc'")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ConfigurationError(f"limit={limit!r}. Fix: an integer from 1 to 100")
    params = {"order": order, "limit": str(limit)}
    if after:
        params["after"] = after
    return route.call("GET", f"/conversations/{conversation_id(conversation)}/items", params=params)


# -- the state a Responses call carries --------------------------------------------------------------------


def check_state(
    *,
    previous_response_id: str | None,
    conversation: object,
    background: bool,
    store: bool | None,
    route: Route,
) -> tuple[str | None, bool | None]:
    """Check ``conversation``/``previous_response_id``/``background``/``store`` together, before any I/O.

    Returns the conversation id to send and the ``store`` value to send.
    """
    from .routes import check_conversations_supported

    cid = conversation_id(conversation) if conversation is not None else None
    if cid is not None and previous_response_id is not None:
        raise ConfigurationError(
            f"conversation={cid!r} and previous_response_id={previous_response_id!r} were both given; the service "
            "takes one (the conversation already holds the earlier turns). Fix: drop previous_response_id, or "
            "drop conversation to branch off that response"
        )
    if cid is not None:
        check_conversations_supported(route, "conversation=")
    if not isinstance(background, bool):
        raise ConfigurationError(f"background={background!r}. Fix: True or False")
    if background:
        if store is False:
            raise ConfigurationError(
                "background=True with store=False: a background generation is polled as a stored response, so "
                "Azure requires store=True. Fix: drop store=False (background calls store by default)"
            )
        store = True
    return cid, store


def with_state(request: ResponsesRequest, *, conversation: str | None, background: bool) -> ResponsesRequest:
    """The request with ``conversation`` and ``background`` in its body."""
    if conversation is None and not background:
        return request
    body = dict(request.json)
    if conversation is not None:
        body["conversation"] = conversation
    if background:
        body["background"] = True
    return ResponsesRequest(request.method, request.path, headers=request.headers, json=body)


def check_request_size(size: int) -> None:
    """Refuse a JSON body over ``MAX_REQUEST_BYTES`` before it is sent."""
    if size > MAX_REQUEST_BYTES:
        raise ConfigurationError(
            f"the request body is {size / 1e6:.1f} MB, over the {MAX_REQUEST_BYTES / 1e6:.0f} MB this SDK sends "
            "(larger bodies get HTTP 413). Fix: continue earlier turns with conversation= or previous_response_id= "
            "instead of resending their images, pass big input images with upload_images=True, or shrink them"
        )


def _as_input_image(item: Mapping[str, Any], index: int) -> dict[str, Any]:
    encoded = item["result"]
    try:
        head = base64.b64decode(encoded[:24], validate=True)
    except (binascii.Error, ValueError, TypeError):
        head = b""
    fmt = sniff_format(head)
    if fmt is None:
        raise ConfigurationError(
            f"input[{index}] is an image_generation_call whose result is not a PNG, JPEG or WebP in base64. Fix: "
            "pass the image as an input image (images=[...]) instead"
        )
    part = {"type": "input_image", "image_url": f"data:{_MIME[fmt]};base64,{encoded}", "detail": "auto"}
    return {"role": "user", "content": [part]}


def replay_input(input: InputLike, *, served_by: str | None) -> InputLike:
    """Apply the history rule to caller-built input items (see the module docstring).

    ``served_by`` names what already gives the service the earlier turns (``"conversation"`` or
    ``"previous_response_id"``), or is None.

    Example::

        replay_input([earlier_image_call, {"role": "user", "content": "now at night"}], served_by=None)
    """
    if isinstance(input, str) or not isinstance(input, Sequence):
        return input
    out: list[Any] = []
    for index, item in enumerate(input):
        if not (isinstance(item, Mapping) and item.get("type") == "image_generation_call"):
            out.append(item)
            continue
        if served_by is not None:
            raise ConfigurationError(
                f"input[{index}] is an earlier image_generation_call ({item.get('id')!r}), but {served_by}= already "
                "gives the service that turn; resending it costs megabytes and can fail. Fix: leave earlier turns "
                "out of input and send only the new message"
            )
        if not item.get("result"):
            raise ConfigurationError(
                f"input[{index}] replays image {item.get('id')!r} by id alone, which fails with reasoning "
                "orchestrators (the item needs its reasoning item) and with store=False (nothing was kept). Fix: "
                "pass previous_response_id=<the response id> or conversation=, or the image itself with images=[...]"
            )
        out.append(_as_input_image(item, index))
    return out


# -- how edit continues ------------------------------------------------------------------------------------

Via = Literal["conversation", "previous_response_id", "input_image"]


@dataclass(frozen=True)
class ContinuePlan:
    """How ``edit`` goes on from ``previous``: in its conversation, by response id, or with its image again."""

    via: Via
    conversation: str | None = None
    previous_response_id: str | None = None
    image: ImageInput | None = None


def plan_continue(
    previous: object,
    *,
    via: str = "auto",
    conversation: object = None,
    mask: ImageInput | None = None,
    read_path: PathReader | None = None,
) -> ContinuePlan:
    """Decide how an edit continues (pure): the conversation first, then a stored response, then the bytes.

    A result that belongs to a conversation is continued there (``edited_via="conversation"``): the service
    holds the image, nothing is resent. ``conversation=`` adds the edit to that conversation; an earlier result
    from elsewhere then goes in as an input image.

    Example::

        plan_continue(result).via  # 'conversation' when result.conversation_id is set
    """
    from .inputs import check_mask, plan_edit, resolve_image
    from .results import GenerationResult

    if via not in ("auto", "conversation", "previous_response_id", "input_image"):
        raise ConfigurationError(f"via={via!r}. Fix: 'auto', 'conversation', 'previous_response_id' or 'input_image'")
    explicit = conversation_id(conversation) if conversation is not None else None
    own = previous.conversation_id if isinstance(previous, GenerationResult) else None
    if explicit is not None and own is not None and explicit != own:
        raise ConfigurationError(
            f"previous belongs to conversation {own!r}, but conversation={explicit!r} was given. Fix: drop "
            "conversation= to continue where previous was made, or pass previous's image instead of the result"
        )
    if explicit is not None and via == "previous_response_id":
        raise ConfigurationError(
            f"via='previous_response_id' with conversation={explicit!r}: the service takes one of the two. Fix: "
            "via='conversation' (or 'auto'), or drop conversation="
        )
    if own is not None and via in ("auto", "conversation"):
        base = previous.images[0] if isinstance(previous, GenerationResult) and previous.images else None
        if mask is not None and base is not None:
            check_mask(resolve_image(mask, param="mask", read_path=read_path), resolve_image(base))
        return ContinuePlan("conversation", conversation=own)
    if via == "conversation" and explicit is None:
        raise ConfigurationError(
            "via='conversation' but previous belongs to no conversation. Fix: pass conversation=, or use "
            "via='auto' to continue by response id or by the image"
        )
    if explicit is not None:
        # The conversation does not hold previous: its image goes in, inside the conversation.
        inner = plan_edit(previous, via="input_image", mask=mask, read_path=read_path)
        return ContinuePlan("input_image", conversation=explicit, image=inner.image)
    inner = plan_edit(previous, via=via, mask=mask, read_path=read_path)
    return ContinuePlan(inner.via, previous_response_id=inner.previous_response_id, image=inner.image)


def keep_known_bytes(response: Response, known: Sequence[GeneratedImage]) -> dict[str, GeneratedImage]:
    """The images ``known`` already holds for the calls of ``response`` (stored copies come back without bytes)."""
    by_id = {image.id: image for image in known if not image.is_partial}
    return {call.id: by_id[call.id] for call in response.image_calls if not call.result and call.id in by_id}


def result_with(result: GenerationResult, *, conversation: str | None) -> GenerationResult:
    """``result`` marked as part of ``conversation`` when the service did not echo it."""
    import dataclasses

    if conversation is None or result.conversation_id == conversation:
        return result
    response = result.response.model_copy(update={"conversation": {"id": conversation}})
    return dataclasses.replace(result, response=response)
