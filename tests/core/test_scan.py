"""ImageScanner: images decoded out of a body as it arrives, the same whatever the chunks, the JSON kept exact."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundry_imagegen import ResponseTooLargeError
from foundry_imagegen._core.scan import CutBody, ImageScanner, cut_images

IMAGE = random.Random(7).randbytes(5000)
B64 = base64.b64encode(IMAGE).decode()


def answer(*results: str, **extra: Any) -> bytes:
    output = [{"type": "image_generation_call", "id": f"ig_{n}", "result": r} for n, r in enumerate(results)]
    return json.dumps({"id": "resp_1", "output": output, **extra}).encode()


def scanned(content: bytes, cuts: list[int], **kwargs: Any) -> CutBody:
    scanner = ImageScanner(**kwargs)
    start = 0
    for cut in sorted(set(cuts)):
        scanner.feed(content[start:cut])
        start = cut
    scanner.feed(content[start:])
    return scanner.finish()


def restored(body: CutBody) -> Any:
    """The JSON of ``rest`` with each placeholder back as base64: what the body said."""

    def back(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: back(item) for key, item in value.items()}
        if isinstance(value, list):
            return [back(item) for item in value]
        if isinstance(value, str) and value in body.decoded:
            return base64.b64encode(body.decoded[value]).decode()
        return value

    return back(json.loads(body.rest))


BODIES = [
    answer(B64),
    answer(B64, B64[:-8] + "AAAA"),
    answer("AAAA"),  # small: left in the JSON
    answer(B64.replace("A", "\\/", 1)),  # an escape: not strict base64
    answer("data:image/png;base64," + B64),
    answer(B64[:2000] + "==" + B64[2000:]),  # padding in the middle
    answer(B64 + "="),  # bad padding at the end
    answer(B64, note='"result": "x"'),
    json.dumps({"result": B64, "other": {"result": 1}}, indent=3).encode(),
    b'{"result"\n :\t "' + B64.encode() + b'"}',
    answer(B64)[:-40],  # cut off inside the string
    answer(B64, instructions="\u0000foundry-imagegen:0"),  # a forged placeholder
]


@settings(max_examples=150, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(BODIES) - 1),
    cuts=st.lists(st.integers(min_value=0, max_value=7000), max_size=12),
)
def test_any_chunking_gives_what_the_whole_body_gives(index: int, cuts: list[int]) -> None:
    content = BODIES[index]
    whole = cut_images(content)
    body = scanned(content, cuts)
    assert body.rest == whole.rest and body.decoded == whole.decoded
    assert body.original() == content


@pytest.mark.parametrize("chunk", [1, 3, 4, 7, 64, 65536])
def test_the_image_comes_out_decoded_and_the_rest_parses(chunk: int) -> None:
    content = answer(B64, B64)
    body = scanned(content, list(range(chunk, len(content), chunk)))
    assert list(body.decoded.values()) == [IMAGE, IMAGE]
    assert len(body.rest) < 300
    assert restored(body) == json.loads(content)


@pytest.mark.parametrize(
    "content",
    [BODIES[2], BODIES[3], BODIES[4], BODIES[5], BODIES[6], BODIES[10], BODIES[11]],
    ids=["small", "escape", "data-url", "mid-padding", "end-padding", "truncated", "forged-placeholder"],
)
def test_what_is_not_a_clean_image_stays_as_sent(content: bytes) -> None:
    body = scanned(content, list(range(1000, len(content), 1000)))
    assert body.decoded == {} and body.rest == content


def test_a_forged_placeholder_is_never_taken_for_an_image() -> None:
    content = answer(B64, instructions="\u0000foundry-imagegen:0")
    body = cut_images(content)
    assert body.decoded == {}
    assert json.loads(body.original())["instructions"] == "\u0000foundry-imagegen:0"


def test_the_raw_body_is_kept_only_when_asked() -> None:
    content = answer(B64)
    assert scanned(content, [100], keep_raw=True).raw == content
    assert scanned(content, [100]).raw is None


def test_the_limit_stops_the_body_at_the_chunk_that_passes_it() -> None:
    scanner = ImageScanner(limit=4096)
    scanner.feed(b"x" * 4096)
    with pytest.raises(ResponseTooLargeError, match="max_body_bytes=4096"):
        scanner.feed(b"x")


def test_several_keys_are_looked_for_at_once() -> None:
    content = json.dumps({"partial_image_b64": B64, "result": B64}).encode()
    body = cut_images(content, (b'"partial_image_b64"', b'"result"'))
    assert list(body.decoded.values()) == [IMAGE, IMAGE]
    assert body.original() == content


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=3000), cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=6))
def test_arbitrary_bytes_come_back_unchanged(data: bytes, cuts: list[int]) -> None:
    content = b'{"result": "' + data + b'" "result":"' + base64.b64encode(data) + b'"'
    body = scanned(content, cuts)
    assert body.original() == content


@pytest.mark.parametrize(
    ("known", "same"),
    [
        pytest.param([IMAGE], True, id="the-same-image"),
        pytest.param([IMAGE[:-1] + b"\x00"], False, id="differs-at-the-end"),
        pytest.param([b"\x00" + IMAGE[1:]], False, id="differs-at-the-start"),
        pytest.param([IMAGE + b"more"], False, id="longer"),
        pytest.param([IMAGE[:3000]], False, id="shorter"),
        pytest.param([IMAGE[:3000], IMAGE], True, id="one-of-several"),
    ],
)
def test_a_value_repeating_a_known_image_maps_to_it(known: list[bytes], same: bool) -> None:
    content = answer(B64)
    body = scanned(content, list(range(500, len(content), 500)), known=known)
    (data,) = body.decoded.values()
    assert data == IMAGE
    assert any(data is image for image in known) is same
    assert body.original() == content


@pytest.mark.parametrize("hint", [0, 10, len(IMAGE) - 1, len(IMAGE), len(IMAGE) * 3])
def test_a_size_hint_right_or_wrong_gives_the_same_image(hint: int) -> None:
    content = answer(B64, B64[:4000])
    body = scanned(content, list(range(700, len(content), 700)), size_hint=hint)
    assert list(body.decoded.values()) == [IMAGE, base64.b64decode(B64[:4000])]
