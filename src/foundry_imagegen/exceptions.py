"""Every error foundry-imagegen raises, in one module.

::

    FoundryImageGenError
    ├── ConfigurationError (also ValueError)   bad input, found before anything is sent
    │   └── MissingImageDeploymentError        no image deployment for the required header
    ├── APIConnectionError                     the request did not get an HTTP answer
    │   └── APITimeoutError
    ├── ServiceError                           the service answered, and it is a failure
    │   ├── BadRequestError                    HTTP 400/422 not covered below
    │   │   └── ImageDeploymentError           header missing or names an unknown deployment
    │   ├── AuthenticationError                HTTP 401
    │   ├── PermissionDeniedError              HTTP 403
    │   ├── NotFoundError                      HTTP 404
    │   │   └── DeploymentNotFoundError        the orchestrator deployment does not exist
    │   ├── RateLimitError                     HTTP 429 (``retry_after``)
    │   ├── ServerError                        HTTP 5xx
    │   ├── ContentFilterError                 blocked by content filtering or moderation
    │   │                                      (HTTP 400, or HTTP 200 with a failed response)
    │   ├── GenerationFailedError              HTTP 200, response failed/incomplete for another reason
    │   ├── NoImageGeneratedError              HTTP 200, but no image came back
    │   └── InvalidResponseError               the answer is not the documented shape
    │       └── ResponseTooLargeError          a body or stream event passed a size limit
    ├── ClientClosedError (also RuntimeError)  the client was used after close()
    ├── ImageSaveError (also OSError)          a received image could not be written (``.image`` keeps it)
    ├── GenerationInProgressError              a background generation has not finished (yet)
    └── StreamError                            the event stream could not be read to its end
        └── TruncatedStreamError               it ended before its terminal event

One condition raises one type however it arrives: an HTTP error, a ``failed`` response or an in-stream
``error`` event (a ``server_error`` inside an HTTP 200 is a ``ServerError`` with ``status=200``).
Every ``ServiceError`` carries ``status``, ``code``, ``param``, ``message``, ``request_id``, ``body`` and a
one-line ``hint`` drawn from the service's own troubleshooting advice. Secrets never appear in any of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ._core.ratelimit import HttpInfo, RateLimit

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ContentFilterError",
    "DeploymentNotFoundError",
    "FoundryImageGenError",
    "GenerationFailedError",
    "GenerationInProgressError",
    "ImageDeploymentError",
    "ImageSaveError",
    "InvalidResponseError",
    "MissingImageDeploymentError",
    "NoImageGeneratedError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "ServerError",
    "ServiceError",
    "StreamError",
    "TruncatedStreamError",
]


class FoundryImageGenError(Exception):
    """Base class of every error this package raises.

    Example::

        try:
            client.generate("a cat")
        except FoundryImageGenError as exc:
            print(exc)
    """


class ConfigurationError(FoundryImageGenError, ValueError):
    """A parameter is wrong; raised before any network call. The message names the parameter,
    the value and the fix.

    Example::

        FoundryClient("http://example.com", api_key="k")  # raises: plain http off loopback
    """


class MissingImageDeploymentError(ConfigurationError):
    """No image model deployment is known, so the required header cannot be sent.

    Example::

        ImageGenerationTool().headers()  # raises: set deployment="gpt-image-2"
    """


class APIConnectionError(FoundryImageGenError):
    """The request got no HTTP answer (DNS, refused, reset, TLS).

    Example::

        except APIConnectionError: ...  # network trouble, worth a retry later
    """

    hint = "Check the endpoint URL and your network; the service was not reached."

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        #: False when the request may have reached the service and resending could bill or create twice.
        self.retryable = retryable


class APITimeoutError(APIConnectionError):
    """The service did not answer in time.

    A read timeout is not retried automatically: the generation may still run and be billed.

    Example::

        FoundryClient(endpoint, credential=cred, timeout=900)
    """

    hint = (
        "Image generation can take minutes: raise timeout=, use quality='low', simplify the prompt, "
        "or stream with partial images to keep the connection busy."
    )


class ServiceError(FoundryImageGenError):
    """The service answered with a failure. Subclasses say which kind.

    Example::

        except ServiceError as exc:
            log.error("%s (request id %s): %s", exc.code, exc.request_id, exc.hint)
    """

    #: Used when nothing more specific is known about the failure.
    default_hint = "See the message and the request id; retry if the failure looks temporary."
    #: The answer's rate-limit and diagnostic headers (a ``RateLimit``), set by the client; None before.
    rate_limit: RateLimit | None = None
    #: The raw HTTP status and headers of the answer (an ``HttpInfo``, credentials redacted), set by the client.
    http: HttpInfo | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        hint: str | None = None,
        retry_after: float | None = None,
        should_retry: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.param = param
        self.error_type = error_type
        self.request_id = request_id
        self.body = body
        self.hint = hint or self.default_hint
        #: Seconds the service asked us to wait (Retry-After / retry-after-ms), if it said.
        self.retry_after = retry_after
        #: The service's own verdict from the ``x-should-retry`` header, if it gave one.
        self.should_retry = should_retry

    def __str__(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.param:
            parts.append(f"param={self.param}")
        head = f"[{', '.join(parts)}] " if parts else ""
        tail = f" (request id: {self.request_id})" if self.request_id else ""
        return f"{head}{self.message}{tail}\nHint: {self.hint}"

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again may succeed (408, 409, 429 and 5xx)."""
        if self.should_retry is not None:
            return self.should_retry
        return self.status is not None and (self.status in (408, 409, 429) or self.status >= 500)


