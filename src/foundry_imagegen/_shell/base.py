"""Everything the sync and async clients share; the shells add only sending, sleeping and token fetching."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx

from .._core.calls import CLIENT_DEFAULT, ApiCall, ClientDefault, InputLike, ResponsesRequest
from .._core.config import EndpointInfo, Secret, TokenCache, resolve_endpoint
from .._core.constants import DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_WAIT, DEFAULT_SCOPE, DEFAULT_TIMEOUT
from .._core.flows import Step, build_flow
from .._core.plan import AgentCache, CallDefaults
from .._core.ratelimit import HttpInfo, rate_limit_from_headers
from .._core.retry import RetryPolicy
from .._core.tool import ImageGenerationTool
from .._version import __version__
from ..exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    ServiceError,
)
from .tracing import CallTrace, Telemetry, configure_logging, log_attempt

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .._core.inputs import ImageInput, ResolvedImage
    from .._core.results import GeneratedImage, GenerationResult
    from .._core.stream import StreamProcessor

log = logging.getLogger("foundry_imagegen.http")

AuthKind = Literal["api-key", "key-credential", "token-credential"]

_PY = ".".join(map(str, sys.version_info[:3]))
USER_AGENT = f"foundry-imagegen/{__version__} Python/{_PY} httpx/{httpx.__version__}"
_REDACTED_HEADERS = frozenset({"api-key", "authorization"})
R = TypeVar("R")


def with_http(value: R, response: httpx.Response) -> R:
    """A result or service error with the answer's ``rate_limit`` and ``http`` (redacted headers) attached."""
    from .._core.results import GenerationResult

    rate_limit = rate_limit_from_headers(response.headers)
    http = HttpInfo.of(response.status_code, response.headers)
    if isinstance(value, GenerationResult):
        return dataclasses.replace(value, rate_limit=rate_limit, http=http)
    if isinstance(value, ServiceError) and value.http is None:
        value.rate_limit, value.http = rate_limit, http
    return value


def as_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """A caller's timeout as ``httpx.Timeout``; a number keeps the short connect timeout."""
    if isinstance(value, httpx.Timeout):
        return value
    if value is None:
        return httpx.Timeout(None)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigurationError(
            f"timeout={value!r} is not a positive number of seconds. Fix: e.g. timeout=600 (image "
            "generation can take minutes), an httpx.Timeout, or None for no limit"
        )
    connect = DEFAULT_TIMEOUT.connect or 10.0
    return httpx.Timeout(float(value), connect=min(connect, float(value)))


def redacted(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers fit for a log line: credentials replaced by ``***``."""
    return {k: ("***" if k.lower() in _REDACTED_HEADERS else v) for k, v in headers.items()}


@contextlib.contextmanager
def credential_errors() -> Iterator[None]:
    """Turn what a credential raises while fetching a token into the SDK's own errors."""
    try:
        yield
    except ImportError as exc:
        if "aiohttp" not in str(exc):
            raise
        raise ConfigurationError(
            "the async credential needs aiohttp, which azure-identity's async credentials use for HTTP. Fix: "
            "pip install 'foundry-imagegen[aio]' (or aiohttp)"
        ) from exc
    except Exception as exc:
        from azure.core.exceptions import ClientAuthenticationError

        if not isinstance(exc, ClientAuthenticationError):
            raise
        raise AuthenticationError(
            f"the credential could not get a token: {exc.message or exc}",
            hint=(
                "Sign in (az login), or set the variables your credential reads (AZURE_CLIENT_ID, "
                "AZURE_TENANT_ID, ...), or use api_key=. See azure-identity's troubleshooting guide."
            ),
        ) from exc


_IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE"})


def map_transport_error(exc: httpx.HTTPError, method: str) -> APIConnectionError:
    """The typed error for an httpx transport failure (the one place they are translated).

    Only a failure before anything was sent (connect, pool) is safe to resend for any method. Once a
    POST may have reached the service, a generation may be running and billed, or an agent version or
    file created, so it is not resent; GET and DELETE are.
    """
    nothing_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    retryable = nothing_sent or method.upper() in _IDEMPOTENT
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return APITimeoutError(f"could not connect in time: {exc}", retryable=True)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"the service did not answer in time ({type(exc).__name__})", retryable=False)
    return APIConnectionError(f"{type(exc).__name__}: {exc}", retryable=retryable)


@dataclass(frozen=True)
class ResourceContext:
    """All that ``client.agents`` and ``client.files`` may use of their client, besides sending."""

    base_url: str
    project_url: Callable[[str], str]
    defaults: CallDefaults
    agent_cache: AgentCache


