"""In-memory Files API (multipart uploads parsed with the standard library)."""

from __future__ import annotations

import os

import pytest

from foundry_imagegen.emulator._files import parse_multipart


@pytest.mark.parametrize("project", [True, False])
def test_upload_get_content_delete(emu, http, project: bool) -> None:
    base = (emu.endpoint if project else emu.url) + "/openai/v1/files"
    data = os.urandom(3000) + b"\r\n--not-a-boundary\r\n" + b"\x89PNG\r\n\x1a\n"
    r = http.post(base, files={"file": ("pic.png", data, "image/png")}, data={"purpose": "assistants"})
    assert r.status_code == 200, r.text
    meta = r.json()
    assert meta["id"].startswith("assistant-")
    assert (meta["object"], meta["bytes"], meta["filename"], meta["purpose"], meta["status"]) == (
        "file",
        len(data),
        "pic.png",
        "assistants",
        "processed",
    )
    assert isinstance(meta["created_at"], int)
    assert http.get(f"{base}/{meta['id']}").json() == meta
    assert http.get(f"{base}/{meta['id']}/content").content == data
    listing = http.get(base).json()
    assert listing["object"] == "list" and [f["id"] for f in listing["data"]] == [meta["id"]]
    d = http.delete(f"{base}/{meta['id']}")
    assert d.json() == {"id": meta["id"], "object": "file", "deleted": True}
    assert http.get(f"{base}/{meta['id']}").status_code == 404
    assert http.delete(f"{base}/{meta['id']}").status_code == 404
    assert http.get(f"{base}/{meta['id']}/content").status_code == 404


def test_legacy_files_path(emu, http) -> None:
    r = http.post(
        emu.url + "/openai/files?api-version=2024-10-21",
        files={"file": ("a.bin", b"abc")},
        data={"purpose": "assistants"},
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("files", "data", "param"),
    [
        (None, {"purpose": "assistants"}, "file"),
        ({"file": ("a.png", b"x")}, None, "purpose"),
        ({"file": ("a.png", b"x")}, {"purpose": "wallpaper"}, "purpose"),
    ],
)
def test_upload_validation(emu, http, files, data, param: str) -> None:
    if files is None:
        # httpx only sends multipart when there is a file; build a text-only form by hand.
        boundary = "b0undary"
        body = f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n--{boundary}--\r\n'
        r = http.post(
            emu.url + "/openai/v1/files",
            content=body.encode(),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
    else:
        r = http.post(emu.url + "/openai/v1/files", files=files, data=data)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == param


def test_upload_must_be_multipart(emu, http) -> None:
    r = http.post(emu.url + "/openai/v1/files", json={"purpose": "assistants"})
    assert r.status_code == 400


def test_openai_client_files_create(emu) -> None:
    openai = pytest.importorskip("openai")
    with openai.OpenAI(base_url=emu.endpoint + "/openai/v1", api_key="x", max_retries=0) as client:
        f = client.files.create(file=("mask.png", b"\x89PNG fake", "image/png"), purpose="assistants")
        assert f.id.startswith("assistant-") and f.bytes == 9
        assert client.files.retrieve(f.id).filename == "mask.png"
        assert client.files.delete(f.id).deleted is True


def test_parse_multipart_keeps_binary_exact() -> None:
    payload = bytes(range(256)) * 4 + b"\r\n\r\n"
    boundary = "XyZ"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + payload
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n'.encode()
        + f"vision\r\n--{boundary}--\r\n".encode()
    )
    fields = parse_multipart(f"multipart/form-data; boundary={boundary}", body)
    assert fields["file"] == ("x.bin", payload)
    assert fields["purpose"] == (None, b"vision")
