"""A long generation in background mode: start it (the request returns at once), wait for it with
progress, save it; then finish a second one from a fresh client holding nothing but its id (as another
process, a worker or the CLI's `foundry-imagegen wait ID -o PATH` would), and cancel a third.

Against the emulator the generations take 40 s each on a simulated clock that the client's polling
sleep moves forward, so the script shows real polls and statuses without waiting for them.

Run: python examples/background_wait.py
"""

import sys

from _target import endpoint_settings

from foundry_imagegen import (
    FoundryClient,
    GenerationFailedError,
    GenerationInProgressError,
    ImageGenerationTool,
    PollProgress,
)


def show(progress: PollProgress) -> None:
    then = f", next poll in {progress.next_wait:.1f}s" if progress.next_wait is not None else ""
    print(f"  {progress.status} after {progress.elapsed:.1f}s ({progress.polls} polls{then})", file=sys.stderr)


with endpoint_settings(background_duration=40) as settings:
    tool = ImageGenerationTool(quality="high", size="1024x1536")
    with FoundryClient.from_env(**settings) as client:
        handle = client.generate("a detailed isometric map of a harbour town", tool=tool, background=True)
        print(f"started {handle.id} ({handle.status}); the request returned at once")
        try:
            result = handle.wait(timeout=900, on_progress=show)
        except GenerationInProgressError as exc:
            print(f"still {exc.status} after 15 minutes: cancelling {exc.response_id}")
            print(f"now {handle.cancel().status}")
            raise SystemExit(1) from None
        print(f"saved {result.save('out/harbour-map.png', overwrite=True)}")

        # Process one starts a generation and keeps only its id (a queue message, a database row, stdout).
        response_id = client.generate("a detailed isometric map of a mountain village", tool=tool, background=True).id
        doomed = client.generate("a map nobody needs", tool=tool, background=True)

    # Process two: a new client, nothing but the id.
    with FoundryClient.from_env(**settings) as worker:
        print(f"cancelling {doomed.id}: {worker.background(doomed.id).cancel().status}")
        try:
            worker.background(doomed.id).result()
        except GenerationFailedError as exc:
            print(f"its result: {str(exc).splitlines()[0]}")

        elsewhere = worker.background(response_id)
        print(f"{response_id} as seen from a fresh client: {elsewhere.poll().status}")
        print(f"saved {elsewhere.wait(timeout=900).save('out/village-map.png', overwrite=True)}")
