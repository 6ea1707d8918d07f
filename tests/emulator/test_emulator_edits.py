"""Image inputs, masks and multi-turn edits."""

from __future__ import annotations

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

Image = pytest.importorskip("PIL.Image")


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def _mask(size=(1024, 1024), editable_top_rows: int = 512) -> bytes:
    m = Image.new("RGBA", size, (0, 0, 0, 255))
    m.paste((0, 0, 0, 0), (0, 0, size[0], editable_top_rows))
    return _png(m)


def _pixels(b64: str):
    img = Image.open(io.BytesIO(base64.b64decode(b64)))
    img.load()
    return img


def _generate(api, **tool):
    body = api.create(api.image_body(tool)).json()
    return body, body["output"][0]


def test_previous_response_id_edits_the_last_image(api) -> None:
    first, call = _generate(api)
    second = api.create(
        {
            "model": "gpt-4.1",
            "input": "add a boat",
            "previous_response_id": first["id"],
            "tools": [{"type": "image_generation"}],
        }
    ).json()
    edit = second["output"][0]
    assert edit["action"] == "edit"
    assert second["previous_response_id"] == first["id"]
    assert edit["revised_prompt"].startswith("Edit of the previous image")
    a, b = _pixels(call["result"]), _pixels(edit["result"])
    assert a.size == b.size and a.tobytes() != b.tobytes()
    # Most of the picture survives an unmasked edit (shapes are mixed in, not a new picture).
    same = sum(x == y for x, y in zip(a.tobytes()[::97], b.tobytes()[::97], strict=True))
    assert same > 0.5 * len(a.tobytes()[::97])


def test_unknown_previous_response_is_404(api) -> None:
    r = api.create(api.image_body(previous_response_id="resp_missing"))
    assert r.status_code == 404
    err = r.json()["error"]
    assert (err["param"], err["code"]) == ("previous_response_id", "previous_response_not_found")


def test_previous_response_without_image_generates(api) -> None:
    text = api.create({"model": "gpt-4o", "input": "hi"}, image_deployment=None).json()
    r = api.create(api.image_body(previous_response_id=text["id"]))
    assert r.json()["output"][0]["action"] == "generate"


def test_masked_edit_changes_only_transparent_mask_pixels(api) -> None:
    _, call = _generate(api)
    body = {
        "model": "gpt-4.1",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "a purple moon"},
                    {
                        "type": "input_image",
                        "image_url": _data_url(base64.b64decode(call["result"])),
                        "detail": "auto",
                    },
                ],
            }
        ],
        "tools": [{"type": "image_generation", "input_image_mask": {"image_url": _data_url(_mask())}}],
    }
    edit = api.create(body).json()["output"][0]
    assert edit["action"] == "edit"
    before = _pixels(call["result"]).tobytes()
    after = _pixels(edit["result"]).tobytes()
    half = 512 * 1024 * 3
    assert after[half:] == before[half:]
    assert after[:half] != before[:half]


def test_edit_by_image_generation_call_item_and_file_mask(api, http) -> None:
    _, call = _generate(api)
    up = http.post(
        api.emu.url + "/openai/v1/files",
        files={"file": ("mask.png", _mask(editable_top_rows=100), "image/png")},
        data={"purpose": "assistants"},
    ).json()
    body = {
        "model": "gpt-4.1",
        "input": [{"type": "image_generation_call", "id": call["id"]}, {"role": "user", "content": "snow"}],
        "tools": [{"type": "image_generation", "input_image_mask": {"file_id": up["id"]}}],
    }
    edit = api.create(body).json()["output"][0]
    before, after = _pixels(call["result"]).tobytes(), _pixels(edit["result"]).tobytes()
    cut = 100 * 1024 * 3
    assert after[cut:] == before[cut:] and after[:cut] != before[:cut]


def test_item_reference_and_inline_result(api) -> None:
    _, call = _generate(api)
    ref = api.create(
        {
            "model": "gpt-4.1",
            "input": [{"type": "item_reference", "id": call["id"]}, {"role": "user", "content": "x"}],
            "tools": [{"type": "image_generation"}],
        }
    )
    assert ref.json()["output"][0]["action"] == "edit"
    inline = api.create(
        {
            "model": "gpt-4.1",
            "input": [
                {
                    "type": "image_generation_call",
                    "id": "ig_elsewhere",
                    "status": "completed",
                    "result": call["result"],
                }
            ],
            "tools": [{"type": "image_generation"}],
        }
    )
    assert inline.json()["output"][0]["action"] == "edit"


def test_unknown_image_call_id_is_404(api) -> None:
    r = api.create(
        {
            "model": "gpt-4.1",
            "input": [{"type": "image_generation_call", "id": "ig_nope"}],
            "tools": [{"type": "image_generation"}],
        }
    )
    assert r.status_code == 404


def test_input_image_by_file_id_resized_to_output_size(api, http) -> None:
    src = Image.new("RGB", (300, 200), (10, 200, 30))
    up = http.post(
        api.emu.url + "/openai/v1/files",
        files={"file": ("in.png", _png(src), "image/png")},
        data={"purpose": "assistants"},
    ).json()
    body = {
        "model": "gpt-4.1",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_image", "file_id": up["id"]},
                    {"type": "input_text", "text": "x"},
                ],
            }
        ],
        "tools": [{"type": "image_generation", "size": "1536x1024"}],
    }
    out = _pixels(api.create(body).json()["output"][0]["result"])
    assert out.size == (1536, 1024)
    assert out.getpixel((0, 0)) in {(10, 200, 30)} or out.getpixel((1535, 1023)) == (10, 200, 30)


