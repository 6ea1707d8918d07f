"""Against a real Azure endpoint; skipped unless FOUNDRY_IMAGEGEN_LIVE=1 and the endpoint variables are set.

    FOUNDRY_IMAGEGEN_LIVE=1 AZURE_AI_PROJECT_ENDPOINT=... AZURE_AI_MODEL_DEPLOYMENT_NAME=gpt-4.1 \\
    IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME=gpt-image-1 .venv/bin/pytest -m live tests/live
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from foundry_imagegen import AsyncFoundryClient, FoundryClient, ImageGenerationTool

# Read at collection time, before the autouse fixture clears the variables for every other test.
LIVE = {
    name: os.environ.get(name)
    for name in (
        "AZURE_AI_PROJECT_ENDPOINT",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "AZURE_AI_MODEL_DEPLOYMENT_NAME",
        "IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME",
    )
}
ENABLED = os.environ.get("FOUNDRY_IMAGEGEN_LIVE") == "1" and bool(
    LIVE["AZURE_AI_PROJECT_ENDPOINT"] or LIVE["AZURE_OPENAI_ENDPOINT"]
)

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not ENABLED, reason="set FOUNDRY_IMAGEGEN_LIVE=1 and the Azure endpoint variables"),
]


def environ() -> dict[str, str]:
    return {k: v for k, v in LIVE.items() if v}


def test_generate_low_quality(tmp_path: Path) -> None:
    with FoundryClient.from_env(environ()) as client:
        result = client.generate(
            "a small red circle on white", tool=ImageGenerationTool(quality="low", size="1024x1024")
        )
    assert result.image.format == "png" and len(result.image.data) > 1024
    assert result.save(tmp_path / "live.png").exists()


async def test_stream_async() -> None:
    tool = ImageGenerationTool(quality="low", partial_images=1)
    async with AsyncFoundryClient.from_env(environ()) as client, client.stream("a blue square", tool=tool) as stream:
        result = await stream.final()
    assert result.images
