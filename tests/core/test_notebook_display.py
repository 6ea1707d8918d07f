"""``GeneratedImage`` in notebooks: the mime bundle Jupyter renders, and ``to_pil()`` with and without Pillow."""

from __future__ import annotations

import sys

import pytest

from foundry_imagegen import GeneratedImage
from foundry_imagegen._core.images import sniff_format
from tests.testkit import encode, make_png

PNG = make_png(8, 6)


def image(data: bytes) -> GeneratedImage:
    return GeneratedImage(id="ig_1", data=data, format=sniff_format(data))


def test_png_displays_as_png():
    shown = image(PNG)
    assert shown._repr_png_() == PNG
    assert shown._repr_jpeg_() is None
    bundle = shown._repr_mimebundle_()
    assert bundle["image/png"] == PNG
    assert bundle["text/plain"].startswith("GeneratedImage(")


def test_jpeg_displays_as_jpeg():
    from PIL import Image

    jpeg = encode(Image.new("RGB", (4, 4)), "JPEG")
    shown = image(jpeg)
    assert shown._repr_jpeg_() == jpeg and shown._repr_png_() is None
    assert shown._repr_mimebundle_()["image/jpeg"] == jpeg


def test_to_pil():
    pil = image(PNG).to_pil()
    assert pil.size == (8, 6) and pil.format == "PNG"


def test_to_pil_without_pillow_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'foundry-imagegen\[pillow\]'"):
        image(PNG).to_pil()