def test_auto_size_keeps_a_standard_input_size(api) -> None:
    src = _png(Image.new("RGB", (1024, 1536), (1, 2, 3)))
    body = {
        "model": "gpt-4.1",
        "input": [{"role": "user", "content": [{"type": "input_image", "image_url": _data_url(src)}]}],
        "tools": [{"type": "image_generation"}],
    }
    call = api.create(body).json()["output"][0]
    assert call["size"] == "1024x1536"


def test_jpeg_input_image_via_pillow(api) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 0, 0)).save(buf, "JPEG")
    body = {
        "model": "gpt-4.1",
        "input": [
            {
                "role": "user",
                "content": [{"type": "input_image", "image_url": _data_url(buf.getvalue(), "image/jpeg")}],
            }
        ],
        "tools": [{"type": "image_generation"}],
    }
    assert api.create(body).json()["output"][0]["action"] == "edit"


def test_transparent_edit_output(api) -> None:
    first, _ = _generate(api)
    r = api.create(api.image_body({"background": "transparent"}, previous_response_id=first["id"]))
    call = r.json()["output"][0]
    assert call["action"] == "edit"
    assert _pixels(call["result"]).mode == "RGBA"


@pytest.mark.parametrize(
    ("image_url", "code"),
    [
        ("data:image/png;base64,@@@", "invalid_base64_image"),
        ("data:image/png,rawtext", "invalid_image_url"),
        ("ftp://x/y.png", "invalid_image_url"),
        ("https://example.com/cat.png", "failed_to_download_image"),
        (_data_url(b"GIF89a-not-really"), "invalid_image_format"),
        (_data_url(b"hello world"), "invalid_image_format"),
        ("data:image/png;base64,", "empty_image_file"),
    ],
)
def test_bad_input_images(api, image_url: str, code: str) -> None:
    body = {
        "model": "gpt-4.1",
        "input": [{"role": "user", "content": [{"type": "input_image", "image_url": image_url}]}],
        "tools": [{"type": "image_generation"}],
    }
    r = api.create(body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert err["param"].startswith("input[0].content[0]")


def test_missing_file_id(api) -> None:
    body = {
        "model": "gpt-4.1",
        "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "assistant-nope"}]}],
        "tools": [{"type": "image_generation"}],
    }
    err = api.create(body).json()["error"]
    assert (err["code"], err["param"]) == ("image_file_not_found", "input[0].content[0].file_id")


def test_loopback_image_urls_are_fetched(api) -> None:
    png = _png(Image.new("RGB", (1024, 1024), (0, 0, 255)))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/img.png"
        body = {
            "model": "gpt-4.1",
            "input": [{"role": "user", "content": [{"type": "input_image", "image_url": url}]}],
            "tools": [{"type": "image_generation"}],
        }
        r = api.create(body)
        assert r.status_code == 200, r.text
        assert r.json()["output"][0]["action"] == "edit"
        dead = api.create(
            {
                **body,
                "input": [
                    {
                        "role": "user",
                        "content": [{"type": "input_image", "image_url": "http://127.0.0.1:9/x.png"}],
                    }
                ],
            }
        )
        assert dead.json()["error"]["code"] == "failed_to_download_image"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_mask_must_match_image_size_and_have_alpha(api) -> None:
    _, call = _generate(api)
    base = {"model": "gpt-4.1", "input": [{"type": "image_generation_call", "id": call["id"]}]}
    wrong = api.create(
        {
            **base,
            "tools": [{"type": "image_generation", "input_image_mask": {"image_url": _data_url(_mask((512, 512)))}}],
        }
    )
    assert wrong.status_code == 400
    err = wrong.json()["error"]
    assert (err["type"], err["param"]) == ("invalid_request_error", "tools[0].input_image_mask")
    rgb = _png(Image.new("RGB", (1024, 1024)))
    no_alpha = api.create(
        {**base, "tools": [{"type": "image_generation", "input_image_mask": {"image_url": _data_url(rgb)}}]}
    )
    assert no_alpha.json()["error"]["param"] == "tools[0].input_image_mask"


def test_action_edit_needs_an_image_and_generate_ignores_it(api) -> None:
    r = api.create(api.image_body({"action": "edit"}))
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "tools[0].action"
    first, _ = _generate(api)
    r = api.create(api.image_body({"action": "generate"}, previous_response_id=first["id"]))
    assert r.json()["output"][0]["action"] == "generate"


def test_streamed_edit_partials_are_coarse_versions_of_the_edit(api) -> None:
    first, _ = _generate(api)
    body = {**api.image_body({"partial_images": 2}), "previous_response_id": first["id"]}
    _, events = api.stream(body)
    partials = [e.json for e in events if e.event == "response.image_generation_call.partial_image"]
    final = next(e.json["item"] for e in events if e.event == "response.output_item.done")
    assert len(partials) == 2 and final["action"] == "edit"
    assert all(_pixels(p["partial_image_b64"]).size == (1024, 1024) for p in partials)


def test_edits_are_deterministic(api) -> None:
    first, _ = _generate(api)
    body = api.image_body(previous_response_id=first["id"])
    assert api.create(body).json()["output"][0]["result"] == api.create(body).json()["output"][0]["result"]
