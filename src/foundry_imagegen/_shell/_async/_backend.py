"""What the async shell needs from asyncio, behind names the sync backend shares.

asyncio and tenacity are imported on first use, not at import time: sync-only programs never pay for
asyncio, and a client that never sends never pays for tenacity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    import tenacity

__all__ = ["IS_ASYNC", "AsyncLock", "AsyncRetrying", "default_sleep"]

#: Which shell this is: credentials and callbacks are checked against it.
IS_ASYNC = True


def AsyncRetrying(**kwargs: Any) -> tenacity.AsyncRetrying:
    """``tenacity.AsyncRetrying(**kwargs)``: the retry loop of one call."""
    import tenacity

    return tenacity.AsyncRetrying(**kwargs)


async def default_sleep(seconds: float) -> None:
    """``asyncio.sleep``: the default wait between retries."""
    import asyncio

    await asyncio.sleep(seconds)


class AsyncLock:
    """An ``asyncio.Lock`` made on first use, inside the running loop that will use it."""

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None

    async def __aenter__(self) -> None:
        if self._lock is None:
            import asyncio

            self._lock = asyncio.Lock()
        await self._lock.acquire()

    async def __aexit__(self, *exc_info: Any) -> None:
        assert self._lock is not None
        self._lock.release()
