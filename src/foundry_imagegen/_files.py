"""Sans-I/O image facts (format, dimensions) and the one place that writes files: atomically."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import struct
from pathlib import Path
from typing import Literal

__all__ = [
    "ImageFormat",
    "atomic_write",
    "decode_base64_image",
    "image_dimensions",
    "partial_path",
    "sniff_format",
    "target_path",
]

ImageFormat = Literal["png", "jpeg", "webp"]

_EXTENSIONS: dict[str, ImageFormat] = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}
_CANONICAL = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}
_OTHER_IMAGE_EXTENSIONS = {".gif", ".bmp", ".tif", ".tiff", ".heic", ".avif"}


def sniff_format(data: bytes) -> ImageFormat | None:
    """The image format told by the magic bytes, or None if none we know.

    Example::

        sniff_format(b"\\x89PNG\\r\\n\\x1a\\n...")  # 'png'
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def image_dimensions(data: bytes, fmt: ImageFormat | None = None) -> tuple[int, int] | None:
    """(width, height) read from the header alone, or None if the header cannot be read.

    Example::

        image_dimensions(png_bytes)  # (1024, 1024)
    """
    fmt = fmt or sniff_format(data)
    try:
        if fmt == "png" and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if fmt == "jpeg":
            return _jpeg_dimensions(data)
        if fmt == "webp":
            return _webp_dimensions(data)
    except struct.error:
        return None
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    index = 2
    size = len(data)
    while index + 9 < size:
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def decode_base64_image(value: str) -> bytes:
    """Strict base64 decoding (a ``data:`` prefix is tolerated); raises ``ValueError`` on bad input.

    Example::

        decode_base64_image("iVBORw0KGgo...")
    """
    if value.startswith("data:"):
        _, _, value = value.partition(",")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the image is not valid base64 ({exc})") from None


def target_path(path: str | os.PathLike[str], fmt: ImageFormat | None, *, fix_extension: bool) -> Path:
    """Where an image of ``fmt`` should be written when the caller asked for ``path``.

    No suffix gets the right one; a suffix naming another image format is replaced (or refused when
    ``fix_extension`` is False), so PNG bytes never land in ``cat.jpg``.
    """
    target = Path(path)
    if fmt is None:
        return target
    suffix = target.suffix.lower()
    if _EXTENSIONS.get(suffix) == fmt:
        return target
    if suffix in _EXTENSIONS or suffix in _OTHER_IMAGE_EXTENSIONS:
        if not fix_extension:
            raise ValueError(
                f"path={str(path)!r} ends in {target.suffix} but the image is {fmt}. Fix: name it "
                f"{target.with_suffix(_CANONICAL[fmt]).name}, or pass fix_extension=True"
            )
        return target.with_suffix(_CANONICAL[fmt])
    return target.with_name(target.name + _CANONICAL[fmt])


def partial_path(path: str | os.PathLike[str], fmt: ImageFormat | None, index: int) -> Path:
    """Where partial ``index`` of the image saved at ``path`` goes: ``fox.png`` -> ``fox.partial-0.png``.

    Example::

        partial_path("out/fox.png", "png", 2)  # Path('out/fox.partial-2.png')
    """
    final = target_path(path, fmt, fix_extension=True)
    return final.with_name(f"{final.stem}.partial-{index}{final.suffix}")


def atomic_write(path: Path, data: bytes, *, overwrite: bool) -> Path:
    """Write ``data`` to ``path`` so that a reader sees either nothing or the whole file.

    The bytes go to a temporary file in the same folder, are flushed to disk, then renamed into place;
    on any failure the temporary file is removed, so no partial file is ever left behind. Without
    ``overwrite`` an existing file is never replaced, even by a racing writer.

    Example::

        atomic_write(Path("out/cat.png"), png_bytes, overwrite=False)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists. Fix: choose another path or pass overwrite=True")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 lets the umask decide the mode, as for any file the user creates
    # (mkstemp would make saved images 0600, unreadable to e.g. a web server).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_exclusive(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return path


def _link_exclusive(tmp: Path, path: Path) -> None:
    # A hard link fails if the target exists, making create-if-absent atomic; rename would clobber.
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(f"{path} exists. Fix: choose another path or pass overwrite=True") from None
    except OSError:
        # Filesystems without hard links (some network and FAT mounts): best effort.
        if path.exists():
            raise FileExistsError(f"{path} exists. Fix: choose another path or pass overwrite=True") from None
        os.replace(tmp, path)
        return
    tmp.unlink()
