"""Image inputs: how every kind resolves (and how it is refused), their wire parts, mask checks and edit plans."""

from __future__ import annotations

import base64

import pytest
from PIL import Image

from foundry_imagegen import ConfigurationError, FileId, GeneratedImage, GenerationResult, MaskWarning
from foundry_imagegen._core.inputs import (
    MAX_DATA_URL_CHARS,
    MAX_IMAGE_BYTES,
    EditPlan,
    ResolvedImage,
    check_mask,
    plan_edit,
    resolve_image,
)
from foundry_imagegen._core.results import Response
from tests.testkit import encode, make_png


def pil_png(width: int, height: int, mode: str = "RGBA", *, clear: tuple[int, int, int, int] | None = None) -> bytes:
    """A PNG drawn with Pillow; ``clear`` (x0, y0, x1, y1) is made fully transparent (alpha 0)."""
    image = Image.new(mode, (width, height), (10, 20, 30, 255) if mode == "RGBA" else (10, 20, 30))
    if clear is not None:
        x0, y0, x1, y1 = clear
        for x in range(x0, x1):
            for y in range(y0, y1):
                image.putpixel((x, y), (0, 0, 0, 0))
    return encode(image)


def encoded(width: int, height: int, fmt: str) -> bytes:
    return encode(Image.new("RGB", (width, height), (200, 100, 50)), fmt)


def result(*, store: bool | None, images: tuple[GeneratedImage, ...] | None = None) -> GenerationResult:
    if images is None:
        images = (GeneratedImage(id="ig_1", data=make_png(16, 16), format="png"),)
    return GenerationResult(response=Response(id="resp_prev", status="completed", store=store), images=images)


def resolved(plan: EditPlan) -> ResolvedImage:
    """The image input a plan sends, resolved (a plan that sends none fails the test)."""
    assert plan.image is not None, plan
    return resolve_image(plan.image)


# --------------------------------------------------------------------------- resolve_image


def test_bytes_resolve_with_format_size_and_alpha():
    rgb = resolve_image(make_png(12, 7))
    assert (rgb.kind, rgb.format, rgb.width, rgb.height, rgb.has_alpha) == ("bytes", "png", 12, 7, False)
    assert rgb.data == make_png(12, 7)
    rgba = resolve_image(bytearray(make_png(5, 9, rgba=True)))
    assert (rgba.kind, rgba.width, rgba.height, rgba.has_alpha) == ("bytes", 5, 9, True)
    assert isinstance(rgba.data, bytes)


def test_jpeg_and_webp_bytes_resolve():
    jpeg = resolve_image(encoded(20, 10, "JPEG"))
    assert (jpeg.format, jpeg.width, jpeg.height, jpeg.has_alpha) == ("jpeg", 20, 10, None)
    webp = resolve_image(encoded(6, 4, "WEBP"))
    assert (webp.format, webp.width, webp.height) == ("webp", 6, 4)


def test_urls_pass_through_unread():
    for url in ("https://example.com/cat.png", "http://example.com/cat"):
        image = resolve_image(url)
        assert (image.kind, image.url, image.data) == ("url", url, None)


def test_data_url_is_decoded_and_checked():
    png = make_png(6, 2)
    image = resolve_image("data:image/png;base64," + base64.b64encode(png).decode())
    assert (image.kind, image.data, image.format, image.width, image.height) == ("bytes", png, "png", 6, 2)


def test_file_id_is_taken_as_an_uploaded_file_not_a_path():
    image = resolve_image(FileId("assistant-abc"))
    assert (image.kind, image.file_id, image.data) == ("file_id", "assistant-abc", None)


def test_generated_image_resolves_to_its_bytes():
    png = make_png(10, 10)
    image = resolve_image(GeneratedImage(id="ig_9", data=png, format="png"))
    assert (image.kind, image.data, image.name, image.width) == ("bytes", png, "ig_9", 10)


def test_empty_inputs_are_refused():
    with pytest.raises(ConfigurationError, match=r"mask is empty. Fix:"):
        resolve_image(b"", param="mask")
    with pytest.raises(ConfigurationError, match=r"FileId\(''\) is empty. Fix: pass the id returned by files.upload"):
        resolve_image(FileId(" "))


def test_non_images_are_refused():
    with pytest.raises(ConfigurationError, match=r"images\[0\] \(bytes\) is not a PNG, JPEG or WebP image.*Fix:"):
        resolve_image(b"hello world", param="images[0]")
    gif = b"GIF89a" + b"\x00" * 20
    with pytest.raises(ConfigurationError, match=r"not a PNG, JPEG or WebP"):
        resolve_image(gif)


