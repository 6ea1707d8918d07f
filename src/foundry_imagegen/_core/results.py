"""Typed views of what the service returns. Lenient: unknown fields and item types are kept, never fatal."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from .images import MIME_TYPES, ImageFormat, image_dimensions
from .ratelimit import HttpInfo, RateLimit

if TYPE_CHECKING:
    import os
    from pathlib import Path

#: A file path as ``open`` takes it (a string, so that ``os`` is imported only by type checkers).
StrPath: TypeAlias = "str | os.PathLike[str]"

__all__ = [
    "GeneratedImage",
    "GenerationResult",
    "ImageCallError",
    "ImageFormatWarning",
    "ImageGenerationCall",
    "ImageUsage",
    "ImageUsageDetails",
    "MessageItem",
    "ModerationDetails",
    "Response",
    "ResponseError",
    "SvgUsage",
    "ToolUsage",
    "UnknownOutputItem",
    "Usage",
]


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # A malformed optional extra (usage, error details) must not cost the caller the image.
    try:
        return handler(value)
    except ValidationError:
        return None


T = TypeVar("T")
#: An optional field that becomes None, rather than failing the whole response, when malformed.
Lenient = Annotated[T | None, WrapValidator(_or_none)]


class _Lenient(BaseModel):
    # New server fields must not break old clients; they stay reachable through model_extra.
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


class ResponseError(_Lenient):
    """``response.error`` of a failed response."""

    code: str | None = None
    message: str = ""


class IncompleteDetails(_Lenient):
    """Why a response ended ``incomplete`` (``max_output_tokens`` or ``content_filter``)."""

    reason: str | None = None


class OutputText(_Lenient):
    """A text part of an assistant message."""

    type: Literal["output_text"]
    text: str = ""


class Refusal(_Lenient):
    """A refusal part of an assistant message."""

    type: Literal["refusal"]
    refusal: str = ""


class UnknownContent(_Lenient):
    """A content part of a type this version does not know."""

    type: str


def _type_tag(known: frozenset[str]) -> Any:
    def tag(value: Any) -> str | None:
        kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        if not isinstance(kind, str):
            return None
        return kind if kind in known else "unknown"

    return tag


ContentPart = Annotated[
    Annotated[OutputText, Tag("output_text")]
    | Annotated[Refusal, Tag("refusal")]
    | Annotated[UnknownContent, Tag("unknown")],
    Discriminator(_type_tag(frozenset({"output_text", "refusal"}))),
]


class MessageItem(_Lenient):
    """An assistant message in ``output``."""

    type: Literal["message"]
    id: str | None = None
    role: str | None = None
    status: str | None = None
    content: list[ContentPart] = []

    @property
    def text(self) -> str:
        """The message's text parts (and refusals), joined."""
        parts = []
        for part in self.content:
            if isinstance(part, OutputText):
                parts.append(part.text)
            elif isinstance(part, Refusal):
                parts.append(part.refusal)
        return "".join(parts)


class ModerationDetails(_Lenient):
    """Why moderation blocked an image call.

    Fields:
        categories: the categories that fired (an open set of names).
        moderation_stage: ``input`` (the prompt or input images), ``output`` (the generated image) or
            ``unknown``, as the service says.
    """

    categories: list[str] = []
    moderation_stage: str | None = None


class ImageCallError(_Lenient):
    """The ``error`` of a failed ``image_generation_call`` item.

    Fields:
        code: e.g. ``moderation_blocked``.
        message: the service's words.
        param: the parameter at fault, if any.
        type: the error type.
        moderation_details: for a moderation block, which stage and categories.
    """

    code: str | None = None
    message: str = ""
    param: str | None = None
    type: str | None = None
    moderation_details: Lenient[ModerationDetails] = None


