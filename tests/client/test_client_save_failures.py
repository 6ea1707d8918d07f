"""A received image that cannot be written raises ImageSaveError holding it; nothing is left behind (item 12)."""

from __future__ import annotations

import errno
import os

import pytest

from foundry_imagegen import GeneratedImage, ImageSaveError
from tests.testkit import make_png


def image() -> GeneratedImage:
    return GeneratedImage(id="ig_1", data=make_png(), format="png")


def test_a_directory_as_the_target(tmp_path):
    (tmp_path / "img.png").mkdir()
    with pytest.raises(ImageSaveError) as info:
        image().save(tmp_path / "img.png", overwrite=True)
    assert info.value.image.data == make_png()
    assert info.value.path == tmp_path / "img.png"
    assert isinstance(info.value, OSError) and "still in memory" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.png"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ImageSaveError):
            image().save(folder / "img.png")
    finally:
        folder.chmod(0o700)


def test_disk_full(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("os.fsync", lambda fd: full(fd, b""))
    with pytest.raises(ImageSaveError, match="No space left") as info:
        image().save(tmp_path / "img.png")
    assert info.value.image is not None
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_still_file_exists(tmp_path):
    (tmp_path / "img.png").write_bytes(b"x")
    with pytest.raises(FileExistsError):
        image().save(tmp_path / "img.png")
