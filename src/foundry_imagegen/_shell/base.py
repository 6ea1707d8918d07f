"""Everything the sync and async clients share; the shells add only sending, sleeping and token fetching."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
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
from .._core.constants import (
    DEFAULT_DEADLINE,
    DEFAULT_SCOPE,
    DEFAULT_TIMEOUT,
)
from .._core.deadline import Deadline
from .._core.flows import Step, build_flow
from .._core.limits import BodyBuffer, check_size_limit
from .._core.plan import AgentCache, CallDefaults
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
from .telemetry import CallTrace, Telemetry, configure_logging, log_attempt

#: Where a response read with ``images=True`` keeps its cut body (``CutBody``).
_CUT_BODY = "foundry_imagegen.cut_body"

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .._core.inputs import ImageInput, ResolvedImage
    from .._core.results import GeneratedImage, GenerationResult, Response
    from .._core.routes import Route
    from .._core.scan import ImageScanner
    from .._core.stream import StreamProcessor

log = logging.getLogger("foundry_imagegen.http")

AuthKind = Literal["api-key", "key-credential", "token-credential"]

_PY = ".".join(map(str, sys.version_info[:3]))
USER_AGENT = f"foundry-imagegen/{__version__} Python/{_PY} httpx/{httpx.__version__}"
_REDACTED_HEADERS = frozenset({"api-key", "authorization"})
R = TypeVar("R")


def with_http(value: R, response: httpx.Response) -> R:
    """A result or service error with the answer's ``rate_limit`` and ``http`` (redacted headers) attached."""
    from .._core.ratelimit import HttpInfo, rate_limit_from_headers
    from .._core.results import GenerationResult

    rate_limit = rate_limit_from_headers(response.headers)
    http = HttpInfo.of(response.status_code, response.headers)
    if isinstance(value, GenerationResult):
        return dataclasses.replace(value, rate_limit=rate_limit, http=http)
    if isinstance(value, ServiceError) and value.http is None:
        value.rate_limit, value.http = rate_limit, http
    return value


class LazyTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """httpx's default transport, made on the first request: a client that never sends never builds TLS.

    Building the TLS context (the CA bundle) is most of what constructing an ``httpx.Client`` costs:
    about 2.7 MiB and tens of milliseconds, paid at start-up by programs that may never call. Proxies
    from the environment keep their own transports, as httpx mounts them.

    Args:
        trust_env: As ``httpx.Client(trust_env=...)``: read ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``.
        is_async: Make an ``AsyncHTTPTransport`` rather than an ``HTTPTransport``.
    """

    def __init__(self, *, trust_env: bool, is_async: bool) -> None:
        import threading

        self._trust_env = trust_env
        self._is_async = is_async
        self._lock = threading.Lock()
        self._sync: httpx.HTTPTransport | None = None
        self._async: httpx.AsyncHTTPTransport | None = None

    def _make(self) -> None:
        with self._lock:  # two threads' first calls build one transport
            if self._sync is None and self._async is None:
                # httpx.Client's own defaults (DEFAULT_LIMITS), so nothing changes but when it is built.
                limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
                if self._is_async:
                    self._async = httpx.AsyncHTTPTransport(trust_env=self._trust_env, limits=limits)
                else:
                    self._sync = httpx.HTTPTransport(trust_env=self._trust_env, limits=limits)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the real transport, building it first if needed."""
        if self._sync is None:
            self._make()
        assert self._sync is not None, "a sync request on the async client's transport"
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the real async transport, building it first if needed."""
        if self._async is None:
            self._make()
        assert self._async is not None, "an async request on the sync client's transport"
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        """Close the real transport, if one was built."""
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close the real async transport, if one was built."""
        if self._async is not None:
            await self._async.aclose()


#: The longest timeout accepted: a day. Larger numbers (1e12) are a mistake, and overflow some
#: platforms' socket and event-loop timers.
MAX_TIMEOUT = 86400.0


def _seconds_ok(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(value)
        and 0 < value <= MAX_TIMEOUT
    )


def as_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """A caller's timeout as ``httpx.Timeout``; a number keeps the short connect timeout.

    NaN, infinities, zero, negatives and more than a day are refused here, before anything is sent.
    """
    if isinstance(value, httpx.Timeout):
        for name, part in value.as_dict().items():
            if part is not None and not _seconds_ok(part):
                raise ConfigurationError(
                    f"timeout=httpx.Timeout(..., {name}={part!r}) is not a number of seconds in "
                    f"(0, {MAX_TIMEOUT:.0f}]. Fix: e.g. httpx.Timeout(600, connect=10), or None for no limit on {name}"
                )
        return value
    if value is None:
        return httpx.Timeout(None)
    if not _seconds_ok(value):
        raise ConfigurationError(
            f"timeout={value!r} is not a number of seconds in (0, {MAX_TIMEOUT:.0f}]. Fix: e.g. timeout=600 (image "
            "generation can take minutes), an httpx.Timeout, or None for no limit"
        )
    connect = DEFAULT_TIMEOUT.connect or 10.0
    return httpx.Timeout(float(value), connect=min(connect, float(value)))


def scrub_credentials(request: httpx.Request) -> None:
    """Blank the credential headers of a request that has been sent.

    httpx exceptions and responses keep their request, so an error chained from one
    (``exc.__cause__.request.headers``) would otherwise still hold the key or token. Every attempt
    builds a fresh request, so nothing needs the header after sending.
    """
    for name in _REDACTED_HEADERS:
        if name in request.headers:
            request.headers[name] = "***"


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


def map_transport_error(
    exc: httpx.HTTPError, method: str, *, after_error_answer: bool = False, idempotent: bool = False
) -> APIConnectionError:
    """The typed error for an httpx transport failure (the one place they are translated).

    Only a failure before anything was sent (connect, pool) is safe to resend for any method. Once a
    POST may have reached the service, a generation may be running and billed, or an agent version or
    file created, so it is not resent; GET and DELETE are, and so is a call marked ``idempotent`` (a
    background cancel, a merge-patch).

    One exception, ``after_error_answer``: a retry sent right after the service answered with an error
    (a 429 with ``Retry-After: 0``, say) goes out on the keep-alive connection that answer came on, which
    the server may close at that very moment. A reset or close with no byte of answer there means the
    server dropped the idle connection, not that it took the request: it counts as nothing sent.
    """
    stale_keep_alive = after_error_answer and isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError))
    nothing_sent = stale_keep_alive or isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    retryable = nothing_sent or idempotent or method.upper() in _IDEMPOTENT
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
    endpoint: EndpointInfo | None = None


M = TypeVar("M", bound="BaseModel")


def model_parser(model: type[M]) -> Callable[[httpx.Response], M]:
    """A parse function for ``_execute`` that reads a typed JSON answer (errors raise typed)."""
    from .._core.parse import parse_model

    return lambda response: parse_model(
        response.status_code,
        response.headers,
        response.content,
        model,
        now=time.time(),
        method=response.request.method,
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

    # No defaults here: the public clients own them, so each is written once, where users read it.
    def __init__(
        self,
        endpoint: str,
        *,
        credential: Any,
        api_key: str | None,
        model: str | None,
        image_deployment: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        max_retry_wait: float,
        scope: str,
        agent_field: Literal["agent_reference", "agent"],
        deployment_models: Mapping[str, str] | None,
        today: Callable[[], date] | None,
        max_body_bytes: int,
        max_event_bytes: int,
        deadline: float | None,
        keep_raw_body: bool = False,
    ) -> None:
        self._keep_raw_body = bool(keep_raw_body)
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
        if (
            isinstance(max_retry_wait, bool)
            or not isinstance(max_retry_wait, (int, float))
            or not math.isfinite(max_retry_wait)
            or max_retry_wait < 0
        ):
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
        self._max_body_bytes = check_size_limit("max_body_bytes", max_body_bytes)
        self._max_event_bytes = check_size_limit("max_event_bytes", max_event_bytes)
        if deadline is not None and not _seconds_ok(deadline):
            raise ConfigurationError(
                f"deadline={deadline!r} is not a number of seconds in (0, {MAX_TIMEOUT:.0f}]. Fix: e.g. "
                f"deadline={DEFAULT_DEADLINE:.0f} (the whole call, retries included), or None for no limit"
            )
        self._deadline = None if deadline is None else float(deadline)
        #: The monotonic clock deadlines are read from (tests replace it instead of sleeping).
        self._clock: Callable[[], float] = time.monotonic
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

    def _refuse_proxy_in_clear(self, http_client: httpx.Client | httpx.AsyncClient) -> None:
        """Refuse an injected client that would send a plain-http request (and its key) through a proxy.

        Best effort: httpx does not say publicly which transport serves a URL, so a client whose
        internals differ passes unchecked.
        """
        if not self._endpoint.plain_http:
            return
        try:
            transport = http_client._transport_for_url(httpx.URL(self._endpoint.base_url))
            pool = type(getattr(transport, "_pool", None)).__name__
        except Exception:  # private httpx API: no answer means no check
            return
        if "Proxy" in pool:
            raise ConfigurationError(
                f"http_client sends requests for {self._endpoint.base_url!r} through a proxy, which would get the "
                "key or token in clear over plain http. Fix: use an https:// endpoint, or an http_client without "
                "a proxy (httpx.Client(trust_env=False)) for loopback"
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
        agent_endpoint: bool = False,
        **kwargs: Any,
    ) -> Generator[Step, Any, tuple[ResponsesRequest, ImageGenerationTool]]:
        """The core's flow for one call, after the local reads and checks every call makes first."""
        resolved_images, resolved_mask = self._resolve_inputs(images, mask)
        if agent is not None:
            self._project_url("agent=")
        defaults = self._defaults
        if agent_endpoint:
            defaults = dataclasses.replace(defaults, agent_field="")  # the URL names the agent, not the body
        return build_flow(
            prompt,
            defaults,
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
            endpoint=self._endpoint,
        )

    def _api_call(self, request: ResponsesRequest, route: Route | None = None) -> ApiCall:
        if route is not None:
            return route.call(request.method, request.path, json=request.json, headers=request.headers)
        return ApiCall(
            request.method, self._endpoint.base_url + request.path, json=request.json, headers=request.headers
        )

    def _route(self, agent: object = None, agent_endpoint: bool | str = False) -> Route:
        """Where Responses calls go: the client's base, or the agent endpoint of ``agent``."""
        from .._core.routes import agent_endpoint_route, default_route, endpoint_agent_name

        if isinstance(agent_endpoint, str):
            return agent_endpoint_route(self._endpoint, agent_endpoint)
        if not isinstance(agent_endpoint, bool):
            raise ConfigurationError(f"agent_endpoint={agent_endpoint!r}. Fix: True or False")
        if not agent_endpoint:
            return default_route(self._endpoint)
        return agent_endpoint_route(self._endpoint, endpoint_agent_name(agent))

    def _call_state(
        self,
        prompt: InputLike,
        *,
        agent: object,
        agent_endpoint: bool,
        previous_response_id: str | None,
        conversation: object,
        background: bool,
        store: bool | None,
    ) -> tuple[Route, InputLike, str | None, bool | None]:
        """Every check of a call's state, before any I/O: its route, input, conversation id and ``store``."""
        from .._core.conversations import check_state, replay_input

        route = self._route(agent, agent_endpoint)
        cid, store = check_state(
            previous_response_id=previous_response_id,
            conversation=conversation,
            background=background,
            store=store,
            route=route,
        )
        served_by = "conversation" if cid else "previous_response_id" if previous_response_id else None
        return route, replay_input(prompt, served_by=served_by), cid, store

    def _stateful_call(
        self, request: ResponsesRequest, route: Route, *, conversation: str | None, background: bool
    ) -> ApiCall:
        from .._core.conversations import with_state

        return self._api_call(with_state(request, conversation=conversation, background=background), route)

    def _auth_headers(self, token: str | None) -> dict[str, str]:
        if self._auth_kind == "api-key":
            assert self._api_key is not None
            return {"api-key": self._api_key.get()}
        if self._auth_kind == "key-credential":
            # Read on every call so that AzureKeyCredential.update() rotates keys without a new client.
            return {"api-key": str(self._credential.key)}
        return {"Authorization": f"Bearer {token}"}

    def _call_deadline(self) -> Deadline:
        """The deadline of a call starting now: ``deadline`` seconds, for every attempt and wait."""
        seconds = self._deadline
        option = f"deadline={seconds:g}" if seconds is not None else ""
        return Deadline.after(now=self._clock(), seconds=seconds, option=option, caps_waits=True)

    def _attempt_deadline(
        self, timeout: float | httpx.Timeout | ClientDefault | None, call_deadline: Deadline
    ) -> Deadline:
        """The deadline of one attempt: its read timeout, from sending to the answer's last byte.

        Raises ``APITimeoutError`` if the call's own deadline has already passed.
        """
        now = self._clock()
        call_deadline.check(now=now)
        effective = self._timeout if timeout is CLIENT_DEFAULT else as_timeout(timeout)
        read = effective.read
        attempt = Deadline.after(now=now, seconds=read, option=f"timeout={read:g}" if read else "")
        return attempt.earliest(call_deadline)

    def _httpx_request(
        self,
        call: ApiCall,
        *,
        token: str | None,
        timeout: float | httpx.Timeout | ClientDefault | None,
        client_request_id: str,
        deadline: Deadline | None = None,
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
        # generation short; no single wait may outlast the attempt's deadline.
        limits = effective.as_dict()
        left = deadline.left(now=self._clock()) if deadline is not None and deadline.caps_waits else None
        if left is not None:
            left = max(left, 0.001)
            limits = {name: left if value is None else min(value, left) for name, value in limits.items()}
        extensions = {"timeout": limits}
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
            from .._core.conversations import check_request_size

            headers.setdefault("Content-Type", "application/json")
            content = json.dumps(call.json, separators=(",", ":"), ensure_ascii=False).encode()
            check_request_size(len(content))
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

    def _started(self, response: httpx.Response) -> Response:
        """The answer to a background start: the response as queued (its status is not an error yet)."""
        from .._core.parse import parse_model
        from .._core.results import Response

        log.info("%s %s -> %d", response.request.method, response.request.url, response.status_code)
        return parse_model(response.status_code, response.headers, response.content, Response, now=time.time())

    def _body_buffer(self, response: httpx.Response, *, images: bool) -> BodyBuffer | ImageScanner:
        """What collects a body: an ``ImageScanner`` for a successful answer that may hold images."""
        if images and response.status_code < 400:
            from .._core.scan import ImageScanner

            length = response.headers.get("content-length", "")
            # An image is at most 3/4 of the body that carries it as base64.
            hint = min(int(length), self._max_body_bytes) * 3 // 4 if length.isdigit() else 0
            return ImageScanner(limit=self._max_body_bytes, keep_raw=self._keep_raw_body, size_hint=hint)
        return BodyBuffer(self._max_body_bytes)

    def _body_read(self, response: httpx.Response, buffer: BodyBuffer | ImageScanner) -> None:
        """Put what ``buffer`` collected where the parsers look: ``response.content`` (and the cut body)."""
        if isinstance(buffer, BodyBuffer):
            # What httpx's own read() fills in; the parsers read response.content.
            response._content = buffer.content()
            return
        body = buffer.finish()
        # The JSON around the images; _finish reads the images from the cut body itself.
        response._content = body.rest
        response.extensions[_CUT_BODY] = body

    def _stream_processor(self, on_partial_image: Callable[[GeneratedImage], None] | None) -> StreamProcessor:
        import inspect  # deferred, as in _check_auth

        from .._core.stream import StreamProcessor

        if on_partial_image is not None and inspect.iscoroutinefunction(on_partial_image):
            raise ConfigurationError(
                "on_partial_image is an async function, which the stream would never await. Fix: pass a plain "
                "function, or iterate `async for image in stream.partial_images()` and await there"
            )

        return StreamProcessor(
            on_partial_image=on_partial_image,
            max_event_bytes=self._max_event_bytes,
            max_body_bytes=self._max_body_bytes,
        )

    def _raise_for_stream_status(self, response: httpx.Response) -> None:
        """Raise the typed error of a refused stream request (its body must have been read)."""
        from .._core.parse import error_from_http

        raise with_http(
            error_from_http(
                response.status_code,
                response.headers,
                response.content,
                now=time.time(),
                method=response.request.method,
            ),
            response,
        )

    def _finish(
        self,
        response: httpx.Response,
        *,
        require_image: bool,
        requested_format: str | None,
    ) -> GenerationResult:
        # Deferred: the response models load with the first answer, which arrives seconds after the call.
        from .._core.parse import parse_generation

        cut = response.extensions.get(_CUT_BODY)
        result = parse_generation(
            response.status_code,
            response.headers,
            cut if cut is not None else response.content,
            requested_format=requested_format,
            require_image=require_image,
            now=time.time(),
            method=response.request.method,
        )
        if self._keep_raw_body:
            import dataclasses

            raw = cut.original() if cut is not None else response.content
            result = dataclasses.replace(result, raw_body=raw)
        return with_http(result, response)


__all__ = [
    "BaseFoundryClient",
    "LazyTransport",
    "ResourceContext",
    "credential_errors",
    "map_transport_error",
    "model_parser",
    "redacted",
    "scrub_credentials",
    "with_http",
]
