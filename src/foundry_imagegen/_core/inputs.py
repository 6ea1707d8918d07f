"""Image inputs and masks: one accepted type everywhere, checked locally before anything is sent.

Checks read image headers only (format, size, alpha), so they need no image library. With Pillow
installed, a mask is also decoded to warn when it has no transparent pixel (an edit that changes nothing).
Local files are read by the shell (``_shell.disk``), which hands the bytes in; this module never touches
the disk.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from typing import Literal, Union

from ..exceptions import ConfigurationError
from .images import ImageFormat, image_dimensions, sniff_format
from .results import GeneratedImage

__all__ = [
    "MAX_IMAGE_BYTES",
    "FileId",
    "ImageInput",
    "MaskWarning",
    "ResolvedImage",
    "check_mask",
    "resolve_image",
]

#: The Responses API caps an ``image_url`` at 20,971,520 characters; a data URL of
#: base64 is 4/3 of the bytes, so about 15 MB of image fits. Larger images must be uploaded.
MAX_DATA_URL_CHARS = 20_971_520
#: Our cap for any local image, uploaded or inlined (the service rejects larger ones anyway).
MAX_IMAGE_BYTES = 50 * 1024 * 1024

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class FileId(str):
    """An already uploaded file id (``assistant-...`` or ``file-...``), so it is not taken for a path.

    Example::

        client.edit(FileId("assistant-KaVLJQTiWEvdz8yJQHHkqJ"), "make it night")
    """

    __slots__ = ()


#: Everything that can stand for an input image or a mask.
ImageInput = Union[bytes, bytearray, str, "PathLike[str]", GeneratedImage, FileId, "ResolvedImage"]


class MaskWarning(UserWarning):
    """A mask looks useless (no transparent pixel, so the edit may change nothing).

    Example::

        warnings.simplefilter("error", MaskWarning)
    """


@dataclass(frozen=True)
class ResolvedImage:
    """An input image in a sendable form: inline bytes, a URL, or an uploaded file id."""

    kind: Literal["bytes", "url", "file_id"]
    data: bytes | None = None
    url: str | None = None
    file_id: str | None = None
    format: ImageFormat | None = None
    width: int | None = None
    height: int | None = None
    has_alpha: bool | None = None
    name: str = "image"

    def data_url(self) -> str:
        """The bytes as a ``data:image/...;base64,`` URL; too large for the service is an error."""
        assert self.data is not None and self.format is not None
        prefix = f"data:{_MIME[self.format]};base64,"
        length = len(prefix) + 4 * -(-len(self.data) // 3)
        if length > MAX_DATA_URL_CHARS:
            raise ConfigurationError(
                f"{self.name} is {len(self.data) / 1e6:.1f} MB, which inline makes a {length:,}-character data URL, "
                f"over the service's {MAX_DATA_URL_CHARS:,}. Fix: pass upload_images=True (or --upload), or shrink it"
            )
        return prefix + base64.b64encode(self.data).decode("ascii")

    def with_file_id(self, file_id: str) -> ResolvedImage:
        """The same image, referenced by the id it got from an upload."""
        return ResolvedImage(
            "file_id",
            file_id=file_id,
            format=self.format,
            width=self.width,
            height=self.height,
            has_alpha=self.has_alpha,
            name=self.name,
        )

    def input_part(self, detail: str = "auto") -> dict[str, str]:
        """The ``input_image`` content part of a user message."""
        if self.kind == "file_id":
            assert self.file_id is not None
            return {"type": "input_image", "file_id": self.file_id, "detail": detail}
        return {"type": "input_image", "image_url": self.url or self.data_url(), "detail": detail}

    def mask_param(self) -> dict[str, str]:
        """The tool's ``input_image_mask`` object."""
        if self.kind == "file_id":
            assert self.file_id is not None
            return {"file_id": self.file_id}
        return {"image_url": self.url or self.data_url()}


def _png_has_alpha(data: bytes) -> bool:
    color_type = data[25] if len(data) > 25 else 0
    if color_type in (4, 6):
        return True
    # A tRNS chunk before the image data gives palette or gray images transparency too.
    head = data[: data.find(b"IDAT")] if b"IDAT" in data else data
    return b"tRNS" in head


