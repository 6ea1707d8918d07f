"""Non-streaming Responses behaviour over real loopback HTTP: routes, validation order, exact error bodies."""

from __future__ import annotations

import base64
import sys
import uuid

import pytest

MISSING_HEADER_BODY = {
    "error": {
        "message": "imagegen deployment must be provided through header: x-ms-oai-image-generation-deployment",
        "type": "image_generation_user_error",
        "param": "tools",
        "code": "invalid_request_error",
    }
}
DEPLOYMENT_NOT_FOUND_BODY = {
    "error": {
        "code": "DeploymentNotFound",
        "message": "The API deployment for this resource does not exist. If you created the deployment "
        "within the last 5 minutes, please wait a moment and try again.",
    }
}
KEY_401 = {
    "error": {
        "code": "401",
        "message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
        "provide a valid key for an active subscription and use a correct regional API endpoint for your "
        "resource.",
    }
}
BEARER_401 = {
    "error": {
        "code": "401",
        "message": "Unauthorized. Access token is missing, invalid, audience is incorrect "
        "(https://ai.azure.com), or have expired.",
    }
}


def test_generate_returns_response_with_image_and_message(api, decode_image) -> None:
    r = api.create(api.image_body())
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["object"] == "response"
    assert body["id"].startswith("resp_")
    assert body["status"] == "completed"
    assert body["error"] is None and body["incomplete_details"] is None
    assert body["model"] == "gpt-4.1"
    assert isinstance(body["created_at"], int)
    call, msg = body["output"]
    assert call["type"] == "image_generation_call"
    assert call["id"].startswith("ig_")
    assert call["status"] == "completed"
    assert (call["size"], call["quality"], call["background"], call["output_format"]) == (
        "1024x1024",
        "medium",
        "opaque",
        "png",
    )
    assert call["action"] == "generate"
    assert "red fox" in call["revised_prompt"].lower()
    assert not call["result"].startswith("data:")
    img = decode_image(call["result"])
    assert (img.format, img.size, img.mode) == ("PNG", (1024, 1024), "RGB")
    assert msg["type"] == "message" and msg["role"] == "assistant"
    assert msg["content"][0]["type"] == "output_text" and msg["content"][0]["text"]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert body["tools"][0]["type"] == "image_generation"
    assert body["store"] is True and body["previous_response_id"] is None and body["metadata"] == {}


def test_every_response_has_fresh_request_ids(api) -> None:
    a = api.create(api.image_body())
    b = api.create({"nope": 1}, image_deployment=None)
    for r in (a, b):
        uuid.UUID(r.headers["x-request-id"])
        uuid.UUID(r.headers["apim-request-id"])
    assert a.headers["x-request-id"] != b.headers["x-request-id"]


@pytest.mark.parametrize("project", [True, False])
@pytest.mark.parametrize("query", ["", "?api-version=v1", "?api-version=2025-04-01-preview"])
def test_project_and_resource_routes_with_any_api_version(api, project: bool, query: str) -> None:
    r = api.create(api.image_body(), project=project, query=query)
    assert r.status_code == 200
    req = api.emu.last_request()
    assert req.path.endswith("/openai/v1/responses")
    assert req.query == ({} if not query else {"api-version": query.split("=")[1]})


def test_legacy_dated_path_is_accepted(api, http) -> None:
    r = http.post(
        api.emu.url + "/openai/responses?api-version=2025-04-01-preview",
        json=api.image_body(),
        headers={"x-ms-oai-image-generation-deployment": "gpt-image-1"},
    )
    assert r.status_code == 200


def test_wrong_project_is_404(api, http) -> None:
    r = http.post(api.emu.url + "/api/projects/other/openai/v1/responses", json=api.image_body())
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_unknown_route_is_404(http, emu) -> None:
    r = http.get(emu.url + "/openai/v1/nothing-here")
    assert r.status_code == 404


def test_missing_image_header_exact_body(api) -> None:
    r = api.create(api.image_body(), image_deployment=None)
    assert r.status_code == 400
    assert r.json() == MISSING_HEADER_BODY


def test_unknown_image_deployment(api) -> None:
    r = api.create(api.image_body(), image_deployment="dall-e-9")
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "message": "The model 'dall-e-9' does not exist.",
            "type": "image_generation_user_error",
            "param": "model",
            "code": "invalid_value",
        }
    }


