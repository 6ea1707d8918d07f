"""Service failures become typed exceptions with status, code, param, request id, hint and body."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from foundry_imagegen import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    DeploymentNotFoundError,
    GenerationFailedError,
    ImageDeploymentError,
    ImageGenerationTool,
    InvalidResponseError,
    NoImageGeneratedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceError,
)
from tests.client.wire import PROJECT_URL, error_response, image_call, message, ok_response, response_body
from tests.harness import API_KEY

MISSING_HEADER = {
    "message": "imagegen deployment must be provided through header: x-ms-oai-image-generation-deployment",
    "type": "image_generation_user_error",
    "param": "tools",
    "code": "invalid_request_error",
}
UNKNOWN_IMAGE_MODEL = {
    "message": "The model 'gpt-image-9' does not exist.",
    "type": "image_generation_user_error",
    "param": "model",
    "code": "invalid_value",
}
DEPLOYMENT_NOT_FOUND = {
    "code": "DeploymentNotFound",
    "message": "The API deployment for this resource does not exist. If you created the deployment within "
    "the last 5 minutes, please wait a moment and try again.",
}
CONTENT_FILTERED = {
    "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management "
    "policy. Please modify your prompt and retry.",
    "type": None,
    "param": "prompt",
    "code": "content_filter",
    "status": 400,
    "innererror": {
        "code": "ResponsibleAIPolicyViolation",
        "content_filter_result": {
            "hate": {"filtered": False, "severity": "safe"},
            "jailbreak": {"filtered": False, "detected": False},
            "self_harm": {"filtered": False, "severity": "safe"},
            "sexual": {"filtered": False, "severity": "safe"},
            "violence": {"filtered": True, "severity": "high"},
        },
    },
}
SERVER_ERROR = {
    "message": "An error occurred while processing your request. You can retry your request, or contact us "
    "through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if the error "
    "persists. Please include the request ID 0b6e5c2a in your message.",
    "type": "server_error",
    "param": None,
    "code": "server_error",
}


def assert_well_formed(exc: ServiceError, *, request_id: str = "req-err-1") -> None:
    """Every service error shows its hint and request id, and never a secret."""
    text = str(exc)
    assert exc.request_id == request_id
    assert request_id in text
    assert exc.hint
    assert exc.hint in text
    assert API_KEY not in text
    assert API_KEY not in repr(exc)
    assert "tok-SECRET" not in text


class TestHttpErrors:
    async def test_missing_image_header_envelope(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=error_response(400, MISSING_HEADER))
        client = h.client()

        with pytest.raises(ImageDeploymentError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert isinstance(exc, BadRequestError)
        assert exc.status == 400
        assert exc.code == "invalid_request_error"
        assert exc.param == "tools"
        assert exc.error_type == "image_generation_user_error"
        assert exc.message == MISSING_HEADER["message"]
        assert exc.body == {"error": MISSING_HEADER}
        assert exc.hint == ImageDeploymentError.default_hint
        assert "x-ms-oai-image-generation-deployment" in exc.hint
        assert exc.retryable is False
        assert route.call_count == 1
        assert h.waits == []
        assert_well_formed(exc)

    async def test_unknown_image_deployment(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=error_response(400, UNKNOWN_IMAGE_MODEL))
        client = h.client()

        with pytest.raises(ImageDeploymentError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.status == 400
        assert exc.code == "invalid_value"
        assert exc.param == "model"
        assert exc.message == "The model 'gpt-image-9' does not exist."
        assert exc.body == {"error": UNKNOWN_IMAGE_MODEL}
        assert "x-ms-oai-image-generation-deployment" in exc.hint
        assert exc.hint != ImageDeploymentError.default_hint
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_deployment_not_found(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=error_response(404, DEPLOYMENT_NOT_FOUND))
        client = h.client()

        with pytest.raises(DeploymentNotFoundError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert isinstance(exc, NotFoundError)
        assert exc.status == 404
        assert exc.code == "DeploymentNotFound"
        assert exc.param is None
        assert exc.body == {"error": DEPLOYMENT_NOT_FOUND}
        assert exc.hint == DeploymentNotFoundError.default_hint
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_content_filter_is_typed_and_sent_once(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=error_response(400, CONTENT_FILTERED))
        client = h.client(max_retries=5)

        with pytest.raises(ContentFilterError) as info:
            await h.run(client.generate, "something violent")

        exc = info.value
        assert exc.status == 400
        assert exc.code == "content_filter"
        assert exc.param == "prompt"
        assert "violence" in exc.categories
        assert exc.categories == ("violence",)
        assert exc.body == {"error": CONTENT_FILTERED}
        assert exc.hint == ContentFilterError.default_hint
        assert exc.retryable is False
        assert route.call_count == 1
        assert h.waits == []
        assert_well_formed(exc)

    async def test_content_filter_on_a_429_is_still_not_retried(self, h):
        route = h.mock.post(PROJECT_URL).mock(
            return_value=error_response(429, CONTENT_FILTERED, headers={"retry-after": "1"})
        )
        client = h.client()

        with pytest.raises(ContentFilterError):
            await h.run(client.generate, "something violent")

        assert route.call_count == 1
        assert h.waits == []

    async def test_401_is_authentication_error(self, h):
        error = {"code": "401", "message": "Access denied due to invalid subscription key."}
        route = h.mock.post(PROJECT_URL).mock(return_value=error_response(401, error))
        client = h.client()

        with pytest.raises(AuthenticationError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.status == 401
        assert exc.code == "401"
        assert exc.body == {"error": error}
        assert exc.hint == AuthenticationError.default_hint
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_403_is_permission_denied(self, h):
        error = {"code": "PermissionDenied", "message": "The principal lacks the required data action."}
        route = h.mock.post(PROJECT_URL).mock(return_value=error_response(403, error))
        client = h.client()

        with pytest.raises(PermissionDeniedError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.status == 403
        assert exc.code == "PermissionDenied"
        assert exc.body == {"error": error}
        assert exc.hint == PermissionDeniedError.default_hint
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_429_is_rate_limit_with_retry_after(self, h):
        error = {"code": "429", "message": "Requests have exceeded token rate limit. Please retry later."}
        route = h.mock.post(PROJECT_URL).mock(return_value=error_response(429, error, headers={"retry-after": "7"}))
        client = h.client(max_retries=0)

        with pytest.raises(RateLimitError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.status == 429
        assert exc.code == "429"
        assert exc.retry_after == 7.0
        assert exc.body == {"error": error}
        assert exc.hint == RateLimitError.default_hint
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_429_retry_after_read_from_the_message(self, h):
        error = {
            "code": "429",
            "message": "Requests to the Responses Operation have exceeded token rate limit of your current "
            "pricing tier. Please retry after 20 seconds.",
        }
        h.mock.post(PROJECT_URL).mock(return_value=error_response(429, error))
        client = h.client(max_retries=0)

        with pytest.raises(RateLimitError) as info:
            await h.run(client.generate, "a red fox")

        assert info.value.retry_after == 20.0

    async def test_500_is_server_error(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=error_response(500, SERVER_ERROR))
        client = h.client(max_retries=0)

        with pytest.raises(ServerError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.status == 500
        assert exc.code == "server_error"
        assert exc.error_type == "server_error"
        assert exc.body == {"error": SERVER_ERROR}
        assert exc.hint == ServerError.default_hint
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_non_json_error_body_is_kept_as_text(self, h):
        route = h.mock.post(PROJECT_URL).mock(
            return_value=httpx.Response(502, text="<html>Bad Gateway</html>", headers={"apim-request-id": "apim-9"})
        )
        client = h.client(max_retries=0)

        with pytest.raises(ServerError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.status == 502
        assert exc.body == "<html>Bad Gateway</html>"
        assert "Bad Gateway" in exc.message
        assert route.call_count == 1
        assert_well_formed(exc, request_id="apim-9")

    async def test_token_never_appears_in_errors(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=error_response(403, {"code": "x", "message": "no"}))
        client = h.client(credential=h.credential())

        with pytest.raises(PermissionDeniedError) as info:
            await h.run(client.generate, "a red fox")

        assert "tok-SECRET" not in str(info.value)
        assert "tok-SECRET" not in repr(info.value)
        assert "tok-SECRET" not in json.dumps(info.value.body)


class TestFailuresInsideHttp200:
    async def test_failed_moderation_blocked(self, h):
        body = response_body(
            [], status="failed", error={"code": "moderation_blocked", "message": "Blocked by moderation."}
        )
        route = h.mock.post(PROJECT_URL).mock(
            return_value=httpx.Response(200, json=body, headers={"x-request-id": "req-err-1"})
        )
        client = h.client()

        with pytest.raises(ContentFilterError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.status == 200
        assert exc.code == "moderation_blocked"
        assert exc.message == "Blocked by moderation."
        assert exc.body == body
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_incomplete_content_filter(self, h):
        body = response_body([], status="incomplete", incomplete_details={"reason": "content_filter"})
        route = h.mock.post(PROJECT_URL).mock(
            return_value=httpx.Response(200, json=body, headers={"x-request-id": "req-err-1"})
        )
        client = h.client()

        with pytest.raises(ContentFilterError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.status == 200
        assert exc.code == "content_filter"
        assert exc.body == body
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_failed_server_error_is_not_resent(self, h):
        # A failure reported inside HTTP 200 may already be billed: raised, never resent.
        body = response_body([], status="failed", error={"code": "server_error", "message": "oops"})
        route = h.mock.post(PROJECT_URL).mock(
            return_value=httpx.Response(200, json=body, headers={"x-request-id": "req-err-1"})
        )
        client = h.client()

        with pytest.raises(ServerError) as info:
            await h.run(client.generate, "a red fox")

        assert info.value.status == 200
        assert route.call_count == 1
        assert h.waits == []

    async def test_only_a_message_is_no_image(self, h):
        route = h.mock.post(PROJECT_URL).mock(
            return_value=ok_response([message("I cannot draw that.")], request_id="req-err-1")
        )
        client = h.client()

        with pytest.raises(NoImageGeneratedError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.text == "I cannot draw that."
        assert exc.code == "no_image"
        assert exc.status == 200
        assert exc.hint == NoImageGeneratedError.default_hint
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_empty_image_result_is_no_image(self, h):
        route = h.mock.post(PROJECT_URL).mock(
            return_value=ok_response([image_call(""), message("Done.")], request_id="req-err-1")
        )
        client = h.client()

        with pytest.raises(NoImageGeneratedError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.code == "empty_result"
        assert exc.text == "Done."
        assert route.call_count == 1
        assert_well_formed(exc)

    async def test_failed_image_call(self, h):
        h.mock.post(PROJECT_URL).mock(
            return_value=ok_response([image_call(None, status="failed")], request_id="req-err-1")
        )
        client = h.client()

        with pytest.raises(GenerationFailedError) as info:
            await h.run(client.generate, "a red fox")

        assert info.value.code == "image_generation_failed"
        assert_well_formed(info.value)


class TestInvalidAnswers:
    @pytest.mark.parametrize(
        "content",
        [b"<html>hello</html>", b"[]", b'[{"id": "resp_1"}]', b"", b'"a string"', b'{"output": []}'],
        ids=["html", "empty-array", "array", "empty", "string", "no-id"],
    )
    async def test_body_that_is_not_a_response_object(self, h, content):
        route = h.mock.post(PROJECT_URL).mock(
            return_value=httpx.Response(200, content=content, headers={"x-request-id": "req-err-1"})
        )
        client = h.client()

        with pytest.raises(InvalidResponseError) as info:
            await h.run(client.generate, "a red fox")

        exc = info.value
        assert exc.status == 200
        assert exc.hint == InvalidResponseError.default_hint
        assert route.call_count == 1
        assert h.waits == []
        assert_well_formed(exc)

    @pytest.mark.parametrize(
        "result",
        ["!!! not base64 !!!", "iVBORw0KGgo", base64.b64encode(b"hello, this is not an image").decode()],
        ids=["garbage", "bad-padding", "not-an-image"],
    )
    async def test_image_that_does_not_decode(self, h, result):
        route = h.mock.post(PROJECT_URL).mock(
            return_value=ok_response([image_call(result, id="ig_bad")], request_id="req-err-1")
        )
        client = h.client()

        with pytest.raises(InvalidResponseError) as info:
            await h.run(client.generate, "a red fox")

        assert "ig_bad" in str(info.value)
        assert route.call_count == 1
        assert_well_formed(info.value)

    async def test_create_response_also_refuses_a_corrupt_image(self, h):
        h.mock.post(PROJECT_URL).mock(
            return_value=ok_response([image_call("@@@", id="ig_bad")], request_id="req-err-1")
        )
        client = h.client()
        request = ImageGenerationTool(image_deployment="gpt-image-1").build_request("a cat", model="gpt-4.1")
        with pytest.raises(InvalidResponseError):
            await h.run(client.create_response, request)
