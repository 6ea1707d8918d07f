"""The SDK's disk I/O in one place: atomic writes, where images go, reading image files, clean-up."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .._core.images import _CANONICAL, _EXTENSIONS, _OTHER_IMAGE_EXTENSIONS, ImageFormat

if TYPE_CHECKING:
    from .._core.inputs import ImageInput, ResolvedImage
    from .._core.results import GeneratedImage

__all__ = [
    "asave_image",
    "atomic_write",
    "check_free",
    "drop_backups",
    "partial_path",
    "put_back",
    "read_image_file",
    "remove_quietly",
    "remove_stale_temp_files",
    "resolve_image",
    "save_image",
    "set_aside",
    "target_path",
]


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


def atomic_write(path: Path, data: bytes, *, overwrite: bool, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` so that a reader sees either nothing or the whole file.

    The bytes go to a temporary file in the same folder, are flushed to disk (``fsync``), then renamed
    into place; on any failure the temporary file is removed, so no partial file is ever left behind.
    Without ``overwrite`` an existing file is never replaced, even by a racing writer. ``fsync=False``
    keeps the atomic rename but lets the OS choose when the bytes reach the disk: a crash of the machine
    (not of the process) soon after may then leave an empty or older file.

    Example::

        atomic_write(Path("out/cat.png"), png_bytes, overwrite=False)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists. Fix: choose another path or pass overwrite=True")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 lets the umask decide the mode, as for any file the user creates
    # (mkstemp would make saved images 0600, unreadable to e.g. a web server).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
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


#: A temporary file of ours older than this belongs to a save that died (a killed process): no live
#: save of one image takes an hour between creating its temporary file and renaming it.
STALE_TEMP_AGE = 3600.0
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{12}\.tmp")


def remove_stale_temp_files(path: Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files a killed save to ``path`` left behind; returns those removed.

    Only ours: hidden files named ``.NAME.<12 hex>.tmp`` for this very ``NAME``, regular files (not
    links), and only those untouched for ``STALE_TEMP_AGE``, so a save running in parallel keeps its own.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        candidates = list(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for candidate in candidates:
        match = _TEMP_NAME.fullmatch(candidate.name)
        if match is None or match["name"] != path.name:
            continue
        try:
            info = candidate.lstat()
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_TEMP_AGE:
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


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


def save_image(
    image: GeneratedImage, path: str | os.PathLike[str], *, overwrite: bool, fix_extension: bool, fsync: bool = True
) -> Path:
    """Write a decoded image atomically where ``target_path`` says; returns the path written.

    A disk failure (full, read-only, a folder in the way) raises ``ImageSaveError`` holding the image:
    it was received, and maybe paid for, so the caller must be able to keep it. An existing target
    without ``overwrite`` stays a plain ``FileExistsError``.
    """
    target = target_path(path, image.format, fix_extension=fix_extension)
    try:
        return atomic_write(target, image.data, overwrite=overwrite, fsync=fsync)
    except FileExistsError:
        raise
    except OSError as exc:
        from ..exceptions import ImageSaveError

        reason = exc.strerror or type(exc).__name__
        raise ImageSaveError(
            f"could not write {target}: {reason}. The image ({len(image.data)} bytes, {image.format}) is still "
            "in memory as exc.image. Fix: free disk space or choose a writable file path, then "
            "exc.image.save(other_path)",
            image=image,
            path=target,
        ) from exc


async def asave_image(
    image: GeneratedImage, path: str | os.PathLike[str], *, overwrite: bool, fix_extension: bool, fsync: bool = True
) -> Path:
    """``save_image`` in a worker thread: the write, fsync and rename never block the event loop."""
    import asyncio  # on first use: sync programs never import it

    return await asyncio.to_thread(
        save_image, image, path, overwrite=overwrite, fix_extension=fix_extension, fsync=fsync
    )


def check_free(path: Path, *, overwrite: bool) -> None:
    """Refuse an existing target before a paid call is made, rather than after."""
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists. Fix: choose another path or pass overwrite=True")


def set_aside(path: Path) -> Path | None:
    """Move an existing file at ``path`` to a hidden ``.NAME.<hex>.bak`` beside it; None if there was none.

    Used before overwriting a user's file with a partial render, so that a stream failing later can put
    the user's file back instead of leaving a render of a failed generation (or nothing) in its place.
    """
    if not path.is_file():
        return None
    backup = path.with_name(f".{path.name}.{secrets.token_hex(6)}.bak")
    os.replace(path, backup)
    return backup


def put_back(backups: list[tuple[Path, Path]]) -> None:
    """Restore files ``set_aside`` moved: each ``(backup, original)`` pair goes back in place."""
    for backup, original in backups:
        with contextlib.suppress(FileNotFoundError):
            os.replace(backup, original)


def drop_backups(backups: list[tuple[Path, Path]]) -> None:
    """The call succeeded: the files ``set_aside`` kept are no longer needed."""
    remove_quietly([backup for backup, _ in backups])


def remove_quietly(paths: list[Path]) -> None:
    """Remove files this SDK wrote for a call that then failed; missing ones are fine."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def read_image_file(value: str | os.PathLike[str]) -> tuple[bytes, str] | None:
    """The bytes and file name of a local image, or None when ``value`` names no file."""
    path = Path(value)
    if not path.is_file():
        return None
    return path.read_bytes(), path.name


def resolve_image(value: ImageInput, *, param: str = "image") -> ResolvedImage:
    """The core's ``resolve_image`` with local paths read from disk (the only reader of input files).

    Example::

        resolve_image("cat.png").input_part()
    """
    from .._core.inputs import resolve_image as resolve

    return resolve(value, param=param, read_path=read_image_file)
