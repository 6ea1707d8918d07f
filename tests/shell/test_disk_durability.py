"""Durability is the caller's choice (fsync by default), and an async save runs off the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from foundry_imagegen._core.parse import decode_image
from foundry_imagegen._core.results import GeneratedImage, GenerationResult, Response
from tests.testkit import make_png


def image() -> GeneratedImage:
    return decode_image("ig_1", "", data=make_png())


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that called os.fsync."""
    calls: list[str] = []
    real = os.fsync

    def recording(fd: int) -> None:
        calls.append(threading.current_thread().name)
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return calls


def test_a_final_file_is_fsynced_by_default(tmp_path: Path, fsyncs: list[str]) -> None:
    path = image().save(tmp_path / "fox")
    assert path.read_bytes() == make_png()
    assert len(fsyncs) == 1


@pytest.mark.parametrize("overwrite", [False, True])
def test_fsync_false_skips_only_the_fsync(tmp_path: Path, fsyncs: list[str], overwrite: bool) -> None:
    path = image().save(tmp_path / "fox", fsync=False, overwrite=overwrite)
    assert path.read_bytes() == make_png()
    assert fsyncs == []
    assert [p.name for p in tmp_path.iterdir()] == ["fox.png"]  # no temporary file left


def test_asave_writes_in_a_worker_thread(tmp_path: Path, fsyncs: list[str]) -> None:
    result = GenerationResult(response=Response(id="resp_1"), images=(image(),))

    async def main() -> Path:
        return await result.asave(tmp_path / "fox.png")

    path = asyncio.run(main())
    assert path.read_bytes() == make_png()
    assert len(fsyncs) == 1 and fsyncs[0] != threading.main_thread().name


def test_asave_keeps_the_no_overwrite_rule(tmp_path: Path) -> None:
    (tmp_path / "fox.png").write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        asyncio.run(image().asave(tmp_path / "fox.png"))
    assert (tmp_path / "fox.png").read_bytes() == b"mine"


def test_asave_failure_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    from foundry_imagegen import ImageSaveError

    with pytest.raises(ImageSaveError):
        asyncio.run(image().asave(tmp_path / "fox.png"))
    assert list(tmp_path.iterdir()) == []
