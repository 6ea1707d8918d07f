"""Images decoded out of a JSON body while it arrives, without I/O: chunks in, small JSON plus image bytes out.

An image answer is a few hundred bytes of JSON around one multi-megabyte base64 string. Parsing it as
JSON builds that string, hands it to the validator, and encodes it back to bytes for the decoder: three
copies, all made after the last byte arrived. ``ImageScanner`` instead watches the chunks as they come
for the ``"result"`` key (or the stream's image keys), decodes the base64 that follows it chunk by chunk
(strictly: the checks of ``b64decode(validate=True)``), and keeps only the JSON around it, with a short
placeholder where the string was. The body is never held whole, so a call holds the image once, plus
one chunk. A value that is not strict base64 (escapes, a ``data:`` URL, padding in the middle) stays in
the JSON as it was sent, so the plain path reads it and fails or succeeds exactly as before.
"""

from __future__ import annotations

import binascii
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from .images import strict_b64decode
from .limits import too_large

__all__ = ["RESULT_KEY", "CutBody", "ImageScanner", "cut_images"]

#: Stands in the JSON for a value the scanner decoded (``\u0000`` is never base64, nor sent by the service).
_PLACEHOLDER = "\x00foundry-imagegen:{}"
_PLACEHOLDER_JSON = b"\\u0000foundry-imagegen:"
RESULT_KEY = b'"result"'
_JSON_SPACE = b" \t\r\n"
#: Smaller values are left to the JSON parser: cutting them saves nothing.
_CUT_MIN = 1024
#: How far past a key its ``: "`` may be. More whitespace than this is no answer the service sends.
_LOOKAHEAD = 4096

_SEARCH, _SHORT, _DECODE, _SKIP = range(4)


@dataclass(frozen=True)
class CutBody:
    """A JSON body with its large base64 values taken out: ``rest`` parses as JSON, ``decoded`` holds the bytes.

    Args:
        rest: The body with each decoded value replaced by a placeholder string.
        decoded: The bytes per placeholder.
        raw: The body exactly as received, when it was kept (``keep_raw=True``).
        spans: Where each placeholder sits in ``rest`` (start, end, placeholder).
    """

    rest: bytes
    decoded: dict[str, bytes] = field(default_factory=dict)
    raw: bytes | None = None
    spans: tuple[tuple[int, int, str], ...] = ()

    def original(self) -> bytes:
        """The body as it was sent: ``raw`` when kept, else ``rest`` with each image encoded back.

        Encoding back gives the sent text for anything a base64 encoder writes (a decoded value was strict).
        """
        if self.raw is not None:
            return self.raw
        if not self.decoded:
            return self.rest
        view = memoryview(self.rest)
        pieces: list[bytes | memoryview] = []
        start = 0
        for begin, end, placeholder in self.spans:
            pieces += [view[start:begin], binascii.b2a_base64(self.decoded[placeholder], newline=False)]
            start = end
        pieces.append(view[start:])
        return b"".join(pieces)


