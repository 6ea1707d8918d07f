"""Sans-I/O reading of answers: HTTP status + headers + body in, a result or a typed error out."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..exceptions import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    DeploymentNotFoundError,
    GenerationFailedError,
    ImageDeploymentError,
    InvalidResponseError,
    NoImageGeneratedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceError,
)
from .constants import IMAGE_DEPLOYMENT_HEADER, REQUEST_ID_HEADERS
from .images import decode_base64_image, image_problem, sniff_format
from .results import GeneratedImage, GenerationResult, ImageGenerationCall, Response
from .retry import retry_after_seconds
from .scan import RESULT_KEY, CutBody, cut_images

__all__ = [
    "decode_image",
    "decode_json",
    "error_from_payload",
    "error_from_status",
    "parse_generation",
    "parse_model",
    "parse_response",
    "request_id_of",
]

#: Error codes that mean "blocked by safety systems" wherever they appear (HTTP body, response.error,
#: in-stream error event). Never retried: repeating them can get an Azure resource suspended.
CONTENT_FILTER_CODES = frozenset(
    {
        "content_filter",
        "moderation_blocked",
        "image_content_policy_violation",
        "content_policy_violation",
        "responsibleaipolicyviolation",
        "bio_policy",
    }
)

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger("foundry_imagegen")

_RETRY_IN_MESSAGE = re.compile(r"retry after (\d+(?:\.\d+)?) second", re.IGNORECASE)
_BODY_SNIPPET = 500


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request id the service put in the headers, for support tickets.

    Example::

        request_id_of(httpx_response.headers)
    """
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    return str(value)


def _filter_categories(inner: object) -> tuple[str, ...]:
    if not isinstance(inner, Mapping):
        return ()
    results = inner.get("content_filter_result") or inner.get("content_filter_results")
    if not isinstance(results, Mapping):
        return ()
    hits = []
    for name, verdict in results.items():
        if isinstance(verdict, Mapping) and (verdict.get("filtered") or verdict.get("detected")):
            hits.append(str(name))
    return tuple(sorted(hits))


def _moderation_details(payload: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    # openai-style moderation_details: {categories: [...], moderation_stage: input|output|unknown}
    details = payload.get("moderation_details")
    if not isinstance(details, Mapping):
        return None, ()
    stage = details.get("moderation_stage")
    categories = details.get("categories")
    named = tuple(str(c) for c in categories) if isinstance(categories, list) else ()
    return (str(stage) if isinstance(stage, str) else None), named


def _is_content_filter(code: str | None, inner: object) -> bool:
    if code and code.lower() in CONTENT_FILTER_CODES:
        return True
    return isinstance(inner, Mapping) and str(inner.get("code", "")).lower() in CONTENT_FILTER_CODES


def error_from_payload(
    payload: Mapping[str, Any],
    *,
    status: int | None,
    request_id: str | None,
    body: Any,
    retry_after: float | None = None,
    should_retry: bool | None = None,
) -> ServiceError:
    """The typed error for an error object ``{"code", "message", "param", "type", ...}``.

    Shared by HTTP errors, failed responses and in-stream ``error`` events, so that one condition
    raises one exception type whichever way it arrives.
    """
    code = _str_or_none(payload.get("code"))
    message = _cap_message(str(payload.get("message") or "the service reported an error without a message"))
    param = _str_or_none(payload.get("param"))
    error_type = _str_or_none(payload.get("type"))
    inner = payload.get("innererror") or payload.get("inner_error")
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "param": param,
        "error_type": error_type,
        "request_id": request_id,
        "body": body,
        "retry_after": retry_after,
        "should_retry": should_retry,
    }
    if _is_content_filter(code, inner):
        stage, named = _moderation_details(payload)
        categories = _filter_categories(inner) or named
        return ContentFilterError(message, categories=categories, moderation_stage=stage, **common)
    if IMAGE_DEPLOYMENT_HEADER in message:
        return ImageDeploymentError(message, **common)
    if error_type == "image_generation_user_error" and param == "model":
        return ImageDeploymentError(
            message,
            hint=(
                "The image deployment named in the x-ms-oai-image-generation-deployment header does not "
                "exist in this resource: pass the exact deployment name shown in the Foundry portal."
            ),
            **common,
        )
    if code == "DeploymentNotFound":
        return DeploymentNotFoundError(message, **common)
    if code in ("rate_limit_exceeded", "429") or status == 429:
        if retry_after is None:
            match = _RETRY_IN_MESSAGE.search(message)
            common["retry_after"] = float(match.group(1)) if match else None
        return RateLimitError(message, **common)
    if code == "server_error" or (status is not None and status >= 500):
        return ServerError(message, **common)
    if "is not supported with" in message and "image_generation" in message:
        return BadRequestError(
            message,
            hint=(
                "This orchestrator model cannot host the image tool: use a deployment of a gpt-5-family model "
                "(gpt-5.1, gpt-5.5; see foundry_imagegen.models.current_orchestrators) as model=."
            ),
            **common,
        )
    return error_from_status(status, message, common)