def test_unknown_model_deployment_is_404(api) -> None:
    r = api.create(api.image_body(model="gpt-9"))
    assert r.status_code == 404
    assert r.json() == DEPLOYMENT_NOT_FOUND_BODY


def test_missing_model_is_400(api) -> None:
    body = api.image_body()
    del body["model"]
    r = api.create(body)
    assert r.status_code == 400
    err = r.json()["error"]
    assert (err["type"], err["param"]) == ("invalid_request_error", "model")


def test_header_is_checked_before_model(api) -> None:
    r = api.create(api.image_body(model="gpt-9"), image_deployment=None)
    assert r.json() == MISSING_HEADER_BODY


def test_model_is_checked_before_tool_fields(api) -> None:
    r = api.create(api.image_body({"quality": "ultra"}, model="gpt-9"))
    assert r.status_code == 404


def test_image_deployment_may_share_the_model_name(make_api) -> None:
    api = make_api(model_deployments=["shared"], image_deployments={"shared": "gpt-image-1"})
    r = api.create(api.image_body(model="shared"), image_deployment="shared")
    assert r.status_code == 200


def test_image_deployments_as_plain_names(make_api) -> None:
    api = make_api(image_deployments=["my-img"])
    assert api.create(api.image_body(), image_deployment="my-img").status_code == 200
    assert api.create(api.image_body(), image_deployment="gpt-image-1").status_code == 400


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b'"text"', b""],
)
def test_body_must_be_a_json_object(api, raw: bytes) -> None:
    r = api.create(raw=raw)
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_no_image_tool_means_text_answer_and_no_header_needed(api) -> None:
    r = api.create({"model": "gpt-4o", "input": "hello"}, image_deployment=None)
    assert r.status_code == 200
    out = r.json()["output"]
    assert [o["type"] for o in out] == ["message"]


@pytest.mark.parametrize(
    ("tool", "param"),
    [
        ({"quality": "ultra"}, "tools[0].quality"),
        ({"background": "green"}, "tools[0].background"),
        ({"output_format": "gif"}, "tools[0].output_format"),
        ({"moderation": "high"}, "tools[0].moderation"),
        ({"input_fidelity": "medium"}, "tools[0].input_fidelity"),
        ({"action": "paint"}, "tools[0].action"),
        ({"partial_images": 4}, "tools[0].partial_images"),
        ({"partial_images": -1}, "tools[0].partial_images"),
        ({"partial_images": True}, "tools[0].partial_images"),
        ({"partial_images": 1.5}, "tools[0].partial_images"),
        ({"output_compression": 101}, "tools[0].output_compression"),
        ({"output_compression": "50"}, "tools[0].output_compression"),
        ({"background": "transparent", "output_format": "jpeg"}, "tools[0].background"),
        ({"size": "512x512"}, "tools[0].size"),
        ({"size": "1280x720"}, "tools[0].size"),
        ({"size": "big"}, "tools[0].size"),
        ({"input_image_mask": {"url": "x"}}, "tools[0].input_image_mask.url"),
        ({"input_image_mask": {}}, "tools[0].input_image_mask"),
    ],
)
def test_invalid_tool_fields(api, tool: dict, param: str) -> None:
    r = api.create(api.image_body(tool))
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == param
    assert err["type"] == "invalid_request_error"
    if err["code"] == "invalid_value":
        assert err["message"].startswith("Invalid value: '")
        assert "Supported values are: " in err["message"]


def test_unknown_tool_key(api) -> None:
    r = api.create(api.image_body({"colour": "blue"}))
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Unknown parameter: 'tools[0].colour'.",
        "type": "invalid_request_error",
        "param": "tools[0].colour",
        "code": "unknown_parameter",
    }


def test_enum_message_lists_supported_values(api) -> None:
    r = api.create(api.image_body({"quality": "ultra"}))
    assert r.json()["error"]["message"] == (
        "Invalid value: 'ultra'. Supported values are: 'low', 'medium', 'high', and 'auto'."
    )


def test_tool_index_follows_position(api) -> None:
    body = api.image_body()
    body["tools"] = [{"type": "web_search_preview"}, {"type": "image_generation", "quality": "x"}]
    r = api.create(body)
    assert r.json()["error"]["param"] == "tools[1].quality"


