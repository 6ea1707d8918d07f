"""Local emulator of the Foundry Agent Service / Azure OpenAI Responses API with the image generation tool.

Like Azurite for Azure Storage: a loopback HTTP server that speaks the real wire format (JSON responses,
SSE streams in the OpenAI or Azure dialect, Azure error envelopes), renders real, deterministic images,
and injects faults on demand. Standard library only (Pillow optional, for JPEG/WebP). It deliberately
imports nothing from the rest of ``foundry_imagegen``.

Example::

    from foundry_imagegen.emulator import Emulator

    with Emulator() as emu:
        print(emu.endpoint)  # http://127.0.0.1:PORT/api/projects/demo
"""

from __future__ import annotations

from ._clock import FakeClock, SystemClock
from ._server import DEFAULT_IMAGE_DEPLOYMENTS, DEFAULT_MODEL_DEPLOYMENTS, Emulator
from ._service import RecordedRequest

__all__ = [
    "DEFAULT_IMAGE_DEPLOYMENTS",
    "DEFAULT_MODEL_DEPLOYMENTS",
    "Emulator",
    "FakeClock",
    "RecordedRequest",
    "SystemClock",
]