def error_from_status(status: int | None, message: str, common: Mapping[str, Any]) -> ServiceError:
    """The error class for a bare HTTP status."""
    if status in (400, 422):
        return BadRequestError(message, **common)
    if status == 401:
        return AuthenticationError(message, **common)
    if status == 403:
        return PermissionDeniedError(message, **common)
    if status == 404:
        return NotFoundError(message, **common)
    if status is not None and status >= 500:
        return ServerError(message, **common)
    if status is None or status < 400:
        return GenerationFailedError(message, **common)
    return ServiceError(message, **common)


def decode_json(content: bytes | str) -> Any:
    """``json.loads`` whose every failure is a ``ValueError``, nesting too deep included.

    A few kilobytes of ``[[[[...`` make the C parser raise ``RecursionError``; an answer is data, so a
    hostile one must end in a typed error like any other malformed body.
    """
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to read") from None


#: Bodies larger than this are kept on errors as a snippet, not whole: an error must stay small to
#: print, log and keep (a hostile server can send a 100 MB "message").
_BODY_KEEP = 64 * 1024
_MESSAGE_KEEP = 2000


def _capped(body: Any, content: bytes) -> Any:
    return body if len(content) <= _BODY_KEEP else content[:_BODY_SNIPPET].decode("utf-8", "replace")


def _cap_message(message: str) -> str:
    if len(message) <= _MESSAGE_KEEP:
        return message
    return f"{message[:_MESSAGE_KEEP]}... ({len(message) - _MESSAGE_KEEP} more characters not kept)"


def _load_json(content: bytes) -> Any:
    try:
        return decode_json(content)
    except ValueError:  # UnicodeDecodeError is a ValueError
        return None


#: Gateway answers that say only "the backend did not answer me in time": it may have received the
#: request, run the generation and billed it. Like a read timeout, they are not resent for a POST.
GATEWAY_GAVE_UP = frozenset({502, 504})
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE"})


def error_from_http(
    status: int, headers: Mapping[str, str], content: bytes, *, now: float | None = None, method: str = "POST"
) -> ServiceError:
    """The typed error for a non-2xx HTTP answer (``now``, the shell's clock, reads a dated Retry-After).

    ``method`` decides whether a gateway's 502/504 may be resent: only for GET, HEAD and DELETE.
    """
    request_id = request_id_of(headers)
    body = _load_json(content)
    retry_after = retry_after_seconds(headers, now=now)
    verdict = headers.get("x-should-retry", "").strip().lower()
    should_retry = {"true": True, "false": False}.get(verdict)
    if should_retry is None and status in GATEWAY_GAVE_UP and method.upper() not in _IDEMPOTENT_METHODS:
        should_retry = False
    payload = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(payload, str):
        payload = {"message": payload}
    if not isinstance(payload, Mapping):
        text = content[:_BODY_SNIPPET].decode("utf-8", "replace").strip()
        payload = {"message": text or f"HTTP {status} with an empty body"}
        body = body if body is not None else text
    body = _capped(body, content)
    error = error_from_payload(
        payload,
        status=status,
        request_id=request_id,
        body=body,
        retry_after=retry_after,
        should_retry=should_retry,
    )
    if status == 429 and not isinstance(error, (RateLimitError, ContentFilterError)):
        # Some gateways put odd codes on 429s; the status is what matters for backing off.
        return RateLimitError(
            error.message,
            retry_after=retry_after,
            should_retry=should_retry,
            status=status,
            code=error.code,
            param=error.param,
            request_id=request_id,
            body=body,
        )
    return error


