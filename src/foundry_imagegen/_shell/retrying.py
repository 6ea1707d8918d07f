"""The retry loop's arguments: the core's ``RetryPolicy`` decisions wired into tenacity."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._core.deadline import Deadline
from .._core.retry import RetryPolicy

if TYPE_CHECKING:
    import tenacity

__all__ = ["tenacity_kwargs"]

log = logging.getLogger("foundry_imagegen.retry")


def tenacity_kwargs(
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Any] | None = None,
    deadline: Deadline | None = None,
    clock: Callable[[], float] | None = None,
    on_retry: Callable[[int, BaseException | None, float], None] | None = None,
) -> dict[str, Any]:
    """Arguments for ``tenacity.Retrying`` / ``AsyncRetrying``: the shells differ only in the loop.

    The last typed error is re-raised when retries run out, never ``tenacity.RetryError``; so is it
    when the wait before the next attempt would end past the call's ``deadline``. ``on_retry`` hears
    (attempt number, error, wait) before each wait: the call's span records it.
    """
    import tenacity  # on the first call sent, not when the client is imported

    def should_retry(state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        error = outcome.exception()
        if error is None:
            return False
        seconds = policy.wait_before_retry(error, state.attempt_number)
        if seconds is None:
            return False
        return deadline is None or clock is None or deadline.allows_wait(seconds, now=clock())

    def wait(state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        seconds = policy.wait_before_retry(error, state.attempt_number) if error is not None else None
        return seconds or 0.0

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        seconds = state.next_action.sleep if state.next_action is not None else 0.0
        # Retries heal themselves: INFO, not WARNING (Azure SDK logging guideline).
        log.info("retrying in %.2fs after attempt %d: %s", seconds, state.attempt_number, type(error).__name__)
        if on_retry is not None:
            on_retry(state.attempt_number, error, seconds)

    kwargs: dict[str, Any] = {
        "retry": should_retry,
        "wait": wait,
        "stop": tenacity.stop_after_attempt(policy.max_retries + 1),
        "before_sleep": before_sleep,
        "reraise": True,
    }
    if sleep is not None:
        kwargs["sleep"] = sleep
    return kwargs
