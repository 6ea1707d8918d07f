"""A stream saved without entering it checks every target before the request is sent (nothing is paid for)."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundry_imagegen import ImageGenerationTool
from tests.client.wire import PROJECT_URL
from tests.testkit import image_stream


async def test_an_existing_partial_file_refuses_the_save_before_anything_is_sent(h, tmp_path: Path) -> None:
    # No route: any request would fail the test (the router is strict).
    (tmp_path / "fox.partial-1.png").write_bytes(b"the user's own file")
    stream = h.client().stream("a fox", tool=ImageGenerationTool(partial_images=2))
    with pytest.raises(FileExistsError, match=r"fox\.partial-1\.png"):
        await h.run(stream.save, tmp_path / "fox.png", partials=True)
    assert len(h.mock.calls) == 0
    assert (tmp_path / "fox.partial-1.png").read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fox.partial-1.png"]


async def test_a_save_without_entering_opens_reads_and_closes_the_stream(h, tmp_path: Path) -> None:
    route = h.mock.post(PROJECT_URL).respond(200, content=image_stream(partials=2))
    stream = h.client().stream("a fox", tool=ImageGenerationTool(partial_images=2))
    saved = await h.run(stream.save, tmp_path / "fox.png", partials=True)
    assert saved == tmp_path / "fox.png" and route.call_count == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fox.partial-0.png", "fox.partial-1.png", "fox.png"]