def test_null_tool_fields_mean_defaults(api) -> None:
    r = api.create(api.image_body({"quality": None, "size": None, "model": None}))
    assert r.status_code == 200


def test_input_fidelity_high_is_rejected_for_mini(api) -> None:
    r = api.create(api.image_body({"input_fidelity": "high"}), image_deployment="gpt-image-1-mini")
    assert r.json()["error"]["param"] == "tools[0].input_fidelity"
    assert api.create(api.image_body({"input_fidelity": "high"})).status_code == 200


@pytest.mark.parametrize(
    ("size", "ok"),
    [
        ("1280x720", True),
        ("3840x2160", True),
        ("2160x3840", True),
        ("1024x1024", True),
        ("auto", True),
        ("1000x1000", False),  # not multiple of 16
        ("3840x1024", False),  # aspect > 3:1
        ("4096x2048", False),  # long edge > 3840
        ("800x800", False),  # too few pixels
        ("3840x2176", False),  # too many pixels
    ],
)
def test_gpt_image_2_custom_sizes(api, decode_image, size: str, ok: bool) -> None:
    r = api.create(api.image_body({"size": size}), image_deployment="gpt-image-2")
    assert (r.status_code == 200) is ok, r.text
    if ok and size != "auto":
        img = decode_image(r.json()["output"][0]["result"])
        assert img.size == tuple(int(v) for v in size.split("x"))
    elif not ok:
        assert r.json()["error"]["param"] == "tools[0].size"


def test_custom_image_model_mapping_controls_size_rules(make_api) -> None:
    api = make_api(image_deployments={"prod-img": "gpt-image-2-2026-04-21"})
    assert api.create(api.image_body({"size": "1280x720"}), image_deployment="prod-img").status_code == 200


@pytest.mark.parametrize(
    ("tool", "mode", "fmt", "size"),
    [
        ({"size": "1024x1536", "quality": "low"}, "RGB", "PNG", (1024, 1536)),
        ({"size": "1536x1024", "background": "transparent"}, "RGBA", "PNG", (1536, 1024)),
        ({"output_format": "jpeg", "output_compression": 50}, "RGB", "JPEG", (1024, 1024)),
        ({"output_format": "webp", "background": "transparent"}, "RGBA", "WEBP", (1024, 1024)),
    ],
)
def test_images_honour_tool_fields(api, decode_image, tool: dict, mode: str, fmt: str, size: tuple) -> None:
    r = api.create(api.image_body(tool))
    assert r.status_code == 200, r.text
    call = r.json()["output"][0]
    img = decode_image(call["result"])
    assert (img.format, img.size, img.mode) == (fmt, size, mode)
    assert call["output_format"] == fmt.lower()
    if mode == "RGBA":
        assert call["background"] == "transparent"
        assert img.getextrema()[3] == (0, 255)