M = TypeVar("M", bound="BaseModel")


def model_parser(model: type[M]) -> Callable[[httpx.Response], M]:
    """A parse function for ``_execute`` that reads a typed JSON answer (errors raise typed)."""
    from .._core.parse import parse_model

    return lambda response: parse_model(
        response.status_code, response.headers, response.content, model, now=time.time()
    )


def _check_deployment_models(mapping: Mapping[str, str] | None) -> dict[str, str]:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise ConfigurationError(
            f"deployment_models is a {type(mapping).__name__}. Fix: a dict of deployment name -> model name, "
            "e.g. {'my-img': 'gpt-image-2', 'chat': 'gpt-5.1'}"
        )
    checked = {}
    for deployment, model in mapping.items():
        if not isinstance(deployment, str) or not isinstance(model, str) or not deployment or not model:
            raise ConfigurationError(
                f"deployment_models[{deployment!r}]={model!r}. Fix: both the deployment and the model are "
                "non-empty names, e.g. {'my-img': 'gpt-image-2'}"
            )
        checked[deployment] = model
    return checked


class BaseFoundryClient:
    """Shared construction, request preparation and answer handling of both clients."""

    _is_async = False

    def __init__(
        self,
        endpoint: str,
        *,
        credential: Any = None,
        api_key: str | None = None,
        model: str | None = None,
        image_deployment: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        scope: str = DEFAULT_SCOPE,
        agent_field: Literal["agent_reference", "agent"] = "agent_reference",
        deployment_models: Mapping[str, str] | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self._endpoint: EndpointInfo = resolve_endpoint(endpoint)
        self._auth_kind, self._credential, self._api_key = self._check_auth(credential, api_key)
        self._model = model
        if image_deployment is not None:
            try:
                ImageGenerationTool(image_deployment=image_deployment)  # the same name rules as the tool's
            except ValueError as exc:
                raise ConfigurationError(
                    f"image_deployment={image_deployment!r} is not a deployment name (1-64 letters, digits, '.', "
                    "'_' or '-'). Fix: the name shown under Deployments in the Foundry portal"
                ) from exc
        self._image_deployment = image_deployment
        self._timeout = as_timeout(timeout)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries={max_retries!r}. Fix: an integer >= 0 (0 disables retries)")
        if isinstance(max_retry_wait, bool) or not isinstance(max_retry_wait, (int, float)) or max_retry_wait < 0:
            raise ConfigurationError(f"max_retry_wait={max_retry_wait!r}. Fix: a number of seconds >= 0")
        self._retry = RetryPolicy(max_retries=max_retries, max_wait=float(max_retry_wait))
        if not scope or not scope.startswith("https://"):
            raise ConfigurationError(f"scope={scope!r}. Fix: e.g. {DEFAULT_SCOPE!r}")
        self._scope = scope
        self._tokens = TokenCache()
        self._closed = False
        self._owns_credential = False
        if agent_field not in ("agent_reference", "agent"):
            raise ConfigurationError(f"agent_field={agent_field!r}. Fix: 'agent_reference' (default) or 'agent'")
        self._agent_field = agent_field
        self._agent_cache = AgentCache()
        self._deployment_models = _check_deployment_models(deployment_models)
        if today is not None and not callable(today):
            raise ConfigurationError(
                f"today={today!r} is not callable. Fix: pass a function returning a date, e.g. "
                "today=lambda: datetime.date(2026, 12, 2), or leave it unset (datetime.date.today)"
            )
        # The one clock read of the lifecycle checks, on the shell side: the core is handed the date.
        self._today: Callable[[], date] = today if today is not None else date.today
        # Read once, here: FOUNDRY_IMAGEGEN_LOG and the conventions' content-capture switch.
        configure_logging(os.environ)
        self._telemetry = Telemetry(os.environ)

    def _http_client_mismatch(self, http_client: object) -> str:
        name = type(self).__name__
        want, other, other_wants = (
            ("httpx.AsyncClient", "FoundryClient", "an httpx.Client")
            if self._is_async
            else ("httpx.Client", "AsyncFoundryClient", "an httpx.AsyncClient")
        )
        return (
            f"http_client is a {type(http_client).__name__}. Fix: {name} needs an {want} ({other} takes {other_wants})"
        )

    def _check_auth(self, credential: Any, api_key: str | None) -> tuple[AuthKind, Any, Secret | None]:
        name = type(self).__name__
        if credential is not None and api_key is not None:
            raise ConfigurationError(
                f"{name} got both credential= and api_key=. Fix: pass one: a key, or a token credential"
            )
        if api_key is not None:
            if not isinstance(api_key, str) or not api_key.strip():
                raise ConfigurationError("api_key is empty. Fix: pass the resource key, or use credential=")
            return "api-key", None, Secret(api_key.strip())
        if credential is None:
            raise ConfigurationError(
                f"{name} needs credential= or api_key=. Fix: credential=DefaultAzureCredential() "
                f"(from azure.identity{'.aio' if self._is_async else ''}), or api_key='...'"
            )
        get_token = getattr(credential, "get_token", None)
        if get_token is None:
            if isinstance(getattr(credential, "key", None), str):
                return "key-credential", credential, None
            raise ConfigurationError(
                f"credential is a {type(credential).__name__}, with neither get_token nor key. Fix: pass "
                "an azure-identity credential or azure.core.credentials.AzureKeyCredential"
            )
        import inspect  # deferred: only token credentials need it

        is_coroutine = inspect.iscoroutinefunction(get_token)
        if is_coroutine != self._is_async:
            want = "azure.identity.aio" if self._is_async else "azure.identity"
            raise ConfigurationError(
                f"credential {type(credential).__name__} is {'async' if is_coroutine else 'sync'}, but "
                f"{name} needs a {'async' if self._is_async else 'sync'} one. Fix: use the credential "
                f"from {want}"
            )
        return "token-credential", credential, None

    def _token_source(self) -> Any:
        # get_token_info (azure-core >= 1.31) also says when to refresh; older credentials lack it.
        return getattr(self._credential, "get_token_info", None) or self._credential.get_token

    def __repr__(self) -> str:
        # getattr: repr may run on a half-built client while a constructor error is being shown.
        endpoint = getattr(getattr(self, "_endpoint", None), "base_url", None)
        return (
            f"{type(self).__name__}(endpoint={endpoint!r}, auth={getattr(self, '_auth_kind', None)!r}, "
            f"model={getattr(self, '_model', None)!r}, "
            f"image_deployment={getattr(self, '_image_deployment', None)!r})"
        )

    @property
    def base_url(self) -> str:
        """The ``.../openai/v1`` URL that requests go to."""
        return self._endpoint.base_url

    @property
    def model(self) -> str | None:
        """The default orchestrator model deployment."""
        return self._model

    @property
    def image_deployment(self) -> str | None:
        """The default image model deployment."""
        return self._image_deployment

    @property
    def is_closed(self) -> bool:
        """Whether ``close()`` has run."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError(
                f"this {type(self).__name__} is closed. Fix: create a new client, or use it inside its with-block"
            )

    def _project_url(self, what: str) -> str:
        if self._endpoint.project_url is None:
            raise ConfigurationError(
                f"{what} needs a Foundry project endpoint, but this client points at {self._endpoint.base_url!r}. "
                "Fix: use 'https://<resource>.services.ai.azure.com/api/projects/<project>'"
            )
        return self._endpoint.project_url

    def _resolve_inputs(
        self, images: Sequence[ImageInput] | None, mask: ImageInput | None
    ) -> tuple[list[ResolvedImage], ResolvedImage | None]:
        from .._core.inputs import check_mask
        from .disk import resolve_image

        resolved = [resolve_image(image, param=f"images[{index}]") for index, image in enumerate(images or ())]
        resolved_mask = resolve_image(mask, param="mask") if mask is not None else None
        if resolved_mask is not None:
            check_mask(resolved_mask, resolved[0] if resolved else None)
        return resolved, resolved_mask

    @property
    def _defaults(self) -> CallDefaults:
        return CallDefaults(
            model=self._model,
            image_deployment=self._image_deployment,
            agent_field=self._agent_field,
            deployment_models=self._deployment_models,
            today=self._today(),
        )

    @property
    def deployment_models(self) -> Mapping[str, str]:
        """Deployment name -> catalog model name, as given to the constructor."""
        return dict(self._deployment_models)

    def _flow(
        self,
        prompt: InputLike,
        *,
        images: Sequence[ImageInput] | None,
        mask: ImageInput | None,
        agent: object,
        **kwargs: Any,
    ) -> Generator[Step, Any, tuple[ResponsesRequest, ImageGenerationTool]]:
        """The core's flow for one call, after the local reads and checks every call makes first."""
        resolved_images, resolved_mask = self._resolve_inputs(images, mask)
        if agent is not None:
            self._project_url("agent=")
        return build_flow(
            prompt,
            self._defaults,
            self._agent_cache,
            images=resolved_images,
            mask=resolved_mask,
            agent=agent,
            **kwargs,
        )

    def _context(self) -> ResourceContext:
        return ResourceContext(
            base_url=self._endpoint.base_url,
            project_url=self._project_url,
            defaults=self._defaults,
            agent_cache=self._agent_cache,
        )

    def _api_call(self, request: ResponsesRequest) -> ApiCall:
        return ApiCall(
            request.method, self._endpoint.base_url + request.path, json=request.json, headers=request.headers
        )

    def _auth_headers(self, token: str | None) -> dict[str, str]:
        if self._auth_kind == "api-key":
            assert self._api_key is not None
            return {"api-key": self._api_key.get()}
        if self._auth_kind == "key-credential":
            # Read on every call so that AzureKeyCredential.update() rotates keys without a new client.
            return {"api-key": str(self._credential.key)}
        return {"Authorization": f"Bearer {token}"}

    def _httpx_request(
        self,
        call: ApiCall,
        *,
        token: str | None,
        timeout: float | httpx.Timeout | ClientDefault | None,
        client_request_id: str,
    ) -> httpx.Request:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "x-ms-client-request-id": client_request_id,
            **call.headers,
            **self._auth_headers(token),
        }
        effective = self._timeout if timeout is CLIENT_DEFAULT else as_timeout(timeout)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("request %s %s headers=%s", call.method, call.url, redacted(headers))
        # The timeout is set per request so an injected httpx client's 5 s default never cuts a
        # generation short.
        extensions = {"timeout": effective.as_dict()}
        if call.files is not None:
            return httpx.Request(
                call.method,
                call.url,
                params=call.params,
                headers=headers,
                files=call.files,
                data=call.data,
                extensions=extensions,
            )
        content = None
        if call.json is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(call.json, separators=(",", ":"), ensure_ascii=False).encode()
        return httpx.Request(
            call.method, call.url, params=call.params, headers=headers, content=content, extensions=extensions
        )

    @staticmethod
    def _parse_answer(response: httpx.Response, parse: Callable[[httpx.Response], R]) -> R:
        """``parse(response)``; a service error it raises carries the answer's rate limit and headers."""
        try:
            return parse(response)
        except ServiceError as exc:
            with_http(exc, response)
            raise

    def _attempt_done(
        self,
        call: ApiCall,
        trace: CallTrace,
        response: httpx.Response | None,
        exc: BaseException | None,
        *,
        started: float,
        attempt: int,
    ) -> None:
        """The log line and span event of one HTTP attempt."""
        seconds = time.perf_counter() - started
        log_attempt(call, response, exc, seconds=seconds, attempt=attempt)
        trace.attempt(attempt, response, exc, seconds)

    def _new_client_request_id(self) -> str:
        # A version-4 UUID without importing uuid (and platform with it) at import time.
        raw = bytearray(os.urandom(16))
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _wants_reauth(self, status: int, attempt: int) -> bool:
        # One fresh token after a 401: the cached one may have been revoked early.
        if status == 401 and attempt == 0 and self._auth_kind == "token-credential":
            self._tokens.invalidate()
            return True
        return False

    def _stream_processor(self, on_partial_image: Callable[[GeneratedImage], None] | None) -> StreamProcessor:
        import inspect  # deferred, as in _check_auth

        from .._core.stream import StreamProcessor

        if on_partial_image is not None and inspect.iscoroutinefunction(on_partial_image):
            raise ConfigurationError(
                "on_partial_image is an async function, which the stream would never await. Fix: pass a plain "
                "function, or iterate `async for image in stream.partial_images()` and await there"
            )

        return StreamProcessor(on_partial_image=on_partial_image)

    def _raise_for_stream_status(self, response: httpx.Response) -> None:
        """Raise the typed error of a refused stream request (its body must have been read)."""
        from .._core.parse import error_from_http

        raise with_http(
            error_from_http(response.status_code, response.headers, response.content, now=time.time()), response
        )

    def _finish(
        self,
        response: httpx.Response,
        *,
        require_image: bool,
        requested_format: str | None,
    ) -> GenerationResult:
        # Deferred: the response models load with the first answer, which arrives seconds after the call.
        from .._core.parse import parse_response, request_id_of, result_from_response

        request_id = request_id_of(response.headers)
        parsed = parse_response(response.status_code, response.headers, response.content, now=time.time())
        result = result_from_response(
            parsed,
            request_id=request_id,
            requested_format=requested_format,
            require_image=require_image,
            status=response.status_code,
        )
        return with_http(result, response)


__all__ = [
    "BaseFoundryClient",
    "ResourceContext",
    "credential_errors",
    "map_transport_error",
    "model_parser",
    "redacted",
    "with_http",
]
