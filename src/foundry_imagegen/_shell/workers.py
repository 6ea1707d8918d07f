"""Jobs in flight for the batch runner: asyncio tasks for the async shell, threads for the sync one.

Both hand back finished jobs' results to the one loop that owns the journal and the scheduler, so that
loop never shares state with a job. ``wait(timeout)`` returns as soon as one job finishes, or after
``timeout`` seconds with nothing finished; only the loop calls it, and only while a job is in flight.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import asyncio
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["AsyncWorkers", "Workers"]

T = TypeVar("T")


class AsyncWorkers(Generic[T]):
    """Each job an asyncio task on the running loop."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._tasks: set[asyncio.Task[T]] = set()

    @property
    def busy(self) -> int:
        return len(self._tasks)

    def spawn(self, job: Callable[[], Awaitable[T]]) -> None:
        import asyncio

        async def run() -> T:
            return await job()

        self._tasks.add(asyncio.ensure_future(run()))

    async def wait(self, timeout: float | None) -> list[T]:
        import asyncio

        finished, self._tasks = await asyncio.wait(self._tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        return [task.result() for task in finished]

    async def aclose(self) -> None:
        import asyncio

        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


class Workers(Generic[T]):
    """Each job on a thread of a pool as large as the batch's concurrency."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._pool: ThreadPoolExecutor | None = None
        self._futures: set[Future[T]] = set()

    @property
    def busy(self) -> int:
        return len(self._futures)

    def spawn(self, job: Callable[[], T]) -> None:
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self.limit, thread_name_prefix="foundry-imagegen-batch")
        self._futures.add(self._pool.submit(job))

    def wait(self, timeout: float | None) -> list[T]:
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_futures

        finished, pending = wait_futures(self._futures, timeout=timeout, return_when=FIRST_COMPLETED)
        self._futures = set(pending)
        return [future.result() for future in finished]

    def close(self) -> None:
        if self._pool is not None:
            # Jobs not started are dropped; running ones finish their request (a thread cannot be cut).
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures.clear()