class SvgUsage(_Lenient):
    """Tokens spent writing an SVG (``svg_usage`` of an image call)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    total_tokens: int | None = None
    model: str | None = None


class ImageGenerationCall(_Lenient):
    """An ``image_generation_call`` output item; ``result`` is the base64 image (None once stored).

    Every field is optional and unknown new ones stay reachable through ``model_extra``.

    Fields:
        id: the item id (``ig_...``).
        status: ``in_progress``, ``generating``, ``completed`` or ``failed``.
        result: the base64 image.
        revised_prompt: the prompt the image model actually used.
        size: the resolved ``WIDTHxHEIGHT``.
        quality: the resolved quality.
        background: the resolved background (``transparent``, ``opaque``).
        output_format: the format the service says it produced.
        action: ``generate`` or ``edit`` (as the service resolved ``auto``).
        error: why the call failed (moderation details included).
        svg_usage: the tokens of SVG output.
    """

    type: Literal["image_generation_call"]
    id: str = ""
    status: str | None = None
    result: str | None = None
    revised_prompt: str | None = None
    size: str | None = None
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    action: str | None = None
    error: Lenient[ImageCallError] = None
    svg_usage: Lenient[SvgUsage] = None


class UnknownOutputItem(_Lenient):
    """An output item of a type this version does not know (reasoning, web search, ...)."""

    type: str


OutputItem = Annotated[
    Annotated[ImageGenerationCall, Tag("image_generation_call")]
    | Annotated[MessageItem, Tag("message")]
    | Annotated[UnknownOutputItem, Tag("unknown")],
    Discriminator(_type_tag(frozenset({"image_generation_call", "message"}))),
]


class Usage(_Lenient):
    """Token usage of the orchestrator model (image tokens are billed separately: ``image_usage``)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None


def _add(left: int | None, right: int | None) -> int | None:
    # "omitted = unknown": a sum is known only where both sides are.
    return None if left is None or right is None else left + right


class ImageUsageDetails(_Lenient):
    """Image and text tokens within an input or output count."""

    image_tokens: int | None = None
    text_tokens: int | None = None

    def __add__(self, other: ImageUsageDetails) -> ImageUsageDetails:
        return ImageUsageDetails(
            image_tokens=_add(self.image_tokens, other.image_tokens),
            text_tokens=_add(self.text_tokens, other.text_tokens),
        )


class CachedTokensDetails(_Lenient):
    """Cached image and text tokens."""

    cached_image_tokens: int | None = None
    cached_text_tokens: int | None = None

    def __add__(self, other: CachedTokensDetails) -> CachedTokensDetails:
        return CachedTokensDetails(
            cached_image_tokens=_add(self.cached_image_tokens, other.cached_image_tokens),
            cached_text_tokens=_add(self.cached_text_tokens, other.cached_text_tokens),
        )