class BadRequestError(ServiceError):
    """HTTP 400 or 422: the service refused the request as written.

    Example::

        except BadRequestError as exc: print(exc.param)
    """

    default_hint = "The service rejected a parameter; check `param` and the message."


class ImageDeploymentError(BadRequestError):
    """The image deployment header is missing or names a deployment the resource lacks.

    Example::

        ImageGenerationTool(image_deployment="gpt-image-2")  # the name of your image deployment
    """

    default_hint = (
        "Pass ImageGenerationTool(image_deployment=...) or FoundryClient(image_deployment=...) with the exact "
        "name of an image model deployment (e.g. gpt-image-2) in this resource; it is sent as the "
        "x-ms-oai-image-generation-deployment header; the orchestrator model must be another deployment."
    )


class AuthenticationError(ServiceError):
    """HTTP 401: the key or token was refused.

    Example::

        FoundryClient(endpoint, credential=DefaultAzureCredential())
    """

    default_hint = (
        "Check the key, or that the token is for scope https://ai.azure.com/.default and the identity has "
        "the 'Foundry User' (projects) or 'Cognitive Services OpenAI User' (resources) role."
    )


class PermissionDeniedError(ServiceError):
    """HTTP 403: authenticated, but not allowed.

    Example::

        except PermissionDeniedError: ...  # ask for a role assignment
    """

    default_hint = (
        "The identity lacks a role on this resource (Foundry User / Cognitive Services OpenAI User), "
        "or access to a limited-access model (the gpt-image-1 series) has not been approved for the subscription."
    )


class NotFoundError(ServiceError):
    """HTTP 404.

    Example::

        except NotFoundError as exc: print(exc.code)
    """

    default_hint = "Check the endpoint path and the names in the request."


class DeploymentNotFoundError(NotFoundError):
    """The orchestrator model deployment named by ``model`` does not exist.

    Example::

        FoundryClient(endpoint, credential=cred, model="gpt-5.1")  # a deployment name, not a model id
    """

    default_hint = (
        "`model` must be the name of a chat model deployment in this resource (not the model id). "
        "If you created it within the last 5 minutes, wait a moment and try again."
    )


class RateLimitError(ServiceError):
    """HTTP 429. ``retry_after`` is the wait the service asked for, in seconds, when it said one.

    Example::

        except RateLimitError as exc:
            time.sleep(exc.retry_after or 10)
    """

    default_hint = (
        "The deployment's quota is used up (image models allow only a few requests per minute): "
        "wait retry_after seconds, lower concurrency, or request a quota increase."
    )

    @property
    def retryable(self) -> bool:
        return self.should_retry is not False


class ServerError(ServiceError):
    """HTTP 5xx (or an in-stream ``server_error``).

    Example::

        except ServerError as exc: print(exc.request_id)  # quote it to Azure support
    """

    default_hint = (
        "A temporary service fault: retry later; if it persists, open an Azure support request quoting the request id."
    )

    @property
    def retryable(self) -> bool:
        return self.should_retry is not False


