"""Rendering: deterministic, prompt-derived, honouring size/format/background; partials are coarser."""

from __future__ import annotations

import io
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundry_imagegen.emulator._png import Raster, decode_png
from foundry_imagegen.emulator._render import (
    ImageDecodeError,
    PillowMissing,
    blend,
    build_scene,
    convert_channels,
    decode_image,
    encode_image,
    partial_scale,
    pillow_available,
    render,
    render_edit,
    resize_nearest,
    sniff_format,
)


def _distinct_colors(raster: Raster, step: int = 7) -> set[tuple[int, ...]]:
    return {raster.pixel(x, y) for y in range(0, raster.height, step) for x in range(0, raster.width, step)}


def test_same_inputs_give_identical_bytes_and_different_prompts_differ() -> None:
    a = encode_image(render(build_scene("a lighthouse at night", seed=0), 1024, 1024), "png")
    b = encode_image(render(build_scene("a lighthouse at night", seed=0), 1024, 1024), "png")
    c = encode_image(render(build_scene("a lighthouse at noon", seed=0), 1024, 1024), "png")
    d = encode_image(render(build_scene("a lighthouse at night", seed=1), 1024, 1024), "png")
    assert a == b
    assert len({a, c, d}) == 3


def test_palette_comes_from_prompt_words() -> None:
    # The same word gives the same colour whatever else is in the prompt.
    s1 = build_scene("ocean sunset", seed=0)
    s2 = build_scene("ocean forest", seed=0)
    assert s1.palette[0] == s2.palette[0]
    assert s1.palette[1] != s2.palette[1]


def test_picture_is_shapes_not_noise() -> None:
    raster = render(build_scene("a red fox", seed=0), 1024, 1024)
    colors = _distinct_colors(raster)
    # A handful of flat colours and gradient bands: far fewer than the ~21k sampled pixels.
    assert 5 < len(colors) < 400
    # Long identical runs: the first row of the sky is one colour from edge to edge.
    assert len(set(raster.rows[0][i : i + 3] for i in range(0, 3072, 3))) == 1


@pytest.mark.parametrize(("w", "h"), [(1024, 1024), (1024, 1536), (1536, 1024), (1280, 720), (3840, 2160)])
def test_size_is_honoured(w: int, h: int) -> None:
    decoded = decode_png(encode_image(render(build_scene("x", seed=0), w, h), "png"))
    assert (decoded.width, decoded.height, decoded.channels) == (w, h, 3)


def test_transparent_background_has_real_alpha() -> None:
    raster = render(build_scene("a balloon", seed=0), 1024, 1024, transparent=True)
    assert raster.channels == 4
    alphas = {raster.pixel(x, y)[3] for y in range(0, 1024, 16) for x in range(0, 1024, 16)}
    assert alphas == {0, 255}
    assert raster.pixel(0, 0)[3] == 0 or raster.pixel(1023, 1023)[3] == 0


def test_partials_are_coarser_versions_of_the_same_picture() -> None:
    scene = build_scene("a castle on a hill", seed=0)
    final = render(scene, 1024, 1024)
    partials = [render(scene, 1024, 1024, scale=partial_scale(k), shape_fraction=(k + 1) / 4) for k in range(3)]
    assert [partial_scale(k) for k in range(3)] == [16, 8, 4]
    for k, p in enumerate(partials):
        assert (p.width, p.height) == (1024, 1024)
        block = partial_scale(k)
        # Blocks of block x block pixels are uniform.
        assert p.rows[0] == p.rows[block - 1]
        assert p.pixel(0, 0) == p.pixel(block - 1, 0)
        assert p.rows != final.rows
    # The coarsest partial has the fewest distinct rows; detail grows monotonically.
    distinct = [len(set(p.rows)) for p in partials] + [len(set(final.rows))]
    assert distinct == sorted(distinct)
    assert distinct[0] < distinct[-1]
    # Same sky colour at the top-left: it is the same picture.
    assert partials[0].pixel(0, 0) == final.pixel(0, 0)


def test_partial_upscale_handles_sizes_not_divisible_by_the_block() -> None:
    p = render(build_scene("x", seed=0), 1000, 1010, scale=16, transparent=True)
    assert (p.width, p.height, len(p.rows)) == (1000, 1010, 1010)
    assert all(len(r) == 4000 for r in p.rows)


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_pillow_formats_and_compression(fmt: str) -> None:
    Image = pytest.importorskip("PIL.Image")
    raster = render(build_scene("a garden", seed=0, quality="high"), 1024, 1536)
    hi = encode_image(raster, fmt, compression=100)
    lo = encode_image(raster, fmt, compression=10)
    assert sniff_format(hi) == fmt
    assert len(lo) < len(hi)
    img = Image.open(io.BytesIO(hi))
    assert img.size == (1024, 1536)


