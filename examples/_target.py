"""Where the examples send requests: your Azure endpoint when configured, else the built-in emulator.

Set AZURE_AI_PROJECT_ENDPOINT (or AZURE_OPENAI_ENDPOINT), AZURE_AI_MODEL_DEPLOYMENT_NAME and
IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME (plus AZURE_OPENAI_API_KEY, or sign in for DefaultAzureCredential)
to run them against Azure. Pick current models: a gpt-5-family orchestrator deployment (e.g. gpt-5.1 or
gpt-5.5) and a gpt-image-2 or gpt-image-1-mini deployment; `foundry_imagegen.models` lists what is in date.
If your deployment names differ from the model names, pass deployment_models={"<deployment>": "<model>"}.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from foundry_imagegen.emulator import Emulator, FakeClock


@contextlib.contextmanager
def endpoint_settings(*, background_duration: float | None = None) -> Iterator[dict[str, Any]]:
    """Keyword arguments for FoundryClient.from_env(): empty for Azure, emulator settings otherwise.

    With ``background_duration`` (seconds) the emulator's background generations take that long on a
    simulated clock, which the (sync) client's polling sleep moves forward: the polls and their statuses
    are real, the minutes of waiting are not.
    """
    if os.environ.get("AZURE_AI_PROJECT_ENDPOINT") or os.environ.get("AZURE_OPENAI_ENDPOINT"):
        yield {}
        return
    clock = FakeClock() if background_duration is not None else None
    options: dict[str, Any] = {} if clock is None else {"clock": clock, "background_duration": background_duration}
    with Emulator(**options) as emulator:
        print(f"(no Azure endpoint configured: using the local emulator at {emulator.endpoint})", file=sys.stderr)
        settings: dict[str, Any] = {
            "endpoint": emulator.endpoint,
            "api_key": "emulator",
            "model": "gpt-5",  # in date on Azure, and served by the emulator
            "image_deployment": "gpt-image-2",
        }
        if clock is not None:
            settings["sleep"] = clock.advance
        yield settings