class ImageScanner:
    """Feed it a JSON body in chunks; ``finish()`` returns it with its large base64 values decoded out.

    Args:
        keys: The JSON keys (with their quotes) whose string values are images.
        limit: The most bytes the body may have; past it ``feed`` raises ``ResponseTooLargeError``.
        option: The client option that sets ``limit``, named in that error.
        keep_raw: Also keep the body as received, for ``CutBody.raw``.
        known: Images already held (a stream's final image, which ``response.completed`` repeats): a
            value that decodes to one of them is compared as it arrives and maps to that object, so
            the repeat never takes memory.
        size_hint: About how large an image will be, decoded (0: unknown); saves regrowing its buffer.

    Example::

        scanner = ImageScanner(limit=1 << 20)
        for chunk in chunks:
            scanner.feed(chunk)
        body = scanner.finish()  # body.rest is small JSON, body.decoded the images
    """

    def __init__(
        self,
        keys: tuple[bytes, ...] = (RESULT_KEY,),
        *,
        limit: int | None = None,
        option: str = "max_body_bytes",
        keep_raw: bool = False,
        known: Sequence[bytes] = (),
        size_hint: int = 0,
    ) -> None:
        self.keys = keys
        self.known = known
        self.size_hint = size_hint
        self.limit = limit
        self.option = option
        self.size = 0
        self._longest = max(len(key) for key in keys)
        self._state = _SEARCH
        self._rest: list[bytes | memoryview] = []
        self._rest_size = 0
        self._spans: list[tuple[int, int, str]] = []  # where each placeholder is in the rest
        self._carry = b""  # searching: the unresolved tail (a key cut by the chunk's end)
        self._value: list[bytes] = []  # a value's text until it is long enough to be worth decoding
        self._value_size = 0
        self._group = b""  # decoding: the last < 4 characters, waiting for the rest of their group
        self._out = _Sink()  # decoding: the bytes so far
        self._padded = False
        self._decoded: dict[str, bytes] = {}
        self._raw: list[bytes] | None = [] if keep_raw else None

    def feed(self, chunk: bytes) -> None:
        """Add the next ``chunk`` of the body."""
        if not chunk:
            return
        self.size += len(chunk)
        if self.limit is not None and self.size > self.limit:
            self._drop()
            raise too_large("the response body", self.size, self.limit, self.option)
        if self._raw is not None:
            self._raw.append(chunk)
        data = chunk
        pos = 0
        while True:
            state = self._state
            if state == _SEARCH:
                if self._carry:
                    data = self._carry + data[pos:]
                    self._carry = b""
                    pos = 0
                pos = self._search(data, pos)
            elif state == _SHORT:
                pos = self._short(data, pos)
            elif state == _DECODE:
                pos = self._decode(data, pos)
            else:
                pos = self._skip(data, pos)
            if pos >= len(data):
                return

    def finish(self) -> CutBody:
        """The body without its images, and the images; the body as sent where anything looks forged."""
        state = self._state
        if state == _SEARCH:
            self._keep(self._carry)
        elif state == _SHORT:
            self._keep(*self._value)
        elif state == _DECODE:
            # The body ended inside the string: it is not JSON, and the plain path says so.
            self._keep(self._undecoded())
        self._carry, self._value, self._out, self._group = b"", [], _Sink(), b""
        self._state = _SEARCH
        rest = b"".join(self._rest)
        raw = b"".join(self._raw) if self._raw is not None else None
        decoded, spans = self._decoded, tuple(self._spans)
        self._rest, self._rest_size, self._spans, self._decoded = [], 0, [], {}
        body = CutBody(rest, decoded, raw, spans)
        if decoded and rest.count(_PLACEHOLDER_JSON) != len(decoded):
            # The service sent a placeholder-like string of its own: take nothing out.
            return CutBody(body.original(), {}, raw)
        return body

    def _keep(self, *pieces: bytes | memoryview) -> None:
        for piece in pieces:
            self._rest.append(piece)
            self._rest_size += len(piece)

    def _drop(self) -> None:
        self._rest, self._value, self._out, self._raw, self._spans = [], [], _Sink(), None, []
        self._rest_size = 0
        self._carry = self._group = b""

    def _search(self, data: bytes, pos: int) -> int:
        size = len(data)
        start = pos
        while True:
            hit, key = -1, b""
            for candidate in self.keys:
                found = data.find(candidate, pos)
                if found != -1 and (hit == -1 or found < hit):
                    hit, key = found, candidate
            if hit == -1:
                keep = max(pos, size - self._longest + 1)
                self._keep(data[start:keep])
                self._carry = data[keep:]
                return size
            after = hit + len(key)
            opening = _opening(data, after)
            if opening == -1:  # the key is not followed by `: "`
                pos = after
                continue
            if opening == size:  # not arrived yet
                if size - hit > _LOOKAHEAD:
                    pos = after
                    continue
                self._keep(data[start:hit])
                self._carry = data[hit:]
                return size
            self._keep(data[start:opening])
            self._state = _SHORT
            self._value_size = 0
            return opening

    def _short(self, data: bytes, pos: int) -> int:
        close = data.find(b'"', pos)
        end = close if close != -1 else len(data)
        piece = data[pos:end]
        if close != -1 and self._value_size + len(piece) < _CUT_MIN:
            # A short string: left in the JSON as it is, with its closing quote.
            self._keep(*self._value)
            self._keep(data[pos : close + 1])
            self._value = []
            self._state = _SEARCH
            return close + 1
        self._value.append(piece)
        self._value_size += len(piece)
        if self._value_size < _CUT_MIN:
            return end
        text = b"".join(self._value)
        self._value = []
        self._out, self._group, self._padded = _Sink(self.known, self.size_hint), b"", False
        self._state = _DECODE
        if not self._add(memoryview(text), final=close != -1):
            self._fail(text)
            return self._closed(close, end)
        return self._done(close) if close != -1 else end

    def _decode(self, data: bytes, pos: int) -> int:
        close = data.find(b'"', pos)
        end = close if close != -1 else len(data)
        piece = memoryview(data)[pos:end]
        if not self._add(piece, final=close != -1):
            self._fail(piece)
            return self._closed(close, end)
        return self._done(close) if close != -1 else end

    def _skip(self, data: bytes, pos: int) -> int:
        close = data.find(b'"', pos)
        if close == -1:
            self._keep(data[pos:])
            return len(data)
        self._keep(data[pos : close + 1])
        self._state = _SEARCH
        return close + 1

    def _add(self, piece: memoryview, *, final: bool) -> bool:
        """Decode ``piece`` after the held group; all or nothing. False: the value is not strict base64."""
        group = self._group
        decoded: list[bytes] = []
        try:
            if group:
                take = min(4 - len(group), len(piece))
                group += piece[:take].tobytes()
                piece = piece[take:]
                if len(group) == 4 or final:
                    decoded.append(self._strict(group))
                    group = b""
            whole = len(piece) if final else len(piece) - len(piece) % 4
            if whole:
                decoded.append(self._strict(piece[:whole]))
            if final and group:
                decoded.append(self._strict(group))
                group = b""
            group += piece[whole:].tobytes()
        except binascii.Error:
            return False
        for piece_out in decoded:
            self._out.write(piece_out)
        self._group = group
        return True

    def _strict(self, text: bytes | memoryview) -> bytes:
        if self._padded:  # `=` ended an earlier group: nothing may follow it
            raise binascii.Error("data after padding")
        data = strict_b64decode(text)
        if text[-1:] == b"=":
            self._padded = True
        return data

    def _undecoded(self) -> bytes:
        return binascii.b2a_base64(self._out.value(), newline=False) + self._group

    def _fail(self, piece: bytes | memoryview) -> None:
        # Not strict base64: the text as sent goes back into the JSON, for the plain path to read.
        self._keep(self._undecoded())
        self._keep(bytes(piece))
        self._out, self._group = _Sink(), b""
        self._state = _SKIP

    def _closed(self, close: int, end: int) -> int:
        if close == -1:
            return end
        self._keep(b'"')
        self._state = _SEARCH
        return close + 1

    def _done(self, close: int) -> int:
        placeholder = _PLACEHOLDER.format(len(self._decoded))
        self._decoded[placeholder] = self._out.value()
        self._out = _Sink()
        text = json.dumps(placeholder).encode("ascii")[1:-1]
        self._spans.append((self._rest_size, self._rest_size + len(text), placeholder))
        self._keep(text, b'"')
        self._state = _SEARCH
        return close + 1


