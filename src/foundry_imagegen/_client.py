"""The synchronous client: sends, sleeps and fetches tokens; every decision lives in the core."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
import tenacity

from ._base import _UNSET, BaseFoundryClient, map_transport_error
from ._config import env_settings
from ._constants import DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_WAIT, DEFAULT_SCOPE
from ._request import InputLike, ResponsesRequest
from ._tool import ImageGenerationTool

if TYPE_CHECKING:
    from azure.core.credentials import AzureKeyCredential, TokenCredential

    from ._models import GeneratedImage, GenerationResult
    from ._stream import ImageStream

__all__ = ["FoundryClient"]


class FoundryClient(BaseFoundryClient):
    """Generate images with the Foundry / Azure OpenAI image generation tool.

    Example::

        from azure.identity import DefaultAzureCredential
        from foundry_imagegen import FoundryClient

        with FoundryClient(
            "https://<resource>.services.ai.azure.com/api/projects/<project>",
            credential=DefaultAzureCredential(), model="gpt-4.1", image_deployment="gpt-image-1",
        ) as client:
            client.generate("a red fox in fresh snow").save("fox.png")
    """

    def __init__(
        self,
        endpoint: str,
        *,
        credential: TokenCredential | AzureKeyCredential | None = None,
        api_key: str | None = None,
        model: str | None = None,
        image_deployment: str | None = None,
        timeout: float | httpx.Timeout | None = _UNSET,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        scope: str = DEFAULT_SCOPE,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] | None = None,
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
        )
        self._http = http_client if http_client is not None else httpx.Client(follow_redirects=False)
        self._owns_http = http_client is None
        self._sleep = sleep if sleep is not None else time.sleep

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> FoundryClient:
        """A client configured from environment variables (the names the official samples use).

        ``AZURE_AI_PROJECT_ENDPOINT`` (or ``AZURE_OPENAI_ENDPOINT``), ``AZURE_OPENAI_API_KEY`` (else
        ``DefaultAzureCredential``), ``AZURE_AI_MODEL_DEPLOYMENT_NAME``,
        ``IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME``. Keyword arguments override what the variables say.

        Example::

            client = FoundryClient.from_env()
        """
        settings: dict[str, Any] = {
            k: v
            for k, v in env_settings(
                os.environ if environ is None else environ, endpoint=overrides.get("endpoint")
            ).items()
            if v is not None
        }
        if "credential" in overrides or "api_key" in overrides:
            # An explicit choice of auth replaces whatever the environment offered.
            settings.pop("api_key", None)
        settings.update(overrides)
        owns_credential = False
        if settings.get("api_key") is None and settings.get("credential") is None:
            from azure.identity import DefaultAzureCredential

            settings["credential"] = DefaultAzureCredential()
            owns_credential = True
        client = cls(settings.pop("endpoint"), **settings)
        client._owns_credential = owns_credential
        return client

    def __enter__(self) -> FoundryClient:
        self._check_open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections this client opened (and a credential made by ``from_env``). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            self._http.close()
        if self._owns_credential:
            close = getattr(self._credential, "close", None)
            if close is not None:
                close()

    def generate(
        self,
        prompt: InputLike,
        *,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        previous_response_id: str | None = None,
        store: bool | None = None,
        force_image: bool = True,
        timeout: float | httpx.Timeout | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> GenerationResult:
        """Ask for an image and return it decoded; raises instead of returning an empty result.

        ``force_image`` sends ``tool_choice={"type": "image_generation"}`` so the model cannot answer
        in text only. ``timeout=None`` uses the client's timeout.

        Example::

            result = client.generate("a koi pond, ukiyo-e", tool=ImageGenerationTool(quality="low"))
            result.save("koi.png")
        """
        request, resolved = self._prepare(
            prompt,
            tool=tool,
            model=model,
            instructions=instructions,
            previous_response_id=previous_response_id,
            store=store,
            force_image=force_image,
            stream=False,
            extra_body=extra_body,
        )
        return self._execute(
            request, timeout=timeout, require_image=True, requested_format=resolved.output_format
        )

    def stream(
        self,
        prompt: InputLike,
        *,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        model: str | None = None,
        instructions: str | None = None,
        previous_response_id: str | None = None,
        store: bool | None = None,
        force_image: bool = True,
        timeout: float | httpx.Timeout | None = None,
        extra_body: Mapping[str, Any] | None = None,
        on_partial_image: Callable[[GeneratedImage], None] | None = None,
    ) -> ImageStream:
        """Stream a generation: partial images as they render, then the final image.

        Returns a context manager; the request is sent on entering it. With ``partial_images`` unset on
        the tool, one partial is asked for (the service refuses streams with zero). ``on_partial_image``
        is called with each partial ``GeneratedImage`` as it arrives.

        Example::

            with client.stream("a fox", tool=ImageGenerationTool(partial_images=2)) as stream:
                for image in stream.images():
                    image.save(f"fox-{image.partial_index}.png", overwrite=True)
        """
        from ._stream import ImageStream

        request, resolved = self._prepare(
            prompt,
            tool=tool,
            model=model,
            instructions=instructions,
            previous_response_id=previous_response_id,
            store=store,
            force_image=force_image,
            stream=True,
            extra_body=extra_body,
        )
        processor = self._stream_processor(resolved, on_partial_image)
        return ImageStream(lambda: self._open_stream(request, timeout=timeout), processor)

    def _open_stream(
        self, request: ResponsesRequest, *, timeout: float | httpx.Timeout | None
    ) -> httpx.Response:
        self._check_open()
        client_request_id = self._new_client_request_id()
        for attempt in tenacity.Retrying(**self._retry.tenacity_kwargs(sleep=self._sleep)):
            with attempt:
                response = self._send(
                    request, timeout=timeout, client_request_id=client_request_id, stream=True
                )
                if response.status_code >= 400:
                    try:
                        response.read()
                    finally:
                        response.close()
                    self._raise_for_stream_status(response)
                return response
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def create_response(
        self, request: ResponsesRequest, *, timeout: float | httpx.Timeout | None = None
    ) -> GenerationResult:
        """Send a request you built (``ImageGenerationTool.build_request``); images decoded if present.

        Example::

            req = tool.build_request("a cat", model="gpt-4.1")
            client.create_response(req).images
        """
        return self._execute(request, timeout=timeout, require_image=False, requested_format=None)

    def _execute(
        self,
        request: ResponsesRequest,
        *,
        timeout: float | httpx.Timeout | None,
        require_image: bool,
        requested_format: str | None,
    ) -> GenerationResult:
        self._check_open()
        client_request_id = self._new_client_request_id()
        for attempt in tenacity.Retrying(**self._retry.tenacity_kwargs(sleep=self._sleep)):
            with attempt:
                response = self._send(request, timeout=timeout, client_request_id=client_request_id)
                return self._finish(response, require_image=require_image, requested_format=requested_format)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _send(
        self,
        request: ResponsesRequest,
        *,
        timeout: float | httpx.Timeout | None,
        client_request_id: str,
        stream: bool = False,
    ) -> httpx.Response:
        for auth_attempt in range(2):
            http_request = self._httpx_request(
                request, token=self._token(), timeout=timeout, client_request_id=client_request_id
            )
            try:
                response = self._http.send(http_request, stream=stream)
            except httpx.HTTPError as exc:
                raise map_transport_error(exc) from exc
            if not self._wants_reauth(response.status_code, auth_attempt):
                return response
            response.close()
        return response

    def _token(self) -> str | None:
        if self._auth_kind != "token-credential":
            return None
        now = time.time()
        return self._tokens.current(now=now) or self._tokens.store(self._token_source()(self._scope), now=now)
