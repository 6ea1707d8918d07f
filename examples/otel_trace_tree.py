"""Print the OpenTelemetry spans of a few calls against the local emulator as a tree.

One generation that meets a 429 first (so the retry shows), one stream with two partial images, and an
agent created, invoked and deleted.

Needs opentelemetry-sdk (``pip install 'foundry-imagegen[otel]' opentelemetry-sdk``). The spans go to an
in-memory exporter; docs/observability.md shows how to send them to Azure Monitor or an OTLP collector.

Run: ``.venv/bin/python examples/otel_trace_tree.py``
"""

from __future__ import annotations

import sys

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from foundry_imagegen import FoundryClient, ImageGenerationTool
from foundry_imagegen.emulator import Emulator

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)

SHOWN = ("gen_ai.", "server.", "error.type", "http.response.status_code", "foundry_imagegen.")


def render(span: ReadableSpan, children: dict[int, list[ReadableSpan]], depth: int = 0) -> None:
    assert span.end_time is not None and span.start_time is not None
    ms = (span.end_time - span.start_time) / 1e6
    pad = "    " * depth
    print(f"{pad}{span.name}  [{span.kind.name}, {ms:.0f} ms, {span.status.status_code.name}]")
    for key, value in sorted((span.attributes or {}).items()):
        if key.startswith(SHOWN):
            print(f"{pad}  | {key} = {value!r}")
    for event in span.events:
        attrs = ", ".join(
            f"{k}={v!r}" for k, v in (event.attributes or {}).items() if k != "foundry_imagegen.duration_s"
        )
        print(f"{pad}  * event {event.name}: {attrs}")
    for child in sorted(children.get(span.context.span_id, []), key=lambda s: s.start_time or 0):
        render(child, children, depth + 1)


def main() -> None:
    # Always the local emulator: the trace shows an injected 429 and its retry, which Azure won't do on cue.
    with Emulator() as emulator:
        print(f"(using the local emulator at {emulator.endpoint})", file=sys.stderr)
        client = FoundryClient(emulator.endpoint, api_key="emulator", model="gpt-5.1", image_deployment="gpt-image-2")
        with client:
            emulator.inject("rate_limit", retry_after_ms=50)
            result = client.generate("a lighthouse at dusk", tool=ImageGenerationTool(quality="low", size="1024x1024"))
            result.save("out/lighthouse.png", overwrite=True)
            with client.stream("a red fox", tool=ImageGenerationTool(partial_images=2, quality="low")) as stream:
                stream.final()
            client.agents.create_version("poster-artist", model="gpt-5.1", tool=ImageGenerationTool(quality="low"))
            client.generate("a jazz poster", agent="poster-artist")
            client.agents.delete("poster-artist")
    spans = exporter.get_finished_spans()
    children: dict[int, list[ReadableSpan]] = {}
    for span in spans:
        if span.parent is not None:
            children.setdefault(span.parent.span_id, []).append(span)
    for root in sorted((s for s in spans if s.parent is None), key=lambda s: s.start_time or 0):
        render(root, children)


if __name__ == "__main__":
    main()