def test_data_url_over_the_service_limit_is_refused():
    prefix = "data:image/png;base64,"
    too_long = prefix + "A" * (MAX_DATA_URL_CHARS - len(prefix) + 1)
    assert len(too_long) == MAX_DATA_URL_CHARS + 1
    with pytest.raises(ConfigurationError, match=r"20,971,521 characters.*Fix: upload it \(upload_images=True\)"):
        resolve_image(too_long)


def test_data_url_of_something_else_is_refused():
    with pytest.raises(ConfigurationError, match=r"not a PNG, JPEG or WebP"):
        resolve_image("data:text/plain;base64," + base64.b64encode(b"hello").decode())
    with pytest.raises(ConfigurationError, match=r"base64 is broken. Fix:"):
        resolve_image("data:image/png;base64,%%%not-base64%%%")


def test_images_over_the_size_cap_are_refused():
    huge = make_png() + b"\x00" * (MAX_IMAGE_BYTES - len(make_png()) + 1)
    with pytest.raises(ConfigurationError, match=r"MiB limit. Fix:"):
        resolve_image(huge)


def test_other_types_are_refused():
    for value in (42, 1.5, [b"x"], None):
        with pytest.raises(ConfigurationError, match=r"Fix: pass bytes, a path, a URL, a FileId or a GeneratedImage"):
            resolve_image(value)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- wire parts


def test_input_part_and_mask_param_of_bytes_are_data_urls():
    png = make_png(4, 4)
    image = resolve_image(png)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    assert image.data_url() == url
    assert image.input_part() == {"type": "input_image", "image_url": url, "detail": "auto"}
    assert image.input_part("high") == {"type": "input_image", "image_url": url, "detail": "high"}
    assert image.mask_param() == {"image_url": url}
    jpeg = resolve_image(encoded(4, 4, "JPEG"))
    assert jpeg.input_part()["image_url"].startswith("data:image/jpeg;base64,")


def test_input_part_and_mask_param_of_urls_and_file_ids():
    url = resolve_image("https://example.com/cat.png")
    assert url.input_part() == {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "auto"}
    assert url.mask_param() == {"image_url": "https://example.com/cat.png"}
    file = resolve_image(FileId("assistant-1"))
    assert file.input_part() == {"type": "input_image", "file_id": "assistant-1", "detail": "auto"}
    assert file.mask_param() == {"file_id": "assistant-1"}


def test_with_file_id_keeps_the_image_facts():
    image = resolve_image(make_png(5, 6, rgba=True)).with_file_id("assistant-7")
    assert (image.kind, image.file_id, image.data, image.width, image.height, image.has_alpha, image.format) == (
        "file_id",
        "assistant-7",
        None,
        5,
        6,
        True,
        "png",
    )
    assert image.input_part() == {"type": "input_image", "file_id": "assistant-7", "detail": "auto"}


