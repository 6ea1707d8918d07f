"""Saving what generate() returns: atomic, extension-correcting, never clobbering by default."""

from __future__ import annotations

import pytest

from tests.client.wire import PNG, PROJECT_URL, ok_response


async def generated(h):
    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client()
    return await h.run(client.generate, "a red fox")


def listing(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_save_writes_the_bytes_and_returns_the_path(h, tmp_path):
    result = await generated(h)

    path = result.save(tmp_path / "fox.png")

    assert path == tmp_path / "fox.png"
    assert path.read_bytes() == PNG
    assert listing(tmp_path) == ["fox.png"]


async def test_save_accepts_a_str_path(h, tmp_path):
    result = await generated(h)

    path = result.save(str(tmp_path / "fox.png"))

    assert path == tmp_path / "fox.png"
    assert path.read_bytes() == PNG


async def test_wrong_image_extension_is_corrected(h, tmp_path):
    result = await generated(h)

    path = result.save(tmp_path / "x.jpg")

    assert path == tmp_path / "x.png"
    assert path.read_bytes() == PNG
    assert listing(tmp_path) == ["x.png"]


async def test_wrong_extension_refused_without_fix_extension(h, tmp_path):
    result = await generated(h)

    with pytest.raises(ValueError, match=r"x\.png"):
        result.save(tmp_path / "x.jpg", fix_extension=False)

    assert listing(tmp_path) == []


async def test_missing_extension_is_added_and_folders_created(h, tmp_path):
    result = await generated(h)

    path = result.save(tmp_path / "out" / "sub" / "fox")

    assert path == tmp_path / "out" / "sub" / "fox.png"
    assert path.read_bytes() == PNG
    assert listing(tmp_path / "out" / "sub") == ["fox.png"]


async def test_existing_file_is_kept_without_overwrite(h, tmp_path):
    result = await generated(h)
    target = tmp_path / "fox.png"
    target.write_bytes(b"original")

    with pytest.raises(FileExistsError):
        result.save(target)

    assert target.read_bytes() == b"original"
    assert listing(tmp_path) == ["fox.png"]


async def test_existing_file_is_kept_when_extension_is_corrected(h, tmp_path):
    result = await generated(h)
    (tmp_path / "x.png").write_bytes(b"original")

    with pytest.raises(FileExistsError):
        result.save(tmp_path / "x.jpg")

    assert (tmp_path / "x.png").read_bytes() == b"original"
    assert listing(tmp_path) == ["x.png"]


async def test_overwrite_replaces_the_file(h, tmp_path):
    result = await generated(h)
    target = tmp_path / "fox.png"
    target.write_bytes(b"original")

    path = result.save(target, overwrite=True)

    assert path == target
    assert target.read_bytes() == PNG
    assert listing(tmp_path) == ["fox.png"]


async def test_image_save_and_save_all(h, tmp_path):
    result = await generated(h)

    one = result.image.save(tmp_path / "single")
    many = result.save_all(tmp_path / "all", stem="fox")

    assert one == tmp_path / "single.png"
    assert many == [tmp_path / "all" / "fox-0.png"]
    assert many[0].read_bytes() == PNG
    assert listing(tmp_path) == ["all", "single.png"]
    assert listing(tmp_path / "all") == ["fox-0.png"]