def parse_response(
    status: int, headers: Mapping[str, str], content: bytes, *, now: float | None = None, method: str = "POST"
) -> Response:
    """Read an HTTP answer as a ``Response``; any failure becomes a typed ``ServiceError``.

    Example::

        parse_response(200, {"x-request-id": "r1"}, b'{"id": "resp_1", "output": []}')
    """
    if status >= 400:
        raise error_from_http(status, headers, content, now=now, method=method)
    body = _load_json(content)
    request_id = request_id_of(headers)
    if not isinstance(body, dict):
        snippet = content[:_BODY_SNIPPET].decode("utf-8", "replace")
        raise InvalidResponseError(
            "the answer is not a JSON object", status=status, request_id=request_id, body=snippet
        )
    if "output" not in body and "id" not in body:
        payload = body.get("error")
        if isinstance(payload, str):
            payload = {"message": payload}
        if isinstance(payload, Mapping):
            # An error envelope sent with HTTP 200 (some gateways do): the error it names, not a shape error.
            raise error_from_payload(payload, status=status, request_id=request_id, body=_capped(body, content))
    if "output" not in body and body.get("status") in (None, "completed"):
        raise InvalidResponseError(
            "the answer has no output list, so it is not a Responses API object",
            status=status,
            request_id=request_id,
            body=_capped(body, content),
        )
    try:
        response = Response.model_validate(body)
    except RecursionError:
        raise InvalidResponseError(
            "the answer is nested too deeply to be a Responses API object", status=status, request_id=request_id
        ) from None
    except ValidationError as exc:
        raise InvalidResponseError(
            f"the answer is not a Responses API object: {exc.error_count()} problem(s), first: "
            f"{exc.errors()[0]['loc']} {exc.errors()[0]['msg']}",
            status=status,
            request_id=request_id,
            body=_capped(body, content),
        ) from None
    raise_for_response_status(response, status=status, request_id=request_id, body=body)
    return response


def raise_for_response_status(response: Response, *, status: int | None, request_id: str | None, body: Any) -> None:
    """Raise the typed error of a ``failed`` or ``incomplete`` response; do nothing otherwise."""
    if response.status == "failed":
        payload = response.error.model_dump() if response.error else {"message": "the response failed"}
        error = error_from_payload(payload, status=status, request_id=request_id, body=body)
        raise error
    if response.status == "incomplete":
        reason = response.incomplete_details.reason if response.incomplete_details else None
        if reason != "content_filter" and any(call.result for call in response.image_calls):
            # e.g. max_output_tokens cut the assistant's text after the image was done: keep the image.
            log.warning("response %s is incomplete (%s) but holds a finished image", response.id, reason)
            return
        message = f"the response is incomplete (reason: {reason or 'not given'})"
        if reason == "content_filter":
            raise ContentFilterError(message, status=status, code=reason, request_id=request_id, body=body)
        raise GenerationFailedError(message, status=status, code=reason, request_id=request_id, body=body)


def decode_image(
    item_id: str,
    encoded: str,
    *,
    size: str | None = None,
    revised_prompt: str | None = None,
    requested_format: str | None = None,
    partial_index: int | None = None,
    request_id: str | None = None,
    call: ImageGenerationCall | None = None,
    data: bytes | None = None,
) -> GeneratedImage:
    """Decode one base64 image; corrupt base64 or bytes of no known format raise ``InvalidResponseError``.

    ``call`` is the item a final image came from: its reported fields are copied onto the image.
    ``data``, when given, is the image already decoded (``encoded`` is then ignored); the format and
    whole-image checks run on it all the same.
    """
    if data is None:
        try:
            data = decode_base64_image(encoded)
        except ValueError as exc:
            raise InvalidResponseError(f"image {item_id}: {exc}", request_id=request_id) from None
    fmt = sniff_format(data)
    if fmt is None:
        raise InvalidResponseError(
            f"image {item_id}: {len(data)} bytes that are not PNG, JPEG, WebP, GIF or SVG", request_id=request_id
        )
    problem = image_problem(data, fmt)
    if problem is not None:
        # A corrupt image must never reach a caller or a file as a success.
        raise InvalidResponseError(f"image {item_id} is not a whole image: {problem}", request_id=request_id)
    return GeneratedImage(
        id=item_id,
        data=data,
        format=fmt,
        size=size,
        revised_prompt=revised_prompt,
        requested_format=requested_format,
        partial_index=partial_index,
        quality=call.quality if call else None,
        background=call.background if call else None,
        output_format=call.output_format if call else None,
        action=call.action if call else None,
        call=call,
    )


