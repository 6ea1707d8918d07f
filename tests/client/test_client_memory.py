"""What a result keeps: each image once, the raw body only when asked (keep_raw_body=True)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.client.wire import PNG, PNG_B64, PROJECT_URL, ok_response
from tests.core.test_parse_fast import big_png

BIG = big_png(30_000, seed=5)


async def test_a_result_holds_no_base64_by_default(h):
    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    result = await h.run(h.client().generate, "a fox")
    assert result.image.data == PNG
    assert result.raw_body is None
    assert result.response.image_calls[0].result is None
    assert PNG_B64 not in json.dumps(result.response.model_dump())


async def test_keep_raw_body_keeps_the_answer_as_sent(h):
    answer = ok_response()
    h.mock.post(PROJECT_URL).mock(return_value=answer)
    result = await h.run(h.client(keep_raw_body=True).generate, "a fox")
    assert result.raw_body is not None
    assert json.loads(result.raw_body)["output"][0]["result"] == PNG_B64
    assert result.image.data == PNG


async def test_a_large_image_is_decoded_from_the_body_and_saved(h, tmp_path: Path):
    from tests.client.wire import image_call

    h.mock.post(PROJECT_URL).mock(return_value=ok_response([image_call(base64.b64encode(BIG).decode())]))
    result = await h.run(h.client().generate, "a fox")
    assert result.image.data == BIG
    path = await result.asave(tmp_path / "fox")
    assert path.name == "fox.png" and path.read_bytes() == BIG


class Trickle(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that arrives a few bytes at a time, cut anywhere (inside keys, inside base64 groups)."""

    def __init__(self, content: bytes, size: int) -> None:
        self.pieces = [content[i : i + size] for i in range(0, len(content), size)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


@pytest.mark.parametrize("size", [1, 7, 4096])
async def test_an_answer_trickling_in_gives_the_image_and_the_body_as_sent(h, size: int):
    from tests.client.wire import image_call, response_body

    content = json.dumps(response_body([image_call(base64.b64encode(BIG).decode())])).encode()
    answer = httpx.Response(200, headers={"content-type": "application/json"}, stream=Trickle(content, size))
    h.mock.post(PROJECT_URL).mock(return_value=answer)
    result = await h.run(h.client(keep_raw_body=True).generate, "a fox")
    assert result.image.data == BIG
    assert result.raw_body == content


@pytest.mark.parametrize("stated", [10, 10_000_000])
async def test_a_content_length_that_lies_about_the_body_is_not_trusted(h, stated: int):
    from tests.client.wire import image_call, response_body

    content = json.dumps(response_body([image_call(base64.b64encode(BIG).decode())])).encode()
    stream = Trickle(content, 4096)
    answer = httpx.Response(200, headers={"content-length": str(stated)}, stream=stream)
    h.mock.post(PROJECT_URL).mock(return_value=answer)
    result = await h.run(h.client().generate, "a fox")
    assert result.image.data == BIG
