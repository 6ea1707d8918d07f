"""Partial images are bounded: by number, by index and in memory (issue 9, items 7 and 14)."""

from __future__ import annotations

import base64
import json

import pytest

from foundry_imagegen._core.stream import MAX_PARTIALS_PER_STREAM, StreamProcessor, partials_asked_by
from tests.testkit import make_png

PARTIAL = base64.b64encode(make_png(4, 4)).decode()


def partial(index: int, item: str = "ig_1") -> bytes:
    payload = {
        "type": "response.image_generation_call.partial_image",
        "item_id": item,
        "partial_image_index": index,
        "partial_image_b64": PARTIAL,
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


@pytest.mark.parametrize("index", [-1, 3, 10**300])
def test_an_index_out_of_range_is_dropped(index):
    processor = StreamProcessor()
    processor.feed(partial(index))
    assert processor.take_images() == []
    assert processor.partials_dropped == 1


def test_partials_are_bounded_per_image_and_per_stream():
    processor = StreamProcessor()
    processor.partials_asked = 2
    images = []
    for index in range(150):
        processor.feed(partial(index % 5, item=f"ig_{index // 5}"))
        images += processor.take_images()
    assert len(images) == MAX_PARTIALS_PER_STREAM
    assert {image.partial_index for image in images} == {0, 1, 2}
    assert processor.partials_dropped == 150 - MAX_PARTIALS_PER_STREAM


def test_a_repeated_index_is_dropped():
    processor = StreamProcessor()
    processor.partials_asked = 3
    processor.feed(partial(0) + partial(0))
    assert len(processor.take_images()) == 1


def test_partials_asked_by_reads_the_image_tool():
    assert (
        partials_asked_by({"tools": [{"type": "web_search"}, {"type": "image_generation", "partial_images": 2}]}) == 2
    )
    assert partials_asked_by({"agent_reference": {"name": "a"}}) is None
