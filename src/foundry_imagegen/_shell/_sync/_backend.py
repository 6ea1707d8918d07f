"""What the sync shell needs from the standard library, behind the names the async backend uses."""

from __future__ import annotations

import threading
import time

import tenacity

__all__ = ["IS_ASYNC", "Lock", "Retrying", "default_sleep"]

#: Which shell this is: credentials and callbacks are checked against it.
IS_ASYNC = False

Retrying = tenacity.Retrying
Lock = threading.Lock
default_sleep = time.sleep