def _from_bytes(data: bytes, *, param: str, name: str) -> ResolvedImage:
    if not data:
        raise ConfigurationError(f"{param} is empty. Fix: pass the bytes of a PNG, JPEG or WebP image")
    if len(data) > MAX_IMAGE_BYTES:
        raise ConfigurationError(
            f"{param} is {len(data) / 1e6:.1f} MB, over the {MAX_IMAGE_BYTES // (1024 * 1024)} MiB limit. Fix: "
            "downscale it or save it as JPEG"
        )
    fmt = sniff_format(data)
    if fmt not in ("png", "jpeg", "webp"):  # GIF and SVG are outputs only
        raise ConfigurationError(
            f"{param} ({name}) is not a PNG, JPEG or WebP image (magic bytes {data[:8]!r}). Fix: convert it to "
            "one of those formats"
        )
    dims = image_dimensions(data, fmt)
    return ResolvedImage(
        "bytes",
        data=bytes(data),
        format=fmt,
        width=dims[0] if dims else None,
        height=dims[1] if dims else None,
        has_alpha=_png_has_alpha(data) if fmt == "png" else None,
        name=name,
    )


#: Reads a local image file for the core: bytes and file name, or None when there is no such file.
PathReader = Callable[[Union[str, "PathLike[str]"]], Union[tuple[bytes, str], None]]


def resolve_image(
    value: ImageInput,
    *,
    param: str = "image",
    read_path: PathReader | None = None,
) -> ResolvedImage:
    """Turn any accepted image input into a ``ResolvedImage``; raises ``ConfigurationError`` with the fix.

    Accepted: bytes, a path (``str`` or ``Path``) to a local file, an ``http(s)://`` or ``data:`` URL,
    a ``FileId``, or a ``GeneratedImage`` from an earlier call. Paths are read by ``read_path`` (the
    shell's disk reader: bytes and file name, or None when there is no such file), so that this
    module never touches the disk itself.

    Example::

        resolve_image(png_bytes).input_part()
    """
    if isinstance(value, ResolvedImage):
        return value
    if isinstance(value, GeneratedImage):
        return _from_bytes(value.data, param=param, name=value.id or "generated image")
    if isinstance(value, FileId):
        if not value.strip():
            raise ConfigurationError(f"{param}=FileId('') is empty. Fix: pass the id returned by files.upload()")
        return ResolvedImage("file_id", file_id=str(value), name=str(value))
    if isinstance(value, (bytes, bytearray)):
        return _from_bytes(bytes(value), param=param, name="bytes")
    if isinstance(value, str):
        if value.startswith(("https://", "http://")):
            return ResolvedImage("url", url=value, name=value)
        if value.startswith("data:"):
            if len(value) > MAX_DATA_URL_CHARS:
                raise ConfigurationError(
                    f"{param} is a data URL of {len(value):,} characters, over the service's "
                    f"{MAX_DATA_URL_CHARS:,}. Fix: upload it (upload_images=True) or shrink it"
                )
            header, _, payload = value.partition(",")
            try:
                data = base64.b64decode(payload, validate=True)
            except ValueError:
                raise ConfigurationError(f"{param} is a data URL whose base64 is broken. Fix: re-encode it") from None
            return _from_bytes(data, param=param, name=header)
    if isinstance(value, str) or hasattr(value, "__fspath__"):
        found = read_path(value) if read_path is not None else None
        if found is None:
            raise ConfigurationError(
                f"{param}={str(value)!r} is neither an http(s)/data URL nor an existing file. Fix: check the "
                "path; for an uploaded file id pass FileId('assistant-...')"
            )
        data, name = found
        return _from_bytes(data, param=param, name=name)
    raise ConfigurationError(
        f"{param} is a {type(value).__name__}. Fix: pass bytes, a path, a URL, a FileId or a GeneratedImage"
    )


