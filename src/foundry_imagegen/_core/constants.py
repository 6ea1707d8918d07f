"""Wire constants and defaults, in one place so the sync and async shells cannot drift."""

from __future__ import annotations

import httpx

#: The header through which Azure learns which image model deployment runs the tool.
#: Without it the service answers HTTP 400 even for plain text turns.
IMAGE_DEPLOYMENT_HEADER = "x-ms-oai-image-generation-deployment"

#: Entra ID scope for Foundry projects and Azure OpenAI v1.
DEFAULT_SCOPE = "https://ai.azure.com/.default"

#: Path below a project or resource endpoint where the v1 Responses family lives.
OPENAI_V1_PATH = "/openai/v1"

#: Image generation takes 10-30 s typically and up to a few minutes for high quality
#: (users report that shorter timeouts cut paid generations), so the read timeout is measured in minutes.
#: Connect stays short: a host that does not answer in 10 s will not answer at all.
DEFAULT_TIMEOUT = httpx.Timeout(timeout=600.0, connect=10.0)

DEFAULT_MAX_RETRIES = 2

#: Longest server-requested wait we sleep through on our own; a longer Retry-After is raised
#: to the caller as RateLimitError.retry_after instead of blocking a thread for minutes.
DEFAULT_MAX_RETRY_WAIT = 120.0

#: Tokens are refreshed this long before they expire (azure-core uses the same margin).
TOKEN_REFRESH_MARGIN = 300.0

#: Response headers that carry a request id, most specific first.
REQUEST_ID_HEADERS = ("x-request-id", "apim-request-id", "x-ms-request-id")

#: Environment variables read by ``from_env()``; names follow the official samples.
ENV_PROJECT_ENDPOINT = "AZURE_AI_PROJECT_ENDPOINT"
ENV_OPENAI_ENDPOINT = "AZURE_OPENAI_ENDPOINT"
ENV_API_KEY = "AZURE_OPENAI_API_KEY"
ENV_MODEL = "AZURE_AI_MODEL_DEPLOYMENT_NAME"
ENV_IMAGE_DEPLOYMENT = "IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME"

#: The largest image the service makes, 3840x2160 RGBA, is at most 33 MB raw and 44 MB in base64; a
#: real PNG is a fraction of that. One stream event (one ``data:`` line, or all the lines of an event)
#: may be 64 MiB, a whole non-streamed body (a final image plus text, or two images) 128 MiB: above any
#: real answer, yet a hostile endless line or body fails long before it can exhaust memory.
DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 128 * 1024 * 1024

#: The whole call, retries and their waits included (the ``deadline`` client option). A high-quality
#: image takes a few minutes; with two retries after waits of up to DEFAULT_MAX_RETRY_WAIT, half an hour
#: is ample, and a call stuck on a hostile or broken server still ends.
DEFAULT_DEADLINE = 1800.0