def test_jpeg_without_pillow_names_the_extra(api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    r = api.create(api.image_body({"output_format": "jpeg"}))
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == "tools[0].output_format"
    assert "install foundry-imagegen[pillow]" in err["message"]


def test_images_are_deterministic_per_prompt_fields_and_seed(api, make_api) -> None:
    a = api.create(api.image_body()).json()["output"][0]["result"]
    b = api.create(api.image_body()).json()["output"][0]["result"]
    c = api.create(api.image_body({"quality": "high"})).json()["output"][0]["result"]
    other = make_api(seed=42)
    d = other.create(other.image_body()).json()["output"][0]["result"]
    assert a == b
    assert len({a, c, d}) == 3


def test_prompt_from_message_items(api) -> None:
    body = api.image_body()
    body["input"] = [
        {"role": "system", "content": "be nice"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a blue whale"}]},
        {"role": "user", "content": "under the moon"},
    ]
    r = api.create(body)
    revised = r.json()["output"][0]["revised_prompt"]
    assert "blue whale" in revised and "under the moon" in revised and "be nice" not in revised


def test_tool_echo_resolves_defaults(api) -> None:
    r = api.create(api.image_body({"quality": "low", "partial_images": 2}))
    echo = r.json()["tools"][0]
    assert echo["type"] == "image_generation"
    assert echo["model"] == "gpt-image-1"
    assert echo["quality"] == "low"
    assert echo["size"] == "auto"
    assert echo["output_format"] == "png"
    assert echo["output_compression"] == 100
    assert echo["partial_images"] == 2


def test_body_fields_are_echoed(api) -> None:
    r = api.create(api.image_body(instructions="draw well", metadata={"k": "v"}, store=True, tool_choice="required"))
    body = r.json()
    assert body["instructions"] == "draw well"
    assert body["metadata"] == {"k": "v"}
    assert body["tool_choice"] == "required"


def test_stored_response_comes_back_without_image_bytes(api, http) -> None:
    created = api.create(api.image_body()).json()
    got = http.get(f"{api.emu.endpoint}/openai/v1/responses/{created['id']}")
    assert got.status_code == 200
    stored = got.json()
    assert stored["id"] == created["id"]
    assert stored["output"][0]["result"] is None
    assert stored["output"][0]["id"] == created["output"][0]["id"]
    # Same through the resource route.
    assert http.get(f"{api.emu.url}/openai/v1/responses/{created['id']}").status_code == 200


def test_store_false_is_not_retrievable(api, http) -> None:
    created = api.create(api.image_body(store=False)).json()
    assert created["store"] is False
    assert http.get(f"{api.emu.url}/openai/v1/responses/{created['id']}").status_code == 404


def test_unknown_response_id_is_404(http, emu) -> None:
    r = http.get(f"{emu.url}/openai/v1/responses/resp_nope")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "not_found"
    assert "resp_nope" in err["message"]


def test_delete_response(api, http) -> None:
    created = api.create(api.image_body()).json()
    d = http.delete(f"{api.emu.url}/openai/v1/responses/{created['id']}")
    assert d.json() == {"id": created["id"], "object": "response.deleted", "deleted": True}
    assert http.get(f"{api.emu.url}/openai/v1/responses/{created['id']}").status_code == 404


# ---------------------------------------------------------------------------- auth


@pytest.fixture
def secured(make_api):
    return make_api(api_keys=["k1"], bearer_tokens=["t1"])


@pytest.mark.parametrize(
    ("headers", "status", "body"),
    [
        ({"api-key": "k1"}, 200, None),
        ({"Authorization": "Bearer t1"}, 200, None),
        ({"Authorization": "Bearer k1"}, 200, None),  # v1 takes a resource key as a bearer value
        ({"api-key": "bad"}, 401, KEY_401),
        ({"Authorization": "Bearer bad"}, 401, BEARER_401),
        ({}, 401, KEY_401),
        ({"api-key": "t1"}, 401, KEY_401),
    ],
)
def test_auth(secured, headers: dict, status: int, body: dict | None) -> None:
    r = secured.create(secured.image_body(), headers=headers)
    assert r.status_code == status
    if body is not None:
        assert r.json() == body


def test_bearer_only_missing_credentials_gets_bearer_message(make_api) -> None:
    api = make_api(bearer_tokens=["t1"])
    r = api.create(api.image_body())
    assert r.status_code == 401
    assert r.json() == BEARER_401


def test_auth_comes_before_body_validation(secured) -> None:
    assert secured.create(raw=b"garbage").status_code == 401
    assert secured.create(secured.image_body(), image_deployment=None).status_code == 401


def test_health_and_admin_need_no_auth(secured, http) -> None:
    assert http.get(secured.emu.url + "/health").json() == {"status": "ok"}
    assert http.get(secured.emu.url + "/_emulator/requests").status_code == 200


def test_request_log_redacts_secrets(secured) -> None:
    secured.create(secured.image_body(), headers={"api-key": "k1", "Authorization": "Bearer t1"})
    req = secured.emu.last_request()
    assert req.headers["api-key"] == "***"
    assert req.headers["authorization"] == "***"
    assert req.headers["x-ms-oai-image-generation-deployment"] == "gpt-image-1"
    assert req.method == "POST"
    assert req.json["model"] == "gpt-4.1"


def test_result_is_plain_base64(api) -> None:
    result = api.create(api.image_body()).json()["output"][0]["result"]
    assert base64.b64decode(result, validate=True).startswith(b"\x89PNG\r\n\x1a\n")
