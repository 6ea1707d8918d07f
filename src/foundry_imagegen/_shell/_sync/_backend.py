"""What the sync shell needs from the standard library, behind the names the async backend uses."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tenacity

__all__ = ["IS_ASYNC", "Lock", "Retrying", "default_sleep"]

#: Which shell this is: credentials and callbacks are checked against it.
IS_ASYNC = False


def Retrying(**kwargs: Any) -> tenacity.Retrying:
    """``tenacity.Retrying(**kwargs)``: the retry loop of one call (tenacity loads on the first call sent)."""
    import tenacity

    return tenacity.Retrying(**kwargs)


Lock = threading.Lock
default_sleep = time.sleep
