# Generated from _shell/_async/client.py by scripts/unasync.py: do not edit; edit the source and run it.
"""The client: sends, sleeps and fetches tokens; every decision lives in the core."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx

from ..._core.calls import CLIENT_DEFAULT, ApiCall, ClientDefault, InputLike, ResponsesRequest
from ..._core.config import from_env_settings
from ..._core.constants import DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_WAIT, DEFAULT_SCOPE, DEFAULT_TIMEOUT
from ..._core.flows import LookupAgent
from ..._core.tool import ImageGenerationTool
from ...exceptions import ConfigurationError
from ..base import BaseFoundryClient, credential_errors, map_transport_error
from ..retrying import tenacity_kwargs
from ..tracing import NO_TRACE, CallTrace
from ._backend import IS_ASYNC, Lock, Retrying, default_sleep

if TYPE_CHECKING:
    from azure.core.credentials import AzureKeyCredential, TokenCredential

    from ..._core.agents import AgentReference, AgentVersion
    from ..._core.doctor import DoctorReport
    from ..._core.inputs import ImageInput
    from ..._core.results import GeneratedImage, GenerationResult
    from .resources import Agents, Files
    from .stream import ImageStream

__all__ = ["FoundryClient"]

T = TypeVar("T")


class FoundryClient(BaseFoundryClient):
    """Generate images with the Foundry / Azure OpenAI image generation tool, asynchronously.

    Example::

        from azure.identity import DefaultAzureCredential
        from foundry_imagegen import FoundryClient

        with FoundryClient(
            "https://<resource>.services.ai.azure.com/api/projects/<project>",
            credential=DefaultAzureCredential(), model="gpt-5.1", image_deployment="gpt-image-2",
        ) as client:
            result = client.generate("a red fox in fresh snow")
            result.save("fox.png")

    Parameters:
        endpoint: the Foundry project endpoint (or an Azure OpenAI resource endpoint).
        credential: an async token credential or an ``AzureKeyCredential``; or pass ``api_key``.
        api_key: the resource key.
        model: the default orchestrator (chat) model deployment, e.g. a gpt-5-family deployment.
        image_deployment: the default image model deployment, e.g. gpt-image-2 or gpt-image-1-mini.
        timeout: per attempt; a number, an ``httpx.Timeout``, or None for no limit.
        max_retries: retries of retryable failures (0 disables them).
        max_retry_wait: the longest server-requested wait slept through.
        scope: the Entra ID scope of the tokens.
        http_client: an ``httpx.Client`` to send with (the caller closes it).
        sleep: the async sleep used between retries (tests inject one).
        agent_field: the body field that names an agent (``agent_reference`` or the legacy ``agent``).
        deployment_models: deployment name -> catalog model it runs (``{"my-img": "gpt-image-2"}``), so
            custom-named deployments are checked against their model's rules and retirement date.
        today: returns the date retirement warnings judge by (default ``datetime.date.today``).
    """

    _is_async = IS_ASYNC

    def __init__(
        self,
        endpoint: str,
        *,
        credential: TokenCredential | AzureKeyCredential | None = None,
        api_key: str | None = None,
        model: str | None = None,
        image_deployment: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        scope: str = DEFAULT_SCOPE,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] | None = None,
        agent_field: Literal["agent_reference", "agent"] = "agent_reference",
        deployment_models: Mapping[str, str] | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        super().__init__(
            endpoint,
            credential=credential,
            api_key=api_key,
            model=model,
            image_deployment=image_deployment,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            scope=scope,
            agent_field=agent_field,
            deployment_models=deployment_models,
            today=today,
        )
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ConfigurationError(self._http_client_mismatch(http_client))
        self._http = http_client if http_client is not None else httpx.Client(follow_redirects=False)
        self._owns_http = http_client is None
        self._token_lock = Lock()
        self._sleep = sleep if sleep is not None else default_sleep

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> FoundryClient:
        """A client configured from environment variables (the names the official samples use).

        ``AZURE_AI_PROJECT_ENDPOINT`` (or ``AZURE_OPENAI_ENDPOINT``), ``AZURE_OPENAI_API_KEY`` (else
        ``DefaultAzureCredential``), ``AZURE_AI_MODEL_DEPLOYMENT_NAME``,
        ``IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME``. Keyword arguments override what the variables say.

        Example::

            client = FoundryClient.from_env()
        """
        settings, needs_credential = from_env_settings(os.environ if environ is None else environ, overrides)
        if needs_credential:
            from azure.identity import DefaultAzureCredential

            settings["credential"] = DefaultAzureCredential()
        client = cls(settings.pop("endpoint"), **settings)
        client._owns_credential = needs_credential
        return client

    def __enter__(self) -> FoundryClient:
        self._check_open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections this client opened (and a credential made by ``from_env``). Idempotent.

        Example::

            client.close()  # or `with FoundryClient(...) as client:`
        """
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            self._http.close()
        if self._owns_credential:
            close = getattr(self._credential, "close", None)
            if close is not None:
                close()

    @property
    def agents(self) -> Agents:
        """Foundry prompt agents of the project: create versions, get, list, delete, ephemeral.

        Example::

            version = client.agents.create_version("poster-artist", model="gpt-5.1", tool=tool)
        """
        from .resources import Agents

        return Agents(self._context(), self._execute)

    @property
    def files(self) -> Files:
        """The Files API, for image inputs and masks referenced by id.

        Example::

            uploaded = client.files.upload("photo.png")
        """
        from .resources import Files

        return Files(self._context(), self._execute)

    def generate(
        self,
        prompt: InputLike,
        *,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        images: Sequence[ImageInput] | None = None,
        mask: ImageInput | None = None,
        agent: str | AgentReference | AgentVersion | None = None,
        previous_response_id: str | None = None,
        store: bool | None = None,
        force_image: bool | None = None,
        upload_images: bool = False,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        extra_body: Mapping[str, Any] | None = None,
    ) -> GenerationResult:
        """Ask for an image and return it decoded; raises instead of returning an empty result.

        ``images`` are input images (bytes, paths, URLs, ``FileId``s or earlier ``GeneratedImage``s),
        sent inline or, with ``upload_images=True``, through the Files API; ``mask`` marks where to edit
        the first one. ``agent`` names a stored agent instead of ``model``. ``force_image`` (default: on
        for direct calls) sends ``tool_choice={"type": "image_generation"}``. ``timeout`` (default: the
        client's) bounds each attempt; ``None`` there means no limit.

        Example::

            result = client.generate("a koi pond, ukiyo-e", tool=ImageGenerationTool(quality="low"))
            result.save("koi.png")
        """
        request, resolved = self._build(
            prompt,
            tool=tool,
            model=model,
            instructions=instructions,
            images=images,
            mask=mask,
            agent=agent,
            previous_response_id=previous_response_id,
            store=store,
            force_image=force_image,
            upload_images=upload_images,
            stream=False,
            extra_body=extra_body,
        )
        return self._execute(
            self._api_call(request),
            lambda response: self._finish(response, require_image=True, requested_format=resolved.output_format),
            timeout=timeout,
        )

    def edit(
        self,
        previous: GenerationResult | ImageInput,
        prompt: str,
        *,
        mask: ImageInput | None = None,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        agent: str | AgentReference | AgentVersion | None = None,
        via: Literal["auto", "previous_response_id", "input_image"] = "auto",
        store: bool | None = None,
        force_image: bool | None = None,
        upload_images: bool = False,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        extra_body: Mapping[str, Any] | None = None,
    ) -> GenerationResult:
        """Edit an image, or continue from an earlier result; ``result.edited_via`` says how.

        A stored earlier result is continued with ``previous_response_id`` (the service keeps the
        context); otherwise its image is sent again as an input image. ``previous`` may also be any
        image input (bytes, path, URL, ``FileId``, ``GeneratedImage``).

        Example::

            first = client.generate("a cottage in a meadow", store=True)
            second = client.edit(first, "make it winter")
            third = client.edit(second, "add smoke from the chimney", mask="chimney-mask.png")
        """
        from ..._core.inputs import plan_edit
        from ..disk import read_image_file

        plan = plan_edit(previous, via=via, mask=mask, read_path=read_image_file)
        images = [plan.image] if plan.image is not None else None
        result = self.generate(
            prompt,
            tool=tool,
            model=model,
            instructions=instructions,
            images=images,
            mask=mask,
            agent=agent,
            previous_response_id=plan.previous_response_id,
            store=store,
            force_image=force_image,
            upload_images=upload_images,
            timeout=timeout,
            extra_body=extra_body,
        )
        return dataclasses.replace(result, edited_via=plan.via)

    def stream(
        self,
        prompt: InputLike,
        *,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        images: Sequence[ImageInput] | None = None,
        mask: ImageInput | None = None,
        agent: str | AgentReference | AgentVersion | None = None,
        previous_response_id: str | None = None,
        store: bool | None = None,
        force_image: bool | None = None,
        upload_images: bool = False,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        extra_body: Mapping[str, Any] | None = None,
        on_partial_image: Callable[[GeneratedImage], None] | None = None,
    ) -> ImageStream:
        """Stream a generation: partial images as they render, then the final image.

        Returns a context manager; the request is built and sent on entering it. With ``partial_images`` unset on
        the tool, one partial is asked for (the service refuses streams with zero). ``on_partial_image``
        is called with each partial ``GeneratedImage`` as it arrives. Other arguments as ``generate``.

        Example::

            with client.stream("a fox", tool=ImageGenerationTool(partial_images=2)) as stream:
                for image in stream.images():
                    image.save(f"fox-{image.partial_index}.png", overwrite=True)
        """
        from .stream import ImageStream

        processor = self._stream_processor(on_partial_image)
        traces: list[CallTrace] = []

        def open_stream() -> httpx.Response:
            # Built on entering the block, like the request itself: uploads and agent lookups are I/O.
            request, resolved = self._build(
                prompt,
                tool=tool,
                model=model,
                instructions=instructions,
                images=images,
                mask=mask,
                agent=agent,
                previous_response_id=previous_response_id,
                store=store,
                force_image=force_image,
                upload_images=upload_images,
                stream=True,
                extra_body=extra_body,
            )
            processor.requested_format = resolved.output_format
            call = self._api_call(request)
            traces.append(self._telemetry.start(call))
            try:
                return self._open_stream(call, timeout=timeout, trace=traces[0])
            except BaseException as exc:
                traces[0].fail(exc)
                raise

        return ImageStream(open_stream, processor, traces)

    def diagnose(self, *, generate: bool = False, tool: Mapping[str, Any] | None = None) -> DoctorReport:
        """Run the troubleshooting checks (endpoint, auth, deployments, tool, headers, region) and report.

        Makes no paid call unless ``generate=True`` (one low-quality image, billed). ``tool`` holds tool
        settings to check, e.g. ``{"quality": "high", "size": "1536x1024"}``.

        Example::

            report = client.diagnose()
            print(report.ok, [check.status for check in report.checks])
        """
        from .doctor import run_diagnose

        self._check_open()
        return run_diagnose(self, generate=generate, tool=tool)

    def create_response(
        self, request: ResponsesRequest, *, timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT
    ) -> GenerationResult:
        """Send a request you built (``ImageGenerationTool.build_request``); images decoded if present.

        Example::

            req = tool.build_request("a cat", model="gpt-5.1")
            (client.create_response(req)).images
        """
        if request.stream:
            raise ConfigurationError(
                "create_response reads a JSON answer, but the request asks for a stream. Fix: build it with "
                "stream=False, or use client.stream(...)"
            )
        return self._execute(
            self._api_call(request),
            lambda response: self._finish(response, require_image=False, requested_format=None),
            timeout=timeout,
        )

    def _build(self, prompt: InputLike, **kwargs: Any) -> tuple[ResponsesRequest, ImageGenerationTool]:
        # Drives the core's flow: the lookups and uploads it asks for are the only I/O here.
        flow = self._flow(prompt, **kwargs)
        answer: Any = None
        try:
            while True:
                step = flow.send(answer)
                if isinstance(step, LookupAgent):
                    answer = self.agents.resolve(step.ref)
                else:
                    answer = self.files._upload_resolved(step.image)
        except StopIteration as done:
            result: tuple[ResponsesRequest, ImageGenerationTool] = done.value
            return result

    def _execute(
        self,
        call: ApiCall,
        parse: Callable[[httpx.Response], T],
        *,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
    ) -> T:
        self._check_open()
        client_request_id = self._new_client_request_id()
        trace = self._telemetry.start(call)
        try:
            for attempt in Retrying(**tenacity_kwargs(self._retry, sleep=self._sleep, on_retry=trace.retry)):
                with attempt:
                    number = attempt.retry_state.attempt_number
                    response = self._send(
                        call, timeout=timeout, client_request_id=client_request_id, attempt=number, trace=trace
                    )
                    value = self._parse_answer(response, parse)
                    trace.succeed(value, client_request_id=client_request_id)
                    return value
        except BaseException as exc:
            trace.fail(exc)
            raise
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _open_stream(
        self, call: ApiCall, *, timeout: float | httpx.Timeout | ClientDefault | None, trace: CallTrace = NO_TRACE
    ) -> httpx.Response:
        self._check_open()
        client_request_id = self._new_client_request_id()
        for attempt in Retrying(**tenacity_kwargs(self._retry, sleep=self._sleep, on_retry=trace.retry)):
            with attempt:
                number = attempt.retry_state.attempt_number
                response = self._send(
                    call, timeout=timeout, client_request_id=client_request_id, stream=True, attempt=number, trace=trace
                )
                if response.status_code >= 400:
                    try:
                        response.read()
                    finally:
                        response.close()
                    self._raise_for_stream_status(response)
                return response
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _send(
        self,
        call: ApiCall,
        *,
        timeout: float | httpx.Timeout | ClientDefault | None,
        client_request_id: str,
        stream: bool = False,
        attempt: int = 1,
        trace: CallTrace = NO_TRACE,
    ) -> httpx.Response:
        for auth_attempt in range(2):
            http_request = self._httpx_request(
                call, token=self._token(), timeout=timeout, client_request_id=client_request_id
            )
            started = time.perf_counter()
            try:
                # Never follow redirects, even on an injected client: httpx keeps a custom api-key header
                # on a cross-origin redirect.
                response = self._http.send(http_request, stream=stream, follow_redirects=False)
            except httpx.HTTPError as exc:
                error = map_transport_error(exc, call.method)
                self._attempt_done(call, trace, None, error, started=started, attempt=attempt)
                raise error from exc
            self._attempt_done(call, trace, response, None, started=started, attempt=attempt)
            if not self._wants_reauth(response.status_code, auth_attempt):
                return response
            response.close()
        return response

    def _token(self) -> str | None:
        if self._auth_kind != "token-credential":
            return None
        now = time.time()
        cached = self._tokens.current(now=now)
        if cached is not None:
            return cached
        with self._token_lock:  # concurrent calls share one refresh
            cached = self._tokens.current(now=time.time())
            if cached is not None:
                return cached
            with credential_errors():
                access_token = self._token_source()(self._scope)
            return self._tokens.store(access_token, now=time.time())
