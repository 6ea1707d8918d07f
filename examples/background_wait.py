"""A long generation in background mode: start it, wait for it with progress, save it; then show that its
id alone is enough for another process (a worker, the CLI's `wait ID`) to pick it up.

Run: python examples/background_wait.py
"""

import sys

from _target import endpoint_settings

from foundry_imagegen import FoundryClient, GenerationInProgressError, ImageGenerationTool, PollProgress


def show(progress: PollProgress) -> None:
    then = f", next poll in {progress.next_wait:.1f}s" if progress.next_wait is not None else ""
    print(f"  {progress.status} after {progress.elapsed:.1f}s ({progress.polls} polls{then})", file=sys.stderr)


with endpoint_settings() as settings, FoundryClient.from_env(**settings) as client:
    tool = ImageGenerationTool(quality="high", size="1024x1536")
    handle = client.generate("a detailed isometric map of a harbour town", tool=tool, background=True)
    print(f"started {handle.id} ({handle.status}); the request returned at once")

    try:
        result = handle.wait(timeout=900, on_progress=show)
    except GenerationInProgressError as exc:
        print(f"still {exc.status} after 15 minutes: cancelling {exc.response_id}")
        print(f"now {handle.cancel().status}")
        raise SystemExit(1) from None
    print(f"saved {result.save('out/harbour-map.png', overwrite=True)}")

    # Elsewhere, with nothing but the id: client.background(id).wait() / .result() / .cancel().
    elsewhere = client.background(handle.id)
    print(f"{elsewhere.id} as seen from a new handle: {elsewhere.poll().status}")
