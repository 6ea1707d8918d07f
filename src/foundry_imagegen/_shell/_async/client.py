"""The client: sends, sleeps and fetches tokens; every decision lives in the core."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import httpx

from ..._core.calls import CLIENT_DEFAULT, ApiCall, ClientDefault, InputLike, ResponsesRequest
from ..._core.config import from_env_settings
from ..._core.constants import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_SCOPE,
    DEFAULT_TIMEOUT,
)
from ..._core.deadline import Deadline
from ..._core.flows import LookupAgent
from ..._core.tool import ImageGenerationTool
from ...exceptions import ConfigurationError, ServiceError
from ..base import BaseFoundryClient, LazyTransport, credential_errors, map_transport_error, scrub_credentials
from ..retrying import tenacity_kwargs
from ..telemetry import NO_TRACE, CallTrace
from ._backend import IS_ASYNC, AsyncLock, AsyncRetrying, default_sleep

if TYPE_CHECKING:
    from azure.core.credentials import AzureKeyCredential
    from azure.core.credentials_async import AsyncTokenCredential

    from ..._core.agents import AgentReference, AgentVersion
    from ..._core.conversations import Conversation
    from ..._core.doctor import DoctorReport
    from ..._core.inputs import ImageInput
    from ..._core.results import GeneratedImage, GenerationResult
    from ..._core.routes import Route
    from ..._core.stream import StreamProcessor
    from .background import AsyncBackgroundGeneration
    from .batch import AsyncBatchRunner
    from .conversations import AsyncConversations
    from .resources import AsyncAgents, AsyncFiles
    from .stream import AsyncImageStream

__all__ = ["AsyncFoundryClient"]

T = TypeVar("T")


class AsyncFoundryClient(BaseFoundryClient):
    """Generate images with the image generation tool of Foundry Agent Service or Azure OpenAI.

    Use it as a context manager, or call ``close()``. Every keyword has a default except the credential
    (``credential=`` or ``api_key=``); ``from_env()`` reads the settings from environment variables.

    Example::

        from azure.identity.aio import DefaultAzureCredential
        from foundry_imagegen import AsyncFoundryClient

        async with AsyncFoundryClient(
            "https://<resource>.services.ai.azure.com/api/projects/<project>",
            credential=DefaultAzureCredential(), model="gpt-5.1", image_deployment="gpt-image-2",
        ) as client:
            result = await client.generate("a red fox in fresh snow")
            result.save("fox.png")

    The constructor's parameters are documented on ``__init__`` (``help(AsyncFoundryClient.__init__)``).
    """

    _is_async = IS_ASYNC

    def __init__(
        self,
        endpoint: str,
        *,
        credential: AsyncTokenCredential | AzureKeyCredential | None = None,
        api_key: str | None = None,
        model: str | None = None,
        image_deployment: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        scope: str = DEFAULT_SCOPE,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        agent_field: Literal["agent_reference", "agent"] = "agent_reference",
        deployment_models: Mapping[str, str] | None = None,
        today: Callable[[], date] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        deadline: float | None = DEFAULT_DEADLINE,
        keep_raw_body: bool = False,
    ) -> None:
        """Create a client; nothing is sent until the first call.

        Args:
            endpoint: A Foundry project endpoint
                (``https://<resource>.services.ai.azure.com/api/projects/<project>``, agents work), an Azure
                OpenAI resource (``https://<resource>.openai.azure.com``), or any ``.../openai/v1`` base URL.
                Plain ``http://`` only to loopback.
            credential: An azure-identity credential (from ``azure.identity.aio`` for this client) or an
                ``AzureKeyCredential`` (its key is read on every call, so ``update()`` rotates it).
            api_key: A resource key, sent as ``api-key``. Pass exactly one of ``credential`` and ``api_key``.
            model: The default orchestrator (chat) model deployment, e.g. ``"gpt-5.1"``; calls may override it.
            image_deployment: The default image model deployment, sent in the required
                ``x-ms-oai-image-generation-deployment`` header; a tool's own ``image_deployment`` wins.
            timeout: Seconds per attempt (connect stays at most 10 s), an ``httpx.Timeout``, or ``None`` for
                no limit. Default: 600 s read, 10 s connect. Set on every request, also on an injected
                ``http_client``.
            max_retries: Retries of 408, 409, 429, 5xx and failed connections; 0 disables them.
            max_retry_wait: The longest server-requested wait (``Retry-After``) slept through, in seconds;
                a longer one raises ``RateLimitError`` at once with ``retry_after`` set.
            scope: The Entra ID scope of token credentials.
            http_client: Your own ``httpx.AsyncClient`` (proxies, TLS, limits); ``close()`` leaves it open.
            sleep: Waits between retries, given seconds (default: real sleeping); tests pass a recorder.
            agent_field: The body field naming an agent: ``"agent_reference"``, or ``"agent"`` for the
                legacy form.
            deployment_models: Deployment name -> the catalog model it runs (``{"my-img": "gpt-image-2"}``),
                so custom-named deployments are checked against their model's rules and retirement date.
            today: Returns the date retirement warnings judge by (default ``datetime.date.today``).
            max_body_bytes: The largest answer body read whole (default 128 MiB); past it the call fails at
                once with ``ResponseTooLargeError``.
            max_event_bytes: The largest stream line or event (default 64 MiB), likewise.
            deadline: Seconds the whole call may take, retries and their waits included (default 1800);
                ``None`` for no limit. The read timeout bounds each attempt.
            keep_raw_body: Keep each answer's body as sent on ``result.raw_body`` (a second copy of every
                image, as base64); off by default, so that a result holds its images once.

        Raises:
            ConfigurationError: A setting is invalid; the message names it and the fix.
        """
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
            max_body_bytes=max_body_bytes,
            max_event_bytes=max_event_bytes,
            deadline=deadline,
            keep_raw_body=keep_raw_body,
        )
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(self._http_client_mismatch(http_client))
        if http_client is not None:
            self._refuse_proxy_in_clear(http_client)
        # A plain-http (loopback) endpoint never reads proxy variables: an HTTP_PROXY would receive
        # the key in clear. https endpoints keep them; a proxy there only tunnels the TLS bytes.
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(
                follow_redirects=False,
                trust_env=not self._endpoint.plain_http,
                transport=LazyTransport(trust_env=not self._endpoint.plain_http, is_async=IS_ASYNC),
            )
        )
        self._owns_http = http_client is None
        self._token_lock = AsyncLock()
        self._sleep = sleep if sleep is not None else default_sleep

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> AsyncFoundryClient:
        """A client configured from environment variables (the names the official samples use).

        ``AZURE_AI_PROJECT_ENDPOINT`` (or ``AZURE_OPENAI_ENDPOINT``), ``AZURE_OPENAI_API_KEY`` (else
        ``DefaultAzureCredential``), ``AZURE_AI_MODEL_DEPLOYMENT_NAME``,
        ``IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME``. Keyword arguments override what the variables say.

        Args:
            environ: The variables to read (default: ``os.environ``).
            **overrides: Constructor keywords; they win over the variables, and ``credential=`` or
                ``api_key=`` replaces the key variable.

        Raises:
            ConfigurationError: No endpoint is set, or a setting is invalid.

        Example::

            client = AsyncFoundryClient.from_env()
        """
        settings, needs_credential = from_env_settings(os.environ if environ is None else environ, overrides)
        if needs_credential:
            from azure.identity.aio import DefaultAzureCredential

            settings["credential"] = DefaultAzureCredential()
        client = cls(settings.pop("endpoint"), **settings)
        client._owns_credential = needs_credential
        return client

    async def __aenter__(self) -> AsyncFoundryClient:
        self._check_open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connections this client opened (and a credential made by ``from_env``). Idempotent.

        Example::

            await client.close()  # or `async with AsyncFoundryClient(...) as client:`
        """
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            await self._http.aclose()
        if self._owns_credential:
            close = getattr(self._credential, "close", None)
            if close is not None:
                await close()

    @property
    def agents(self) -> AsyncAgents:
        """Foundry prompt agents of the project: create versions, get, list, delete, ephemeral.

        Example::

            version = await client.agents.create_version("poster-artist", model="gpt-5.1", tool=tool)
        """
        from .resources import AsyncAgents

        return AsyncAgents(self._context(), self._execute)

    @property
    def files(self) -> AsyncFiles:
        """The Files API, for image inputs and masks referenced by id.

        Example::

            uploaded = await client.files.upload("photo.png")
        """
        from .resources import AsyncFiles

        return AsyncFiles(self._context(), self._execute)

    def batch(self, outdir: str | os.PathLike[str], **options: Any) -> AsyncBatchRunner:
        """A runner that generates a list of images into ``outdir``: paced to the quota, journaled, resumable.

        ``run(items)`` takes a JSONL or text file, or an iterable of prompts, objects or ``BatchItem``s, and
        returns a ``BatchReport``.

        Args:
            outdir: Where the images, the journal, the summary and the gallery (``index.html``) go.
            **options: ``AsyncBatchRunner``'s: ``deployments``, ``rpm``, ``concurrency``, ``resume``,
                ``shard``, ``tool``, ``background``, ``on_progress``.

        Example::

            report = await client.batch("out", rpm=9).run("prompts.jsonl")
            print(report.summary())
        """
        from .batch import AsyncBatchRunner

        return AsyncBatchRunner(outdir, client=self, **options)

    @overload
    async def generate(
        self,
        prompt: InputLike,
        *,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        images: Sequence[ImageInput] | None = None,
        mask: ImageInput | None = None,
        agent: str | AgentReference | AgentVersion | None = None,
        agent_endpoint: bool = False,
        previous_response_id: str | None = None,
        conversation: str | Conversation | None = None,
        store: bool | None = None,
        force_image: bool | None = None,
        upload_images: bool = False,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        extra_body: Mapping[str, Any] | None = None,
        background: Literal[False] = False,
    ) -> GenerationResult: ...

    @overload
    async def generate(
        self,
        prompt: InputLike,
        *,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        images: Sequence[ImageInput] | None = None,
        mask: ImageInput | None = None,
        agent: str | AgentReference | AgentVersion | None = None,
        agent_endpoint: bool = False,
        previous_response_id: str | None = None,
        conversation: str | Conversation | None = None,
        store: bool | None = None,
        force_image: bool | None = None,
        upload_images: bool = False,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        extra_body: Mapping[str, Any] | None = None,
        background: Literal[True],
    ) -> AsyncBackgroundGeneration: ...

    @overload
    async def generate(
        self,
        prompt: InputLike,
        *,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        images: Sequence[ImageInput] | None = None,
        mask: ImageInput | None = None,
        agent: str | AgentReference | AgentVersion | None = None,
        agent_endpoint: bool = False,
        previous_response_id: str | None = None,
        conversation: str | Conversation | None = None,
        store: bool | None = None,
        force_image: bool | None = None,
        upload_images: bool = False,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        extra_body: Mapping[str, Any] | None = None,
        background: bool = False,
    ) -> GenerationResult | AsyncBackgroundGeneration: ...

    async def generate(
        self,
        prompt: InputLike,
        *,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        images: Sequence[ImageInput] | None = None,
        mask: ImageInput | None = None,
        agent: str | AgentReference | AgentVersion | None = None,
        agent_endpoint: bool = False,
        previous_response_id: str | None = None,
        conversation: str | Conversation | None = None,
        store: bool | None = None,
        force_image: bool | None = None,
        upload_images: bool = False,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        extra_body: Mapping[str, Any] | None = None,
        background: bool = False,
    ) -> GenerationResult | AsyncBackgroundGeneration:
        """Ask for an image and return it decoded; raises instead of returning an empty result.

        ``images`` are input images (bytes, paths, URLs, ``FileId``s or earlier ``GeneratedImage``s),
        sent inline or, with ``upload_images=True``, through the Files API; ``mask`` marks where to edit
        the first one. ``agent`` names a stored agent instead of ``model``; ``agent_endpoint=True`` calls it
        through its own agent endpoint instead of naming it in the body (``agent_reference``).
        ``conversation`` continues a conversation (not with ``previous_response_id``). ``force_image``
        (default: on for direct calls) sends ``tool_choice={"type": "image_generation"}``. ``timeout``
        (default: the client's) bounds each attempt; ``None`` there means no limit. ``background=True``
        returns an ``AsyncBackgroundGeneration`` as soon as the service has queued the work (``store`` must
        not be False).

        Args:
            prompt: The text to draw, or Responses input items (message dicts) as the wire wants them.
            tool: An ``ImageGenerationTool`` or a dict in the wire shape: size, quality, format, ...
            model: The orchestrator deployment for this call (default: the client's ``model``).
            instructions: System instructions for the orchestrator.
            images: Input images: bytes, paths, URLs, ``FileId``s or earlier ``GeneratedImage``s.
            mask: A PNG whose transparent pixels mark where the first input image may change.
            agent: A stored agent (name, ``AgentReference`` or ``AgentVersion``) instead of ``model``.
            agent_endpoint: Call the agent through its own agent endpoint instead of ``agent_reference``.
            previous_response_id: Continue from a stored response.
            conversation: A conversation (id or ``Conversation``) to continue; its items come first.
            store: Whether the service keeps the response (needed to continue from it later).
            force_image: Send ``tool_choice={"type": "image_generation"}`` (default: on for direct calls,
                off with an agent).
            upload_images: Send local input images through the Files API instead of inline.
            timeout: Bounds each attempt (default: the client's setting; ``None``: no limit).
            extra_body: Further body fields, sent as given (the SDK's own keys are refused).
            background: Return a handle at once instead of waiting (``wait()``, ``result()``, ``cancel()``).

        Returns:
            The decoded result: ``.image``, ``.images``, ``.text``, ``.revised_prompt``, ``.request_id``.

        Raises:
            NoImageGeneratedError: The model answered without an image (``.text`` has its answer).
            ServiceError: The service refused (a subclass per cause: ``ContentFilterError``,
                ``RateLimitError``, ...).
            APIConnectionError: No answer (``APITimeoutError``: none in time).

        Example::

            result = await client.generate("a koi pond, ukiyo-e", tool=ImageGenerationTool(quality="low"))
            result.save("koi.png")
        """
        route, prompt, cid, store = self._call_state(
            prompt,
            agent=agent,
            agent_endpoint=agent_endpoint,
            previous_response_id=previous_response_id,
            conversation=conversation,
            background=background,
            store=store,
        )
        request, resolved = await self._build(
            prompt,
            tool=tool,
            model=model,
            instructions=instructions,
            images=images,
            mask=mask,
            agent=agent,
            agent_endpoint=agent_endpoint,
            previous_response_id=previous_response_id,
            store=store,
            force_image=force_image,
            upload_images=upload_images,
            stream=False,
            extra_body=extra_body,
        )
        call = self._stateful_call(request, route, conversation=cid, background=background)
        if background:
            return await self._execute(call, lambda response: self._handle(route, response), timeout=timeout)
        result = await self._execute(
            call,
            lambda response: self._finish(response, require_image=True, requested_format=resolved.output_format),
            timeout=timeout,
            images=True,
        )
        # Deferred like the response models it works on: they load with the first answer, not at import.
        from ..._core.conversations import result_with

        return result_with(result, conversation=cid)

    def background(self, response_id: str, *, agent_endpoint: str | None = None) -> AsyncBackgroundGeneration:
        """The handle of a background generation from its id alone (no request is made here).

        Another process can finish what one started: ``wait()``, ``result()``, ``cancel()``, ``stream()``.

        Args:
            response_id: The ``resp_...`` id the start returned.
            agent_endpoint: The agent whose endpoint started it, if one did.

        Example::

            result = await client.background("resp_68a1...").wait(timeout=600)
        """
        route = self._route(None, agent_endpoint) if agent_endpoint is not None else self._route()
        return self._handle(route, None, response_id=response_id)

    def _handle(
        self, route: Route, answer: httpx.Response | None, *, response_id: str | None = None
    ) -> AsyncBackgroundGeneration:
        from ..._core.parse import request_id_of  # with the answer: the response models load then
        from .background import AsyncBackgroundGeneration

        response = self._started(answer) if answer is not None else None
        return AsyncBackgroundGeneration(
            response.id if response is not None else response_id or "",
            route=route,
            execute=self._execute,
            open_stream=lambda call: self._open_stream(call, timeout=CLIENT_DEFAULT),
            new_processor=self._stream_processor,
            sleep=self._sleep,
            response=response,
            request_id=request_id_of(answer.headers) if answer is not None else None,
        )

    @property
    def conversations(self) -> AsyncConversations:
        """Conversations of the Foundry project: create, get, update, delete, list and add items.

        Example::

            conversation = await client.conversations.create(metadata={"topic": "posters"})
        """
        from .conversations import AsyncConversations

        return AsyncConversations(self._context(), self._execute)

    async def edit(
        self,
        previous: GenerationResult | ImageInput,
        prompt: str,
        *,
        mask: ImageInput | None = None,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        agent: str | AgentReference | AgentVersion | None = None,
        agent_endpoint: bool = False,
        via: Literal["auto", "conversation", "previous_response_id", "input_image"] = "auto",
        conversation: str | Conversation | None = None,
        store: bool | None = None,
        force_image: bool | None = None,
        upload_images: bool = False,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        extra_body: Mapping[str, Any] | None = None,
    ) -> GenerationResult:
        """Edit an image, or continue from an earlier result; ``result.edited_via`` says how.

        An earlier result that belongs to a conversation is continued there (``"conversation"``); a
        stored one with ``previous_response_id`` (the service keeps the context); otherwise its image is
        sent again as an input image. ``conversation`` puts the edit in that conversation. ``previous``
        may also be any image input (bytes, path, URL, ``FileId``, ``GeneratedImage``).

        Args:
            previous: The result or image to edit.
            prompt: What to change.
            mask: A PNG whose transparent pixels mark where the image may change.
            via: ``"auto"``, or force ``"conversation"``, ``"previous_response_id"`` or ``"input_image"``.
            tool: As for ``generate``.
            model: As for ``generate``.
            instructions: As for ``generate``.
            agent: As for ``generate``.
            agent_endpoint: As for ``generate``.
            conversation: As for ``generate``; by default the earlier result's own conversation.
            store: As for ``generate``.
            force_image: As for ``generate``.
            upload_images: As for ``generate``.
            timeout: As for ``generate``.
            extra_body: As for ``generate``.

        Returns:
            The result, with ``edited_via`` set to the way the edit was sent.

        Raises:
            ConfigurationError: ``previous`` can neither be continued nor resent (not stored, no bytes).

        Example::

            first = await client.generate("a cottage in a meadow", store=True)
            second = await client.edit(first, "make it winter")
            third = await client.edit(second, "add smoke from the chimney", mask="chimney-mask.png")
        """
        from ..._core.conversations import plan_continue
        from ..disk import read_image_file

        plan = plan_continue(previous, via=via, conversation=conversation, mask=mask, read_path=read_image_file)
        images = [plan.image] if plan.image is not None else None
        result = await self.generate(
            prompt,
            tool=tool,
            model=model,
            instructions=instructions,
            images=images,
            mask=mask,
            agent=agent,
            agent_endpoint=agent_endpoint,
            previous_response_id=plan.previous_response_id,
            conversation=plan.conversation,
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
        agent_endpoint: bool = False,
        previous_response_id: str | None = None,
        conversation: str | Conversation | None = None,
        store: bool | None = None,
        force_image: bool | None = None,
        upload_images: bool = False,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        extra_body: Mapping[str, Any] | None = None,
        on_partial_image: Callable[[GeneratedImage], None] | None = None,
        background: bool = False,
    ) -> AsyncImageStream:
        """Stream a generation: partial images as they render, then the final image.

        Returns a context manager; the request is built and sent on entering it. With ``partial_images`` unset on
        the tool, one partial is asked for (the service refuses streams with zero). ``on_partial_image``
        is called with each partial ``GeneratedImage`` as it arrives. With ``background=True`` the generation
        goes on when the connection breaks; resume with ``client.background(stream.response_id)
        .stream(starting_after=stream.last_sequence_number)``. Other arguments as ``generate``.

        Args:
            prompt: As for ``generate``.
            tool: As for ``generate``.
            model: As for ``generate``.
            instructions: As for ``generate``.
            images: As for ``generate``.
            mask: As for ``generate``.
            agent: As for ``generate``.
            agent_endpoint: As for ``generate``.
            previous_response_id: As for ``generate``.
            conversation: As for ``generate``.
            store: As for ``generate``.
            force_image: As for ``generate``.
            upload_images: As for ``generate``.
            timeout: Bounds opening the stream and each read (default: the client's setting).
            extra_body: As for ``generate``.
            on_partial_image: A plain function called with each partial image as it arrives.
            background: Run it as a background response, so a broken stream can be resumed
                (``client.background(stream.response_id).stream(starting_after=stream.last_sequence_number)``).

        Returns:
            The stream, to enter with ``async with``: iterate it for typed events, or use ``images()``,
            ``partial_images()``, ``final()`` or ``save()``.

        Example::

            async with client.stream("a fox", tool=ImageGenerationTool(partial_images=2)) as stream:
                async for image in stream.images():
                    image.save(f"fox-{image.partial_index}.png", overwrite=True)
        """
        from .stream import AsyncImageStream

        processor = self._stream_processor(on_partial_image)
        # Known before the request when the caller's tool names it: save() checks targets with it.
        processor.requested_format = ImageGenerationTool.coerce(tool).output_format
        route, checked, cid, store = self._call_state(
            prompt,
            agent=agent,
            agent_endpoint=agent_endpoint,
            previous_response_id=previous_response_id,
            conversation=conversation,
            background=background,
            store=store,
        )
        traces: list[CallTrace] = []

        async def open_stream() -> httpx.Response:
            # Built on entering the block, like the request itself: uploads and agent lookups are I/O.
            request, resolved = await self._build(
                checked,
                tool=tool,
                model=model,
                instructions=instructions,
                images=images,
                mask=mask,
                agent=agent,
                agent_endpoint=agent_endpoint,
                previous_response_id=previous_response_id,
                store=store,
                force_image=force_image,
                upload_images=upload_images,
                stream=True,
                extra_body=extra_body,
            )
            processor.requested_format = resolved.output_format
            from ..._core.stream import partials_asked_by  # loaded with the processor already

            processor.partials_asked = partials_asked_by(request.json)
            call = self._stateful_call(request, route, conversation=cid, background=background)
            traces.append(self._telemetry.start(call))
            try:
                return await self._open_stream(call, timeout=timeout, processor=processor, trace=traces[0])
            except BaseException as exc:
                traces[0].fail(exc)
                raise

        return AsyncImageStream(open_stream, processor, traces)

    async def diagnose(self, *, generate: bool = False, tool: Mapping[str, Any] | None = None) -> DoctorReport:
        """Run the troubleshooting checks (endpoint, auth, deployments, tool, headers, region) and report.

        Args:
            generate: Also make one low-quality image (a paid call) to prove the whole path works.
            tool: Tool settings to check against the image model, e.g. ``{"quality": "high",
                "size": "1536x1024"}``.

        Returns:
            A ``DoctorReport``: each check's pass / warn / fail / skip, the detail and the fix.

        Example::

            report = await client.diagnose()
            print(report.ok, [check.status for check in report.checks])
        """
        from .doctor import run_diagnose

        self._check_open()
        return await run_diagnose(self, generate=generate, tool=tool)

    async def create_response(
        self, request: ResponsesRequest, *, timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT
    ) -> GenerationResult:
        """Send a request you built (``ImageGenerationTool.build_request``); images decoded if present.

        Args:
            request: A non-streaming ``ResponsesRequest``.
            timeout: Bounds each attempt (default: the client's setting; ``None``: no limit).

        Returns:
            The result; unlike ``generate`` it may hold no image.

        Example::

            req = tool.build_request("a cat", model="gpt-5.1")
            (await client.create_response(req)).images
        """
        if request.stream:
            raise ConfigurationError(
                "create_response reads a JSON answer, but the request asks for a stream. Fix: build it with "
                "stream=False, or use client.stream(...)"
            )
        return await self._execute(
            self._api_call(request),
            lambda response: self._finish(response, require_image=False, requested_format=None),
            timeout=timeout,
            images=True,
        )

    async def _build(self, prompt: InputLike, **kwargs: Any) -> tuple[ResponsesRequest, ImageGenerationTool]:
        # Drives the core's flow: the lookups and uploads it asks for are the only I/O here.
        flow = self._flow(prompt, **kwargs)
        answer: Any = None
        try:
            while True:
                step = flow.send(answer)
                if isinstance(step, LookupAgent):
                    answer = await self.agents.resolve(step.ref)
                else:
                    answer = await self.files._upload_resolved(step.image)
        except StopIteration as done:
            result: tuple[ResponsesRequest, ImageGenerationTool] = done.value
            return result

    async def _execute(
        self,
        call: ApiCall,
        parse: Callable[[httpx.Response], T],
        *,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        images: bool = False,
    ) -> T:
        self._check_open()
        client_request_id = self._new_client_request_id()
        call_deadline = self._call_deadline()
        trace = self._telemetry.start(call)
        retrying = AsyncRetrying(
            **tenacity_kwargs(
                self._retry, sleep=self._sleep, deadline=call_deadline, clock=self._clock, on_retry=trace.retry
            )
        )
        after_error_answer = False
        try:
            async for attempt in retrying:
                with attempt:
                    number = attempt.retry_state.attempt_number
                    deadline = self._attempt_deadline(timeout, call_deadline)
                    try:
                        response = await self._send(
                            call,
                            timeout=timeout,
                            client_request_id=client_request_id,
                            deadline=deadline,
                            after_error_answer=after_error_answer,
                            attempt=number,
                            trace=trace,
                            images=images,
                        )
                        value = self._parse_answer(response, parse)
                    except ServiceError:
                        after_error_answer = True
                        raise
                    trace.succeed(value, client_request_id=client_request_id)
                    return value
        except BaseException as exc:
            trace.fail(exc)
            raise
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _open_stream(
        self,
        call: ApiCall,
        *,
        timeout: float | httpx.Timeout | ClientDefault | None,
        processor: StreamProcessor | None = None,
        trace: CallTrace = NO_TRACE,
    ) -> httpx.Response:
        self._check_open()
        client_request_id = self._new_client_request_id()
        call_deadline = self._call_deadline()
        retrying = AsyncRetrying(
            **tenacity_kwargs(
                self._retry, sleep=self._sleep, deadline=call_deadline, clock=self._clock, on_retry=trace.retry
            )
        )
        after_error_answer = False
        async for attempt in retrying:
            with attempt:
                number = attempt.retry_state.attempt_number
                deadline = self._attempt_deadline(timeout, call_deadline)
                response = await self._send(
                    call,
                    timeout=timeout,
                    client_request_id=client_request_id,
                    stream=True,
                    deadline=deadline,
                    after_error_answer=after_error_answer,
                    attempt=number,
                    trace=trace,
                )
                if processor is not None:
                    # The stream is read within the same attempt's deadline.
                    processor.deadline = deadline
                if response.status_code >= 400:
                    after_error_answer = True
                    await self._read_body(response, call.method, deadline)
                    self._raise_for_stream_status(response)
                return response
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _send(
        self,
        call: ApiCall,
        *,
        timeout: float | httpx.Timeout | ClientDefault | None,
        client_request_id: str,
        stream: bool = False,
        deadline: Deadline | None = None,
        after_error_answer: bool = False,
        attempt: int = 1,
        trace: CallTrace = NO_TRACE,
        images: bool = False,
    ) -> httpx.Response:
        deadline = deadline if deadline is not None else Deadline()
        for auth_attempt in range(2):
            http_request = self._httpx_request(
                call,
                token=await self._token(),
                timeout=timeout,
                client_request_id=client_request_id,
                deadline=deadline,
            )
            started = time.perf_counter()
            try:
                # Never follow redirects, even on an injected client: httpx keeps a custom api-key header
                # on a cross-origin redirect. Always streamed: _read_body bounds what a body may hold.
                response = await self._http.send(http_request, stream=True, follow_redirects=False)
            except httpx.HTTPError as exc:
                # After a 401 the resend with a fresh token rides the same keep-alive connection too.
                stale = after_error_answer or auth_attempt > 0
                error = map_transport_error(exc, call.method, after_error_answer=stale, idempotent=call.idempotent)
                self._attempt_done(call, trace, None, error, started=started, attempt=attempt)
                raise error from exc
            finally:
                scrub_credentials(http_request)
            self._attempt_done(call, trace, response, None, started=started, attempt=attempt)
            if not self._wants_reauth(response.status_code, auth_attempt):
                if not stream:
                    await self._read_body(response, call.method, deadline, images=images)
                return response
            await response.aclose()
        return response

    async def _read_body(
        self, response: httpx.Response, method: str, deadline: Deadline, *, images: bool = False
    ) -> None:
        """Read the body into ``response.content``, failing at once past ``max_body_bytes`` or the deadline.

        With ``images`` (an answer that may hold images), a successful answer's images are decoded as the
        chunks arrive and ``response.content`` holds the JSON around them (read by ``_finish``).
        """
        buffer = self._body_buffer(response, images=images)
        try:
            async for chunk in response.aiter_bytes():
                buffer.feed(chunk)
                deadline.check(now=self._clock())
        except httpx.HTTPError as exc:
            raise map_transport_error(exc, method) from exc
        finally:
            await response.aclose()
        self._body_read(response, buffer)

    async def _token(self) -> str | None:
        if self._auth_kind != "token-credential":
            return None
        now = time.time()
        cached = self._tokens.current(now=now)
        if cached is not None:
            return cached
        async with self._token_lock:  # concurrent calls share one refresh
            cached = self._tokens.current(now=time.time())
            if cached is not None:
                return cached
            with credential_errors():
                access_token = await self._token_source()(self._scope)
            return self._tokens.store(access_token, now=time.time())