def test_inline_images_over_the_data_url_limit_point_to_upload():
    big = make_png() + b"\0" * (MAX_DATA_URL_CHARS * 3 // 4)
    resolved = resolve_image(big)
    with pytest.raises(ConfigurationError, match=r"upload_images=True"):
        resolved.input_part()
    assert resolved.with_file_id("assistant-1").input_part()["file_id"] == "assistant-1"


# --------------------------------------------------------------------------- masks


def test_mask_must_be_png():
    mask = resolve_image(encoded(8, 8, "JPEG"), param="mask")
    with pytest.raises(ConfigurationError, match=r"is jpeg, but a mask must be a PNG.*Fix: save the mask as PNG"):
        check_mask(mask, resolve_image(make_png(8, 8)))


def test_mask_needs_an_alpha_channel():
    with pytest.raises(ConfigurationError, match=r"has no alpha channel.*Fix: save it as RGBA PNG"):
        check_mask(resolve_image(make_png(8, 8), param="mask"), resolve_image(make_png(8, 8)))


def test_mask_must_match_the_image_size():
    mask = resolve_image(pil_png(16, 8, clear=(0, 0, 4, 4)), param="mask")
    with pytest.raises(ConfigurationError) as info:
        check_mask(mask, resolve_image(make_png(8, 16)))
    assert str(info.value) == (
        "mask is 16x8 but the image is 8x16. Fix: make the mask exactly the size of the image it masks"
    )


def test_a_good_mask_passes_silently():
    # filterwarnings=error: a MaskWarning here would fail the test.
    mask = resolve_image(pil_png(16, 16, clear=(4, 4, 8, 8)), param="mask")
    assert check_mask(mask, resolve_image(make_png(16, 16))) is None
    assert check_mask(mask, None) is None  # no base known: only the mask itself is checked
    assert check_mask(resolve_image(pil_png(32, 32, clear=(0, 0, 1, 1))), None) is None


def test_palette_mask_with_transparency_counts_as_alpha():
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    image.putpixel((0, 0), 0)
    mask = encode(image, "PNG", transparency=0)
    assert check_mask(resolve_image(mask, param="mask"), resolve_image(make_png(8, 8))) is None


def test_url_and_file_id_masks_are_left_to_the_service():
    base = resolve_image(make_png(8, 8))
    assert check_mask(resolve_image(FileId("assistant-m")), base) is None
    assert check_mask(resolve_image("https://example.com/m.png"), base) is None


def test_mask_without_a_transparent_pixel_warns():
    opaque = resolve_image(make_png(8, 8, rgba=True), param="mask")  # alpha 3..31, never 0
    with pytest.warns(MaskWarning, match=r"no fully transparent pixel"):
        check_mask(opaque, resolve_image(make_png(8, 8)))
    with pytest.warns(MaskWarning):
        check_mask(resolve_image(pil_png(8, 8)), None)


def test_without_pillow_the_mask_checks_that_need_decoding_are_skipped(monkeypatch):
    import sys

    from PIL import Image

    opaque = encode(Image.new("RGBA", (8, 8), (0, 0, 0, 255)))  # alpha channel, no transparent pixel
    opaque_mask = resolve_image(opaque, param="mask")
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now raises ImportError
    check_mask(opaque_mask, resolve_image(make_png(8, 8)))  # header checks pass; no MaskWarning, no error
    with pytest.raises(ConfigurationError, match="mask is 8x8 but the image is 4x4"):
        check_mask(opaque_mask, resolve_image(make_png(4, 4)))


# --------------------------------------------------------------------------- edit plans


def test_stored_result_continues_by_previous_response_id():
    previous = result(store=True)
    plan = plan_edit(previous)
    assert (plan.via, plan.previous_response_id, plan.image) == ("previous_response_id", "resp_prev", None)
    assert plan.base is previous.images[0]
    assert plan_edit(previous, via="previous_response_id") == plan


@pytest.mark.parametrize("store", [False, None])
def test_unstored_result_resends_its_image(store):
    previous = result(store=store)
    plan = plan_edit(previous)
    assert (plan.via, plan.previous_response_id) == ("input_image", None)
    assert plan.image is previous.images[0]
    assert plan.base is previous.images[0]


def test_unstored_result_without_images_cannot_be_continued():
    with pytest.raises(ConfigurationError, match=r"not stored and holds no image bytes. Fix:"):
        plan_edit(result(store=False, images=()))


def test_via_forces_the_way():
    stored = result(store=True)
    plan = plan_edit(stored, via="input_image")
    assert (plan.via, plan.image, plan.previous_response_id) == ("input_image", stored.images[0], None)
    with pytest.raises(ConfigurationError, match=r"was not stored \(store=False\). Fix: generate with store=True"):
        plan_edit(result(store=False), via="previous_response_id")
    with pytest.raises(ConfigurationError, match=r"needs a GenerationResult.*Fix:"):
        plan_edit(make_png(), via="previous_response_id")


def test_bad_via_is_refused():
    for via in ("previous", "", "AUTO"):
        with pytest.raises(ConfigurationError, match=r"Fix: 'auto', 'previous_response_id' or 'input_image'"):
            plan_edit(result(store=True), via=via)


def test_plain_image_inputs_are_sent_as_input_images():
    png = make_png()
    plan = plan_edit(png)
    # The plan holds the input resolved (checked now, under the name `previous`), not the raw value.
    assert (plan.via, plan.base, plan.previous_response_id) == ("input_image", None, None)
    assert resolved(plan).data == png
    generated = GeneratedImage(id="ig_2", data=png, format="png")
    plan = plan_edit(generated)
    assert (plan.via, plan.base) == ("input_image", generated)
    assert resolved(plan).data == png
    assert resolved(plan_edit(FileId("assistant-1"))).file_id == "assistant-1"
    with pytest.raises(ConfigurationError, match=r"previous='nope\.png'"):
        plan_edit("nope.png")