def result_from_response(
    response: Response,
    *,
    request_id: str | None,
    requested_format: str | None,
    require_image: bool,
    status: int | None = 200,
    decoded: Mapping[str, bytes] | None = None,
) -> GenerationResult:
    """Decode every image of ``response``; with ``require_image``, no image is an error, never ``[]``.

    ``decoded`` maps the placeholders ``parse_generation`` put in place of ``result`` to the bytes they
    stand for. The result's response (and each image's ``call``) keeps no base64: the bytes are in
    ``images``, once.
    """
    images = []
    failed: list[ImageGenerationCall] = []
    empty: list[ImageGenerationCall] = []
    for call in response.image_calls:
        if call.status == "failed":
            failed.append(call)
        elif not call.result:
            empty.append(call)
        else:
            images.append(
                decode_image(
                    call.id,
                    call.result,
                    size=call.size,
                    revised_prompt=call.revised_prompt,
                    requested_format=requested_format or call.output_format,
                    request_id=request_id,
                    call=_without_result(call),
                    data=decoded.get(call.result) if decoded else None,
                )
            )
    response = without_base64(response)
    if require_image and not images:
        common: dict[str, Any] = {"status": status, "request_id": request_id, "body": None}
        blocked = next((call for call in failed if call.error is not None), None)
        if blocked is not None and blocked.error is not None:
            # The item's own error says why (a moderation block names its stage): raise that, typed.
            raise error_from_payload(
                blocked.error.model_dump(), status=status, request_id=request_id, body=blocked.model_dump(mode="json")
            )
        if failed:
            raise GenerationFailedError(
                f"the image generation call {failed[0].id} failed without an image",
                code="image_generation_failed",
                **common,
            )
        if empty:
            raise NoImageGeneratedError(
                f"the image generation call {empty[0].id} returned an empty result",
                text=response.text,
                code="empty_result",
                **common,
            )
        raise NoImageGeneratedError(
            "the model answered without generating an image" + (f": {response.text[:200]!r}" if response.text else ""),
            text=response.text,
            code="no_image",
            **common,
        )
    return GenerationResult(response=response, images=tuple(images), request_id=request_id)


def _without_result(call: ImageGenerationCall) -> ImageGenerationCall:
    return call.model_copy(update={"result": None}) if call.result else call


def without_base64(response: Response) -> Response:
    """``response`` with every image call's ``result`` emptied: the decoded images hold the bytes once.

    Example::

        without_base64(response).image_calls[0].result  # None
    """
    if not any(call.result for call in response.image_calls):
        return response
    output = [_without_result(item) if isinstance(item, ImageGenerationCall) else item for item in response.output]
    return response.model_copy(update={"output": output})


def _cut_images(content: bytes, keys: tuple[bytes, ...] = (RESULT_KEY,)) -> tuple[bytes, dict[str, bytes]]:
    """``cut_images`` as a pair: the JSON without its large base64 values, and their bytes per placeholder."""
    body = cut_images(content, keys)
    return body.rest, body.decoded


def parse_generation(
    status: int,
    headers: Mapping[str, str],
    content: bytes | CutBody,
    *,
    requested_format: str | None,
    require_image: bool,
    now: float | None = None,
    method: str = "POST",
) -> GenerationResult:
    """``parse_response`` then ``result_from_response``, with the images decoded straight from the body.

    Same result and same errors as the two steps, for less than half the work on a 2 MB answer: the
    base64 is decoded from the bytes (``cut_images``) and only the small rest is parsed as JSON.
    ``content`` is the body, or the ``CutBody`` an ``ImageScanner`` made of it while it arrived.

    Example::

        parse_generation(200, {}, body, requested_format=None, require_image=True).image.data
    """
    if status >= 400:
        body = content.original() if isinstance(content, CutBody) else content
        raise error_from_http(status, headers, body, now=now, method=method)
    cut = content if isinstance(content, CutBody) else cut_images(content)
    response: Response | None = None
    decoded: dict[str, bytes] | None = cut.decoded
    if decoded:
        try:
            response = parse_response(status, headers, cut.rest, now=now, method=method)
        except ServiceError:
            response = None  # an error answer: raised below from the untouched body, as it always was
        if response is not None and not {call.result for call in response.image_calls} >= decoded.keys():
            response = None  # a "result" outside an image call (another tool's): read it as it is
    if response is None:
        response, decoded = parse_response(status, headers, cut.original(), now=now, method=method), None
    return result_from_response(
        response,
        request_id=request_id_of(headers),
        requested_format=requested_format,
        require_image=require_image,
        status=status,
        decoded=decoded,
    )


def parse_model(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    model: type[M],
    *,
    now: float | None = None,
    method: str = "POST",
) -> M:
    """Read a JSON answer into ``model`` (agents, files); errors become typed ``ServiceError``s.

    Example::

        parse_model(200, {}, b'{"id": "assistant-1"}', FileObject)
    """
    if status >= 400:
        raise error_from_http(status, headers, content, now=now, method=method)
    body = _load_json(content)
    try:
        return model.model_validate(body)
    except RecursionError:
        raise InvalidResponseError(
            f"the answer is nested too deeply to be a {model.__name__}",
            status=status,
            request_id=request_id_of(headers),
        ) from None
    except ValidationError as exc:
        raise InvalidResponseError(
            f"the answer is not a {model.__name__}: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}",
            status=status,
            request_id=request_id_of(headers),
            body=body,
        ) from None
