"""Image inputs of a Responses call: ``input_image`` parts, earlier image calls, masks (protocol §4).

The emulator makes no network calls: ``http(s)`` image URLs are fetched only when they point at a
loopback host (handy for a local fixture server); anything else is refused with
``failed_to_download_image``.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ._errors import ApiError, openai_error
from ._png import Raster
from ._render import ImageDecodeError, PillowMissing, decode_image

__all__ = ["InputImage", "collect_input_images", "load_image_ref"]

MAX_DOWNLOAD = 50 * 1024 * 1024


@dataclass(frozen=True)
class InputImage:
    raster: Raster
    param: str


def _bad(param: str, code: str, message: str) -> ApiError:
    return openai_error(400, message, "invalid_request_error", param, code)


def _loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead off the machine; refuse rather than follow.
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def _download(url: str, param: str) -> bytes:
    if not _loopback_host(urlsplit(url).hostname):
        raise _bad(
            param,
            "failed_to_download_image",
            f"Error while downloading {url}: the emulator makes no network calls; pass the image as a data "
            "URL or file_id, or serve it from a loopback address.",
        )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(url, timeout=5) as resp:
            data: bytes = resp.read(MAX_DOWNLOAD + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _bad(param, "failed_to_download_image", f"Error while downloading {url}: {exc}.") from None
    if len(data) > MAX_DOWNLOAD:
        raise _bad(param, "image_file_too_large", f"The image at {url} is larger than {MAX_DOWNLOAD} bytes.")
    return data


def _decode_data_url(url: str, param: str) -> bytes:
    header, sep, payload = url.partition(",")
    if not sep or not header.endswith(";base64"):
        raise _bad(param, "invalid_image_url", "Expected a base64 data URL (data:image/png;base64,...).")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(param, "invalid_base64_image", "Invalid base64 image data.") from None


def load_image_ref(ref: Any, param: str, file_content: Callable[[str], bytes | None]) -> Raster:
    """Decode an ``{"image_url": ...}`` or ``{"file_id": ...}`` reference (input image or mask)."""
    if not isinstance(ref, dict):
        raise _bad(param, "invalid_value", "Expected an object with 'image_url' or 'file_id'.")
    file_id = ref.get("file_id")
    url = ref.get("image_url")
    if isinstance(file_id, str) and file_id:
        data = file_content(file_id)
        if data is None:
            raise _bad(f"{param}.file_id", "image_file_not_found", f"File '{file_id}' not found.")
        where = f"{param}.file_id"
    elif isinstance(url, str) and url:
        where = f"{param}.image_url"
        if url.startswith("data:"):
            data = _decode_data_url(url, where)
        elif url.startswith(("http://", "https://")):
            data = _download(url, where)
        else:
            raise _bad(where, "invalid_image_url", "image_url must be a data URL or an http(s) URL.")
    else:
        raise _bad(param, "invalid_value", "Expected an object with 'image_url' or 'file_id'.")
    if not data:
        raise _bad(where, "empty_image_file", "The image file is empty.")
    try:
        return decode_image(data)
    except PillowMissing as exc:
        raise _bad(where, "unsupported_image_media_type", str(exc)) from None
    except ImageDecodeError as exc:
        raise _bad(where, "invalid_image_format", f"Invalid image: {exc}.") from None


def collect_input_images(
    value: Any,
    file_content: Callable[[str], bytes | None],
    image_by_call_id: Callable[[str], Raster | None],
) -> list[InputImage]:
    """All images the ``input`` carries, in order: ``input_image`` parts of user messages, earlier
    ``image_generation_call`` items (inline ``result`` or by id) and ``item_reference`` items to them."""
    if not isinstance(value, list):
        return []
    found: list[InputImage] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message":
            content = item.get("content")
            if not isinstance(content, list):
                continue
            for j, part in enumerate(content):
                if isinstance(part, dict) and part.get("type") == "input_image":
                    param = f"input[{i}].content[{j}]"
                    found.append(InputImage(load_image_ref(part, param, file_content), param))
        elif kind in ("image_generation_call", "item_reference"):
            param = f"input[{i}]"
            result = item.get("result")
            if kind == "image_generation_call" and isinstance(result, str) and result:
                ref = {"image_url": "data:image/png;base64," + result}
                found.append(InputImage(load_image_ref(ref, param, file_content), param))
                continue
            item_id = item.get("id")
            raster = image_by_call_id(item_id) if isinstance(item_id, str) else None
            if raster is None:
                if kind == "item_reference" and not (isinstance(item_id, str) and item_id.startswith("ig_")):
                    continue  # references to other item kinds carry no image
                raise openai_error(
                    404,
                    f"Item with id '{item_id}' not found.",
                    "invalid_request_error",
                    f"{param}.id",
                    "not_found",
                )
            found.append(InputImage(raster, param))
    return found
