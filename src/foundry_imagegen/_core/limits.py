"""Size limits on what the service sends, without I/O: checked values and a bounded body buffer."""

from __future__ import annotations

from ..exceptions import ConfigurationError, ResponseTooLargeError

__all__ = ["BodyBuffer", "check_size_limit", "too_large"]


def check_size_limit(name: str, value: object) -> int:
    """``value`` as a byte limit, or ``ConfigurationError`` naming ``name``, the value and the fix."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
        raise ConfigurationError(
            f"{name}={value!r} is not a size limit. Fix: an integer number of bytes >= 1024, e.g. "
            f"{name}={256 * 1024 * 1024} (256 MiB)"
        )
    return value


def too_large(what: str, size: int, limit: int, option: str) -> ResponseTooLargeError:
    """The error for ``what`` having reached ``size`` bytes past ``limit`` (set by client option ``option``)."""
    return ResponseTooLargeError(
        f"{what} passed {limit} bytes ({size} read so far) and was cut off; nothing was saved. The limit is "
        f"the client option {option}={limit}. Fix: check the endpoint and any proxy; raise {option} only if "
        "answers this large are expected",
        limit=limit,
        option=option,
    )


class BodyBuffer:
    """Collects a body's chunks and refuses the one that takes it past ``limit`` bytes.

    Example::

        buffer = BodyBuffer(1 << 20)
        buffer.feed(chunk)  # raises ResponseTooLargeError past the limit
        content = buffer.content()
    """

    def __init__(self, limit: int, *, option: str = "max_body_bytes") -> None:
        self.limit = limit
        self.option = option
        self.size = 0
        self._chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        """Keep ``chunk``, or raise ``ResponseTooLargeError`` (and drop what was kept) past the limit."""
        self.size += len(chunk)
        if self.size > self.limit:
            self._chunks.clear()
            raise too_large("the response body", self.size, self.limit, self.option)
        self._chunks.append(chunk)

    def content(self) -> bytes:
        """Everything kept, joined once."""
        data = b"".join(self._chunks)
        self._chunks = [data]
        return data