def test_webp_keeps_alpha() -> None:
    Image = pytest.importorskip("PIL.Image")
    data = encode_image(render(build_scene("a kite", seed=0), 1024, 1024, transparent=True), "webp")
    img = Image.open(io.BytesIO(data))
    assert img.mode == "RGBA"
    assert img.getextrema()[3][0] == 0


def test_without_pillow_only_png_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    assert not pillow_available()
    raster = render(build_scene("x", seed=0), 1024, 1024)
    assert encode_image(raster, "png").startswith(b"\x89PNG")
    with pytest.raises(PillowMissing, match=r"foundry-imagegen\[pillow\]"):
        encode_image(raster, "jpeg")
    with pytest.raises(PillowMissing, match=r"foundry-imagegen\[pillow\]"):
        decode_image(b"\xff\xd8\xff\xe0" + bytes(20))


def test_decode_image_png_and_pillow_formats() -> None:
    raster = render(build_scene("x", seed=0), 1024, 1024, transparent=True)
    assert decode_image(encode_image(raster, "png")) == raster
    pytest.importorskip("PIL.Image")
    jpeg = decode_image(encode_image(raster, "jpeg"))
    assert (jpeg.width, jpeg.height, jpeg.channels) == (1024, 1024, 3)
    with pytest.raises(ImageDecodeError):
        decode_image(b"not an image at all")
    with pytest.raises(ImageDecodeError):
        decode_image(b"")


def test_resize_and_convert() -> None:
    src = Raster(2, 2, 3, [b"\x01\x01\x01\x02\x02\x02", b"\x03\x03\x03\x04\x04\x04"])
    big = resize_nearest(src, 4, 4)
    assert big.pixel(0, 0) == (1, 1, 1)
    assert big.pixel(3, 0) == (2, 2, 2)
    assert big.pixel(3, 3) == (4, 4, 4)
    assert resize_nearest(src, 1, 1).pixel(0, 0) == (1, 1, 1)
    rgba = convert_channels(src, 4)
    assert rgba.pixel(1, 1) == (4, 4, 4, 255)
    assert convert_channels(rgba, 3) == src


@settings(max_examples=50, deadline=None)
@given(
    st.binary(min_size=1, max_size=48).flatmap(
        lambda a: st.tuples(st.just(a), st.binary(min_size=len(a), max_size=len(a)))
    )
)
def test_blend_is_a_bytewise_average(pair: tuple[bytes, bytes]) -> None:
    a, b = pair
    out = blend(a, b)
    assert len(out) == len(a)
    for x, y, z in zip(a, b, out, strict=True):
        assert min(x, y) <= z <= max(x, y)
        assert abs(z - (x + y) / 2) <= 0.5
    assert blend(a, a) == a


def test_edit_with_mask_changes_only_editable_pixels() -> None:
    base = render(build_scene("a meadow", seed=0), 1024, 1024)
    # Mask: left half editable (alpha 0), right half kept.
    row = b"\x00\x00\x00\x00" * 512 + b"\xff\xff\xff\xff" * 512
    mask = Raster(1024, 1024, 4, [row] * 1024)
    edited = render_edit(
        base, mask, build_scene("add a purple moon", seed=0, salt="edit"), 1024, 1024, transparent=False
    )
    for y in range(0, 1024, 37):
        assert edited.rows[y][512 * 3 :] == base.rows[y][512 * 3 :]
    assert any(edited.rows[y][: 512 * 3] != base.rows[y][: 512 * 3] for y in range(1024))


def test_edit_without_mask_overlays_shapes() -> None:
    base = render(build_scene("a meadow", seed=0), 1024, 1024)
    edited = render_edit(
        base, None, build_scene("add a purple moon", seed=0, salt="edit"), 1024, 1024, transparent=False
    )
    changed_rows = sum(a != b for a, b in zip(base.rows, edited.rows, strict=True))
    assert changed_rows > 0
    # Mixed at 50 %: the changed pixels are neither the base nor the flat shape colour.
    y = next(i for i in range(1024) if base.rows[i] != edited.rows[i])
    x = next(i for i in range(1024) if base.pixel(i, y) != edited.pixel(i, y))
    assert edited.pixel(x, y) != base.pixel(x, y)