class _Sink:
    """Where a value's decoded bytes go: a BytesIO, or nowhere while they repeat an image already held.

    With a size ``hint`` (what the body's length allows, or the stream's last image), the BytesIO is
    sized once up front: grown 1/8 at a time it would copy the image some 8 times over. ``value()``
    then shrinks it in place, and ``getvalue()`` hands its buffer over without a copy, where a list
    of pieces would be joined into a second whole image.
    """

    def __init__(self, known: Sequence[bytes] = (), hint: int = 0) -> None:
        self._match = list(known)  # the known images equal to what came so far
        self._hint = hint
        self._size = 0
        self._out: io.BytesIO | None = None if self._match else _buffer(hint)

    def write(self, piece: bytes) -> None:
        end = self._size + len(piece)
        if self._out is None:
            still = [image for image in self._match if memoryview(image)[self._size : end] == piece]
            if not still:  # something new after all: from here on it is kept
                self._out = _buffer(max(self._hint, end))
                self._out.write(memoryview(self._match[0])[: self._size])
            self._match = still
        if self._out is not None:
            self._out.write(piece)
        self._size = end

    def value(self) -> bytes:
        if self._out is not None:
            self._out.truncate(self._size)
            return self._out.getvalue()
        same = next((image for image in self._match if len(image) == self._size), None)
        return same if same is not None else bytes(memoryview(self._match[0])[: self._size])


def _buffer(size: int) -> io.BytesIO:
    out = io.BytesIO()
    if size > _CUT_MIN:
        # Writing one byte at size - 1 allocates the whole buffer once; the writes then fill it in place.
        out.seek(size - 1)
        out.write(b"\0")
        out.seek(0)
    return out


def _opening(data: bytes, pos: int) -> int:
    """After a key: the index past ``: "`` (``len(data)`` if more must arrive), or -1 if something else follows."""
    size = len(data)
    pos = _skip_space(data, pos)
    if pos == size:
        return size
    if data[pos] != 0x3A:  # ':'
        return -1
    pos = _skip_space(data, pos + 1)
    if pos == size:
        return size
    return pos + 1 if data[pos] == 0x22 else -1  # '"'


def _skip_space(data: bytes, pos: int) -> int:
    size = len(data)
    while pos < size and data[pos] in _JSON_SPACE:
        pos += 1
    return pos


def cut_images(content: bytes, keys: tuple[bytes, ...] = (RESULT_KEY,)) -> CutBody:
    """``ImageScanner`` over a body already whole (a stream event's data, a body read by someone else).

    Example::

        cut_images(b'{"result": "iVBORw0K..."}').decoded
    """
    scanner = ImageScanner(keys)
    scanner.feed(content)
    return scanner.finish()