def check_mask(mask: ResolvedImage, base: ResolvedImage | None) -> None:
    """Refuse masks the service would reject or misapply: not PNG, no alpha, other dimensions.

    Example::

        check_mask(resolve_image("mask.png", param="mask"), resolve_image("photo.png"))
    """
    if mask.kind == "url" or mask.kind == "file_id":
        return  # nothing local to check; the service validates
    if mask.format != "png":
        raise ConfigurationError(
            f"mask ({mask.name}) is {mask.format}, but a mask must be a PNG whose transparent pixels (alpha 0) "
            "mark where to edit. Fix: save the mask as PNG with an alpha channel"
        )
    if not mask.has_alpha:
        raise ConfigurationError(
            f"mask ({mask.name}) has no alpha channel, so it marks nothing to edit. Fix: save it as RGBA PNG "
            "with the area to change fully transparent"
        )
    if (
        base is not None
        and None not in (base.width, base.height, mask.width, mask.height)
        and (base.width, base.height) != (mask.width, mask.height)
    ):
        raise ConfigurationError(
            f"mask is {mask.width}x{mask.height} but the image is {base.width}x{base.height}. Fix: make the "
            "mask exactly the size of the image it masks"
        )
    _warn_if_mask_is_opaque(mask)


def _warn_if_mask_is_opaque(mask: ResolvedImage) -> None:
    try:
        from PIL import Image
    except ImportError:  # optional: without Pillow only header checks run (documented)
        return
    import io

    assert mask.data is not None
    with Image.open(io.BytesIO(mask.data)) as image:
        alpha = image.convert("RGBA").getchannel("A")
        lowest, _ = alpha.getextrema()
    if lowest != 0:
        warnings.warn(
            f"mask ({mask.name}) has no fully transparent pixel, so the edit may change nothing; transparent "
            "(alpha 0) pixels mark the area to edit",
            MaskWarning,
            stacklevel=4,
        )


@dataclass(frozen=True)
class EditPlan:
    """How ``edit`` continues from ``previous``: by ``previous_response_id`` or by resending the image."""

    via: Literal["previous_response_id", "input_image"]
    previous_response_id: str | None = None
    image: ImageInput | None = None
    #: The image the mask must match, when known locally.
    base: GeneratedImage | None = None


def plan_edit(
    previous: object, *, via: str = "auto", mask: ImageInput | None = None, read_path: PathReader | None = None
) -> EditPlan:
    """Decide how to continue an edit (pure).

    A stored response (``store`` true) is continued by id, so the service keeps the whole context;
    otherwise its image is sent again as an input image. Anything else is an image input.

    A ``mask`` continuing a stored response is checked against that response's image here, since no
    input image will carry it.

    Example::

        plan_edit(result).via  # 'previous_response_id' when result.response.store is True
    """
    plan = _plan_edit(previous, via, read_path)
    if mask is not None and plan.image is None and plan.base is not None:
        check_mask(resolve_image(mask, param="mask", read_path=read_path), resolve_image(plan.base))
    return plan


def _plan_edit(previous: object, via: str, read_path: PathReader | None) -> EditPlan:
    from .results import GenerationResult

    if via not in ("auto", "previous_response_id", "input_image"):
        raise ConfigurationError(f"via={via!r}. Fix: 'auto', 'previous_response_id' or 'input_image'")
    if isinstance(previous, GenerationResult):
        base = previous.images[0] if previous.images else None
        stored = previous.response.store is True
        if via == "previous_response_id" or (via == "auto" and stored):
            if not stored and via == "previous_response_id":
                raise ConfigurationError(
                    f"via='previous_response_id' but response {previous.id} was not stored "
                    f"(store={previous.response.store}). Fix: generate with store=True, or use via='input_image'"
                )
            return EditPlan("previous_response_id", previous_response_id=previous.id, base=base)
        if base is None:
            raise ConfigurationError(
                f"cannot continue from response {previous.id}: it was not stored and holds no image bytes. Fix: "
                "pass the image itself (bytes, path, URL or FileId), or generate with store=True"
            )
        return EditPlan("input_image", image=base, base=base)
    if via == "previous_response_id":
        raise ConfigurationError(
            "via='previous_response_id' needs a GenerationResult to continue from. Fix: pass the result of "
            "generate(), or via='input_image'"
        )
    base = previous if isinstance(previous, GeneratedImage) else None
    # Resolved here so a bad input is reported under the caller's name for it.
    return EditPlan("input_image", image=resolve_image(previous, param="previous", read_path=read_path), base=base)  # type: ignore[arg-type]