class ContentFilterError(ServiceError):
    """The prompt or image was blocked by content filtering or moderation. Never retried.

    ``categories`` names the filters that fired, when the service said. ``moderation_stage`` says
    whether the input (prompt, input images) or the output (the generated image) was blocked:
    ``"input"``, ``"output"``, ``"unknown"``, or None when the service did not say.

    Example::

        except ContentFilterError as exc: print(exc.moderation_stage, exc.categories)
    """

    default_hint = (
        "Content filtering blocked the request: rephrase the prompt. Moderation can block benign prompts "
        "occasionally; repeated blocked requests can get a resource suspended, so do not loop on them."
    )
    _stage_hints: ClassVar[dict[str, str]] = {
        "input": (
            "Input moderation blocked the prompt or an input image before anything was generated: rephrase "
            "the prompt or change the input image. Do not loop on blocked requests."
        ),
        "output": (
            "Output moderation blocked the generated image: the prompt passed, but the picture it produced "
            "did not. Rephrase towards a different image. Do not loop on blocked requests."
        ),
    }

    def __init__(
        self,
        message: str,
        *,
        categories: tuple[str, ...] = (),
        moderation_stage: str | None = None,
        **kwargs: Any,
    ) -> None:
        if moderation_stage in self._stage_hints and "hint" not in kwargs:
            kwargs["hint"] = self._stage_hints[moderation_stage]
        super().__init__(message, **kwargs)
        self.categories = categories
        self.moderation_stage = moderation_stage

    @property
    def retryable(self) -> bool:
        return False


class GenerationFailedError(ServiceError):
    """HTTP 200, but the response ended ``failed`` or ``incomplete``.

    Example::

        except GenerationFailedError as exc: print(exc.code)
    """

    default_hint = "The generation failed on the service side; see code and message."

    @property
    def retryable(self) -> bool:
        # A failed generation may have been billed; say it may work again, but the client never
        # resends it on its own.
        return self.code in {"server_error", "rate_limit_exceeded"}


class NoImageGeneratedError(ServiceError):
    """The call succeeded but produced no image. ``text`` holds what the model said instead.

    Example::

        except NoImageGeneratedError as exc: print(exc.text)
    """

    default_hint = (
        "The model answered without calling the image tool: keep force_image=True (the default), make "
        "the prompt ask for an image, or check the agent's instructions."
    )

    def __init__(self, message: str, *, text: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.text = text


class InvalidResponseError(ServiceError):
    """The answer could not be read as a Responses API object (or an image in it is corrupt).

    Example::

        except InvalidResponseError as exc: print(exc.body)
    """

    default_hint = "The endpoint answered something other than the Responses API; check the endpoint URL."


class ResponseTooLargeError(InvalidResponseError):
    """A body or one stream event grew past its size limit; reading stopped there.

    ``limit`` is the limit in bytes and ``option`` the client option that sets it.

    Example::

        FoundryClient(endpoint, credential=cred, max_body_bytes=512 * 1024 * 1024)
    """

    default_hint = (
        "The answer is far larger than any image the service makes: check the endpoint (and any proxy); "
        "raise the named client option only if such answers are expected."
    )

    def __init__(self, message: str, *, limit: int, option: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit
        self.option = option


class ImageSaveError(FoundryImageGenError, OSError):
    """A received (and paid) image could not be written to disk; ``image`` still holds it in memory.

    ``path`` is where it was meant to go; the ``OSError`` that stopped the write is chained.

    Example::

        except ImageSaveError as exc:
            exc.image.save(fallback_path)
    """

    def __init__(self, message: str, *, image: Any, path: Any) -> None:
        super().__init__(message)
        #: The ``GeneratedImage`` that was not written; save it elsewhere.
        self.image = image
        self.path = path

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ClientClosedError(FoundryImageGenError, RuntimeError):
    """The client was used after ``close()`` (or after its ``with`` block ended).

    Example::

        with FoundryClient(endpoint, api_key=key) as client: ...
        client.generate("a cat")  # raises ClientClosedError
    """


class StreamError(FoundryImageGenError):
    """The event stream could not be read to its end.

    Example::

        except StreamError: ...  # nothing final was written to disk
    """


class TruncatedStreamError(StreamError):
    """The stream ended before its terminal event; no final image was produced.

    Example::

        except TruncatedStreamError as exc: print(exc.events_seen)
    """

    def __init__(self, message: str, *, events_seen: int = 0) -> None:
        super().__init__(message)
        self.events_seen = events_seen


class GenerationInProgressError(FoundryImageGenError):
    """A background generation has not finished yet: ``result()`` found it running, or ``wait()`` ran out of time.

    Nothing is lost: the generation keeps running on the service; wait again, or rebuild the handle
    elsewhere with ``client.background(exc.response_id)``.

    Example::

        except GenerationInProgressError as exc: print(exc.response_id, exc.status)
    """

    def __init__(self, message: str, *, response_id: str, status: str | None) -> None:
        super().__init__(message)
        self.response_id = response_id
        self.status = status
