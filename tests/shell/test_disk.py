"""The shell's disk I/O: target paths, atomic saves, and image inputs read from local files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from foundry_imagegen import ConfigurationError, GeneratedImage
from foundry_imagegen._shell.disk import atomic_write, resolve_image, target_path
from tests.testkit import make_png

# --------------------------------------------------------------------------- saving


@pytest.mark.parametrize(
    ("asked", "fmt", "expected"),
    [
        ("cat.png", "png", "cat.png"),
        ("cat", "png", "cat.png"),
        ("cat.v2", "jpeg", "cat.v2.jpg"),
        ("cat.JPEG", "jpeg", "cat.JPEG"),
        ("cat.jpg", "png", "cat.png"),
        ("cat.webp", "jpeg", "cat.jpg"),
        ("cat.gif", "webp", "cat.webp"),
    ],
)
def test_target_path_fixes_extensions(asked: str, fmt: str, expected: str) -> None:
    assert target_path(asked, fmt, fix_extension=True) == Path(expected)  # type: ignore[arg-type]


def test_target_path_can_refuse() -> None:
    with pytest.raises(ValueError, match=r"ends in \.jpg but the image is png"):
        target_path("cat.jpg", "png", fix_extension=False)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_never_clobbers_without_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "a.png"
    assert atomic_write(target, b"one", overwrite=False) == target
    with pytest.raises(FileExistsError, match="overwrite=True"):
        atomic_write(target, b"two", overwrite=False)
    assert target.read_bytes() == b"one"
    atomic_write(target, b"three", overwrite=True)
    assert target.read_bytes() == b"three" and leftovers(target.parent) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_saved_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = atomic_write(tmp_path / "a.png", b"x", overwrite=False)
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(tmp_path / "a.png", b"data", overwrite=False)
    assert list(tmp_path.iterdir()) == []


def test_generated_image_save(tmp_path: Path) -> None:
    image = GeneratedImage(id="ig_1", data=make_png(), format="png")
    written = image.save(tmp_path / "fox.jpg")
    assert written == tmp_path / "fox.png" and written.read_bytes() == image.data
    assert image.mime_type == "image/png" and not image.is_partial


# --------------------------------------------------------------------------- reading inputs


def test_paths_resolve_from_path_and_str(tmp_path):
    path = tmp_path / "cat.png"
    path.write_bytes(make_png(3, 4))
    for value in (path, str(path)):
        image = resolve_image(value)
        assert (image.kind, image.format, image.width, image.height, image.name) == ("bytes", "png", 3, 4, "cat.png")
        assert image.data == path.read_bytes()


def test_missing_path_mentions_file_id(tmp_path):
    missing = tmp_path / "nope.png"
    for value in (missing, str(missing), "assistant-KaVLJQTiWEvdz8yJQHHkqJ"):
        with pytest.raises(ConfigurationError) as info:
            resolve_image(value)
        message = str(info.value)
        assert str(value) in message
        assert "Fix:" in message and "FileId('assistant-...')" in message
