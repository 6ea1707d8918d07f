"""Per-call cost of tracing: off (OpenTelemetry never imported), the API imported with no provider, and an
SDK provider exporting to memory (spans and metrics).

Each row is the median per-call time of ``client.generate`` over an in-memory httpx transport (no network,
no emulator: only the SDK's own work plus httpx's request/response handling), and the time of the tracing
hook alone (``Telemetry.start`` + ending the trace), which is what tracing adds to a call. The modes run in
that order in one interpreter, since importing OpenTelemetry cannot be undone.

Run: ``.venv/bin/python benchmarks/tracing.py [--calls 2000] [--smoke]``
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import time

import httpx

from foundry_imagegen import FoundryClient
from foundry_imagegen._core.calls import ApiCall
from foundry_imagegen._shell import tracing

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
BODY = json.dumps(
    {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "model": "gpt-5.1",
        "output": [
            {
                "type": "image_generation_call",
                "id": "ig_1",
                "status": "completed",
                "result": base64.b64encode(PNG).decode(),
            }
        ],
        "usage": {"input_tokens": 10, "output_tokens": 20, "total_tokens": 30},
    }
).encode()
ENDPOINT = "https://acme.services.ai.azure.com/api/projects/p1"
CALL = ApiCall("POST", ENDPOINT + "/openai/v1/responses", json={"model": "gpt-5.1", "input": "a fox"})


def handler(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json", "x-request-id": "r"})


def per_call(client: FoundryClient, calls: int) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            client.generate("a fox")
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def hook_only(calls: int) -> float:
    telemetry = tracing.Telemetry({})
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            telemetry.start(CALL).succeed(None)
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--smoke", action="store_true", help="a few calls: checks the script works, not a timing")
    args = parser.parse_args(argv)
    calls = 20 if args.smoke else args.calls
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = FoundryClient(ENDPOINT, api_key="k", model="gpt-5.1", image_deployment="gpt-image-2", http_client=http)
    client.generate("warm-up")
    rows: list[tuple[str, float, float]] = []

    assert not any(name.startswith("opentelemetry") for name in sys.modules), "run without OpenTelemetry imported"
    rows.append(("off (OpenTelemetry not imported)", per_call(client, calls), hook_only(calls * 10)))

    import opentelemetry.metrics
    import opentelemetry.trace

    rows.append(("API imported, no provider", per_call(client, calls), hook_only(calls * 10)))

    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    opentelemetry.trace.set_tracer_provider(provider)
    opentelemetry.metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
    rows.append(("in-memory SDK provider (spans + metrics)", per_call(client, calls), hook_only(calls)))
    spans = len(exporter.get_finished_spans())
    client.close()
    http.close()

    base = rows[0][1]
    print(f"{'mode':<44} {'per generate()':>15} {'vs off':>9} {'tracing hook':>13}")
    for name, seconds, hook in rows:
        print(f"{name:<44} {seconds * 1e6:>12.1f} µs {(seconds - base) * 1e6:>+7.1f}µs {hook * 1e6:>10.2f} µs")
    print(f"({calls} calls x 5 rounds, median; {spans} spans exported in the last mode)")
    assert spans > 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