def _add_details(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    return left + right


class ImageUsage(_Lenient):
    """Tokens the image model used (``tool_usage.image_gen``), summed by the service over a response's calls.

    JSON-friendly: ``usage.model_dump()``. Add two with ``+`` (a batch, several responses); a count one
    side omits becomes None ("omitted = unknown").

    Fields:
        input_tokens: prompt and input image tokens.
        output_tokens: generated image tokens.
        total_tokens: their sum.
        input_tokens_details: image and text tokens of the input.
        output_tokens_details: image and text tokens of the output, when reported.
        cached_tokens: cached input tokens, when reported.
        cached_tokens_details: cached image and text tokens, when reported.

    Example::

        result.image_usage.total_tokens if result.image_usage else None
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: ImageUsageDetails | None = None
    output_tokens_details: ImageUsageDetails | None = None
    cached_tokens: int | None = None
    cached_tokens_details: CachedTokensDetails | None = None

    def __add__(self, other: ImageUsage) -> ImageUsage:
        if not isinstance(other, ImageUsage):
            return NotImplemented
        return ImageUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            input_tokens_details=_add_details(self.input_tokens_details, other.input_tokens_details),
            output_tokens_details=_add_details(self.output_tokens_details, other.output_tokens_details),
            cached_tokens=_add(self.cached_tokens, other.cached_tokens),
            cached_tokens_details=_add_details(self.cached_tokens_details, other.cached_tokens_details),
        )

    @classmethod
    def total(cls, usages: Sequence[ImageUsage | None]) -> ImageUsage | None:
        """The sum of the known usages (None when none is known).

        Example::

            ImageUsage.total([r.image_usage for r in results])
        """
        known = [usage for usage in usages if usage is not None]
        if not known:
            return None
        total = known[0]
        for usage in known[1:]:
            total = total + usage
        return total


class ToolUsage(_Lenient):
    """``response.tool_usage``: usage of hosted tools, per tool family (others stay in ``model_extra``)."""

    image_gen: Lenient[ImageUsage] = None


class Response(_Lenient):
    """A Responses API ``response`` object, typed where it matters for images.

    Example::

        Response.model_validate(json.loads(body)).output
    """

    id: str
    object: str | None = "response"
    created_at: float | None = None
    status: str | None = None
    error: ResponseError | None = None
    incomplete_details: IncompleteDetails | None = None
    model: str | None = None
    output: list[OutputItem] = []
    usage: Usage | None = None
    previous_response_id: str | None = None
    store: bool | None = None
    tool_usage: Lenient[ToolUsage] = None

    @property
    def image_calls(self) -> list[ImageGenerationCall]:
        """The ``image_generation_call`` items, in order."""
        return [item for item in self.output if isinstance(item, ImageGenerationCall)]

    @property
    def text(self) -> str:
        """The assistant's text across all message items."""
        return "\n".join(item.text for item in self.output if isinstance(item, MessageItem) and item.text)


class ImageFormatWarning(UserWarning):
    """The image's real format differs from the ``output_format`` that was asked for.

    Example::

        warnings.simplefilter("error", ImageFormatWarning)
    """


@dataclass(frozen=True, repr=False)
class GeneratedImage:
    """One decoded image: its bytes, the format read from its magic bytes, and where it came from.

    ``size``, ``revised_prompt``, ``quality``, ``background``, ``output_format`` and ``action`` are what
    the service reported for the call; ``call`` is the whole item (unknown fields in ``call.model_extra``).

    Example::

        image = result.image
        image.format, image.width, image.height
        path = image.save("out/fox.png")  # atomic; returns the path actually written
    """

    id: str
    data: bytes
    format: ImageFormat | None
    size: str | None = None
    revised_prompt: str | None = None
    requested_format: str | None = None
    #: 0-based index for a streamed partial image, None for a final image.
    partial_index: int | None = None
    #: What the service says it made (the item's fields; None where it did not say).
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    action: str | None = None
    #: The whole ``image_generation_call`` item, for fields this version does not name (``call.model_extra``).
    call: ImageGenerationCall | None = None
    width: int | None = field(default=None, init=False)
    height: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        dims = image_dimensions(self.data, self.format)
        if dims is not None:
            object.__setattr__(self, "width", dims[0])
            object.__setattr__(self, "height", dims[1])
        if self.format and self.requested_format and self.format != self.requested_format:
            warnings.warn(
                f"image {self.id}: asked for output_format={self.requested_format!r} but got "
                f"{self.format} bytes; save() names the file after the real format",
                ImageFormatWarning,
                stacklevel=3,
            )

    def __repr__(self) -> str:
        dims = f"{self.width}x{self.height}" if self.width else self.size
        partial = f", partial_index={self.partial_index}" if self.partial_index is not None else ""
        return f"GeneratedImage(id={self.id!r}, format={self.format!r}, size={dims!r}, bytes={len(self.data)}{partial})"

    @property
    def is_partial(self) -> bool:
        """Whether this is a streamed intermediate render rather than the final image."""
        return self.partial_index is not None

    @property
    def mime_type(self) -> str:
        """``image/png``, ``image/jpeg``, ``image/webp``, ``image/gif``, ``image/svg+xml``
        (``application/octet-stream`` if unknown)."""
        return MIME_TYPES[self.format] if self.format else "application/octet-stream"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:  # noqa: ARG002 (IPython passes them)
        """Jupyter shows the image itself (PNG, JPEG, GIF, WebP bytes; SVG as text), with the repr as text."""
        bundle: dict[str, Any] = {"text/plain": repr(self)}
        if self.format == "svg":
            bundle["image/svg+xml"] = self.data.decode("utf-8", "replace")
        elif self.format is not None:
            bundle[self.mime_type] = self.data
        return bundle

    def _repr_png_(self) -> bytes | None:
        return self.data if self.format == "png" else None

    def _repr_jpeg_(self) -> bytes | None:
        return self.data if self.format == "jpeg" else None

    def to_pil(self) -> Any:
        """The image as a Pillow ``Image`` (needs Pillow: ``pip install 'foundry-imagegen[pillow]'``).

        Example::

            image.to_pil().resize((256, 256)).show()
        """
        try:
            from PIL import Image
        except ImportError as exc:
            raise ModuleNotFoundError(
                "GeneratedImage.to_pil() needs Pillow, which is not installed. Fix: pip install "
                "'foundry-imagegen[pillow]' (or pillow); image.data holds the bytes without it",
                name="PIL",
            ) from exc
        import io  # in memory only

        return Image.open(io.BytesIO(self.data))

    def save(self, path: StrPath, *, overwrite: bool = False, fix_extension: bool = True, fsync: bool = True) -> Path:
        """Write the image atomically and return the path written.

        A path without a suffix gets the right one; a suffix of another image format is corrected
        (``fix_extension=True``) or refused. An existing file is kept unless ``overwrite=True``.
        ``fsync=False`` skips flushing the file to the disk before it is renamed into place (about 2 ms
        an image): the file is still whole or absent for every reader, but a power cut soon after may
        lose it.

        Example::

            image.save("out/fox")        # -> out/fox.png
            image.save("out/fox.jpg")    # PNG bytes -> out/fox.png
        """
        from .._shell.disk import save_image  # the core holds the bytes; the shell owns the disk

        return save_image(self, path, overwrite=overwrite, fix_extension=fix_extension, fsync=fsync)

    async def asave(
        self, path: StrPath, *, overwrite: bool = False, fix_extension: bool = True, fsync: bool = True
    ) -> Path:
        """``save`` for async code: the disk work runs in a worker thread, never on the event loop.

        Example::

            path = await image.asave("out/fox.png")
        """
        from .._shell.disk import asave_image

        return await asave_image(self, path, overwrite=overwrite, fix_extension=fix_extension, fsync=fsync)


@dataclass(frozen=True, repr=False)
class GenerationResult:
    """What ``generate`` returns: the decoded images, the model's text, and the parsed response.

    Example::

        result = client.generate("a red fox in snow")
        result.save("fox.png")
        result.text, result.revised_prompt, result.request_id
    """

    response: Response
    images: Sequence[GeneratedImage]
    request_id: str | None = None
    #: For ``edit``: ``"conversation"``, ``"previous_response_id"`` or ``"input_image"``, the way it continued.
    edited_via: str | None = None
    #: The rate-limit and diagnostic headers of the answer (remaining requests/tokens, region, request ids).
    rate_limit: RateLimit | None = None
    #: The raw HTTP status and response headers, credentials redacted.
    http: HttpInfo | None = None
    #: The answer's body as sent, base64 and all: only with the client's ``keep_raw_body=True`` (not for
    #: streams). ``response`` holds no image base64, so that a kept result holds each image once.
    raw_body: bytes | None = None

    def __repr__(self) -> str:
        return (
            f"GenerationResult(id={self.response.id!r}, status={self.response.status!r}, "
            f"images={list(self.images)!r}, request_id={self.request_id!r})"
        )

    @property
    def id(self) -> str:
        """The response id (``resp_...``), usable as ``previous_response_id``."""
        return self.response.id

    @property
    def conversation_id(self) -> str | None:
        """The conversation (``conv_...``) this result belongs to, if any: ``edit`` continues it there."""
        from .conversations import conversation_of

        return conversation_of(self.response)

    @property
    def image(self) -> GeneratedImage:
        """The first image; raises ``IndexError`` when there is none (``generate`` never returns that)."""
        if not self.images:
            raise IndexError("this result holds no image")
        return self.images[0]

    @property
    def text(self) -> str:
        """What the assistant said alongside the image."""
        return self.response.text

    @property
    def revised_prompt(self) -> str | None:
        """The prompt the image model actually used, when the service reports it."""
        for image in self.images:
            if image.revised_prompt:
                return image.revised_prompt
        return None

    @property
    def usage(self) -> Usage | None:
        """Orchestrator token usage (the chat model's; image tokens are in ``image_usage``)."""
        return self.response.usage

    @property
    def image_usage(self) -> ImageUsage | None:
        """Image model token usage (``tool_usage.image_gen``), None when the service did not report it.

        Example::

            usage = result.image_usage
            print(usage.model_dump() if usage else "not reported")
        """
        return self.response.tool_usage.image_gen if self.response.tool_usage else None

    def save(self, path: StrPath, *, overwrite: bool = False, fix_extension: bool = True, fsync: bool = True) -> Path:
        """Save the first image (see ``GeneratedImage.save``); returns the path written.

        Example::

            client.generate("a cat").save("cat.png")
        """
        return self.image.save(path, overwrite=overwrite, fix_extension=fix_extension, fsync=fsync)

    async def asave(
        self, path: StrPath, *, overwrite: bool = False, fix_extension: bool = True, fsync: bool = True
    ) -> Path:
        """``save`` for async code: the write runs in a worker thread, so the event loop keeps serving.

        Example::

            result = await client.generate("a cat")
            await result.asave("cat.png")
        """
        return await self.image.asave(path, overwrite=overwrite, fix_extension=fix_extension, fsync=fsync)

    def save_all(
        self, directory: str | os.PathLike[str], *, stem: str = "image", overwrite: bool = False
    ) -> list[Path]:
        """Save every image into ``directory`` as ``stem-0.png``, ``stem-1.png``, ...

        Example::

            result.save_all("out", stem="fox")
        """
        from pathlib import PurePath  # path arithmetic only: the disk is the shell's

        return [
            image.save(PurePath(directory) / f"{stem}-{index}", overwrite=overwrite)
            for index, image in enumerate(self.images)
        ]
