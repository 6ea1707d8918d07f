"""What the command prints: results, JSON summaries, progress, and the exit status of each error."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TextIO

from pydantic import ValidationError

from .._core.constants import ENV_API_KEY, ENV_IMAGE_DEPLOYMENT, ENV_MODEL, IMAGE_DEPLOYMENT_HEADER
from ..exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ContentFilterError,
    DeploymentNotFoundError,
    FoundryImageGenError,
    GenerationFailedError,
    GenerationInProgressError,
    ImageDeploymentError,
    InvalidResponseError,
    MissingImageDeploymentError,
    NoImageGeneratedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceError,
    StreamError,
)
from .parser import FLAGS

if TYPE_CHECKING:
    # rich is imported only when a live line is drawn: `import foundry_imagegen` and piped runs stay fast.
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

    from .._core.results import GenerationResult

__all__ = [
    "EXIT_CODES",
    "Progress",
    "cli_hint",
    "cli_message",
    "progress_mode",
    "report",
    "show_warning",
    "summary",
    "write_result",
]

#: Exit status per error class, most specific first; documented in docs/cli.md.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ConfigurationError, 2),
    (AuthenticationError, 3),
    (PermissionDeniedError, 3),
    (ImageDeploymentError, 4),
    (DeploymentNotFoundError, 4),
    (NotFoundError, 4),
    (ContentFilterError, 5),
    (RateLimitError, 6),
    (ServerError, 7),
    (APIConnectionError, 7),
    (StreamError, 7),
    (NoImageGeneratedError, 8),
    (GenerationFailedError, 8),
    (InvalidResponseError, 8),
    (GenerationInProgressError, 9),
    (FoundryImageGenError, 1),
)


#: What a person reads for each stream event in the plain-line mode; other events show their type.
_EVENT_TEXT = {
    "response.created": "response created",
    "response.queued": "queued",
    "response.in_progress": "in progress",
    "response.output_item.added": "output item added",
    "response.output_item.done": "output item done",
    "response.image_generation_call.in_progress": "image generation started",
    "response.image_generation_call.generating": "generating the image",
    "response.image_generation_call.completed": "image generated",
    "response.content_part.added": "text started",
    "response.content_part.done": "text part done",
    "response.output_text.done": "text done",
    "response.completed": "response completed",
}

ProgressMode = Literal["live", "lines", "off"]


def progress_mode(err: TextIO, *, quiet: bool, verbose: bool = False) -> ProgressMode:
    """How to show progress on ``err``: nothing with ``-q``, a live line on a terminal, else a line per event.

    The live line needs rich (the ``[cli]`` extra) and no ``-v``: request logs written under a redrawn line
    would garble it. Without either, a terminal gets the plain lines too.

    :param err: stderr of the command.
    :param quiet: the ``-q`` flag.
    :param verbose: whether ``-v`` logs go to ``err``.
    """
    if quiet:
        return "off"
    isatty = getattr(err, "isatty", None)
    if isatty is None or not isatty() or verbose or not _rich_available():
        return "lines"
    return "live"


def _rich_available() -> bool:
    try:
        # find_spec does not import rich (which costs tens of milliseconds); it only checks it is there.
        return importlib.util.find_spec("rich") is not None
    except ValueError:  # sys.modules["rich"] is None: hidden on purpose (tests)
        return False


#: The progress displays open now (one per command); a warning is printed through the innermost one.
_ACTIVE: list[Progress] = []


class Progress:
    """Progress of one call on stderr, in one of three modes (see ``progress_mode``).

    ``live``: one line redrawn in place by rich (spinner, what happened last, events, partials, elapsed),
    removed before anything else is printed, so a summary never lands on top of it. ``lines``: one plain line
    per event with the elapsed time, for CI logs and pipes, and a reminder every ``heartbeat`` seconds while
    nothing arrives. ``off``: nothing.

    :param err: where to write (stderr).
    :param mode: ``live``, ``lines`` or ``off``.
    :param console: the rich console for ``live`` (tests pass one with ``force_terminal=True``).
    :param clock: seconds, monotonic (tests pass a fake one).
    :param heartbeat: seconds between "still waiting" lines in ``lines`` mode; None for none.
    :param auto_refresh: redraw the live line on a timer too, so the elapsed time ticks between events.

    Example::

        with Progress(sys.stderr, mode=progress_mode(sys.stderr, quiet=False)) as progress:
            progress.step("request sent")
    """

    def __init__(
        self,
        err: TextIO,
        *,
        mode: ProgressMode,
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float | None = 15.0,
        auto_refresh: bool = True,
    ) -> None:
        self._err = err
        self._mode = mode
        self._console = console
        self._clock = clock
        self._heartbeat = heartbeat
        self._auto_refresh = auto_refresh
        self._started = clock()
        self._last = self._started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: RichProgress | None = None
        self._task: TaskID | None = None
        self.events = 0
        self.partials = 0
        self._status = ""

    def __enter__(self) -> Progress:
        self._started = self._last = self._clock()
        _ACTIVE.append(self)
        if self._mode == "live":
            self._live = self._make_live()
            self._live.start()
        elif self._mode == "lines" and self._heartbeat:
            self._thread = threading.Thread(target=self._beat, name="foundry-imagegen-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(ValueError):
            _ACTIVE.remove(self)
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._live is not None:
            self._live.stop()  # transient: the line is erased, the cursor is back at its start
            self._live = None

    def _make_live(self) -> RichProgress:
        from rich.console import Console
        from rich.progress import Progress as RichProgress
        from rich.progress import SpinnerColumn, TextColumn

        console = self._console or Console(file=self._err, highlight=False)
        live = RichProgress(
            SpinnerColumn(),
            # Elapsed first: on a narrow terminal rich cuts the end of the line, and the time matters most.
            TextColumn("{task.elapsed:5.1f}s"),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
            auto_refresh=self._auto_refresh,
            # Image bytes may go to stdout (-o -): nothing of ours is to be captured there.
            redirect_stdout=False,
            redirect_stderr=self._console is None,
            get_time=self._clock,
        )
        self._task = live.add_task(self._status or "starting", total=None)
        return live

    def _elapsed(self) -> float:
        return self._clock() - self._started

    def _line(self, text: str) -> None:
        with self._lock:
            self._last = self._clock()
            self._err.write(f"[{self._elapsed():6.1f}s] {text}\n")
            self._err.flush()

    def _beat(self) -> None:
        assert self._heartbeat is not None
        while not self._stop.wait(self._heartbeat):
            self.beat()

    def beat(self) -> None:
        """In ``lines`` mode, say "still waiting" if nothing was printed for ``heartbeat`` seconds.

        A timer thread calls it; so a CI log shows the command is alive during a long, silent generation.
        """
        if self._mode == "lines" and self._heartbeat and self._clock() - self._last >= self._heartbeat:
            self._line(f"still waiting ({self._status})" if self._status else "still waiting")

    def _show(self) -> None:
        if self._live is None or self._task is None:
            return
        parts = [self._status]
        if self.events:
            parts.append(f"{self.events} event{'s' if self.events != 1 else ''}")
        if self.partials:
            parts.append(f"{self.partials} partial{'s' if self.partials != 1 else ''}")
        self._live.update(self._task, description=" · ".join(parts), refresh=True)

    def step(self, text: str) -> None:
        """Report a step that is not a stream event, e.g. "request sent".

        :param text: what happened, for people.
        """
        self._status = text
        if self._mode == "lines":
            self._line(text)
        self._show()

    def event(self, event_type: str, *, partial_index: int | None = None) -> None:
        """Report one stream event.

        :param event_type: the event's ``type``, e.g. ``response.image_generation_call.partial_image``.
        :param partial_index: for a partial image, its 0-based index.
        """
        self.events += 1
        if event_type == "response.output_text.delta":
            return  # dozens per answer: counted, not shown one by one
        if partial_index is not None:
            self.partials += 1
            text = f"partial image {partial_index + 1} received"
        else:
            text = _EVENT_TEXT.get(event_type, event_type)
        self.step(text)

    def note(self, text: str) -> None:
        """A permanent line (above the live line on a terminal); nothing in ``off`` mode.

        :param text: the note, without the ``note:`` prefix.
        """
        if self._mode != "off":
            self.print_line(f"note: {text}")

    def print_line(self, line: str) -> None:
        """Print ``line`` on stderr whatever the mode; above the live line while one is drawn, never into it.

        :param line: one line of text, without the newline.
        """
        if self._live is not None:
            self._live.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            with self._lock:
                self._err.write(line + "\n")


def _plain(value: Any) -> Any:
    """A JSON-ready form of a usage object: pydantic models and dataclasses become dicts."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def summary(
    result: GenerationResult,
    path: str,
    *,
    partials: Sequence[str] = (),
    timings: Mapping[str, float | None] | None = None,
    stream: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The ``--json`` summary of a generation: everything a script needs without parsing stderr.

    :param result: what the client returned.
    :param path: where the image was written (``-`` for stdout).
    :param partials: the partial images written, in order.
    :param timings: seconds: ``total_s`` (the whole command), ``service_s`` (request to result), and for
        streams ``first_event_s`` and ``first_partial_s``.
    :param stream: for streams, counts of ``events`` and ``partial_images`` received.
    """
    image = result.image
    times = {name: (round(value, 3) if value is not None else None) for name, value in (timings or {}).items()}
    return {
        "path": path,
        "partials": list(partials),
        "format": image.format,
        "width": image.width,
        "height": image.height,
        "bytes": len(image.data),
        "revised_prompt": result.revised_prompt,
        "text": result.text,
        "response_id": result.id,
        "edited_via": result.edited_via,
        "request_id": result.request_id,
        "usage": _plain(result.usage),
        # Only some results carry image token usage (newer cores, some services); None when absent.
        "image_usage": _plain(getattr(result, "image_usage", None)),
        "stream": dict(stream) if stream is not None else None,
        "timings": times,
        "elapsed_s": times.get("total_s"),
    }


def write_result(
    result: GenerationResult,
    path: str,
    out: TextIO,
    err: TextIO,
    *,
    as_json: bool,
    quiet: bool,
    partials: Sequence[str] = (),
    timings: Mapping[str, float | None] | None = None,
    stream: Mapping[str, int] | None = None,
) -> int:
    """Print the written path (or the JSON summary) on ``out`` and a one-line note on ``err``; returns 0.

    With ``path`` ``-`` the image bytes already went to stdout, so only the note is printed.

    :param result: what the client returned.
    :param path: where the image was written, ``-`` for stdout.
    :param out: stdout of the command.
    :param err: stderr of the command.
    :param as_json: print the summary as JSON instead of the path.
    :param quiet: leave out the note.
    :param partials: the partial images written.
    :param timings: see ``summary``.
    :param stream: see ``summary``.
    """
    if as_json:
        out.write(json.dumps(summary(result, path, partials=partials, timings=timings, stream=stream)) + "\n")
        return 0
    image = result.image
    if path != "-":
        out.write(f"{path}\n")
    if not quiet:
        where = "stdout" if path == "-" else path
        total = (timings or {}).get("total_s")
        took = f", {total:.1f}s" if total is not None else ""
        err.write(
            f"wrote {where} ({image.width}x{image.height} {image.format}, {len(image.data) / 1024:.0f} KiB{took})\n"
        )
    return 0


#: Hints in the command line's terms, for errors whose SDK hint names Python arguments; most specific first.
#: Used only when the error carries the SDK's generic hint: a hint drawn from the service's answer stays.
_CLI_HINTS: tuple[tuple[type[BaseException], str], ...] = (
    (
        ImageDeploymentError,
        f"Pass --image-deployment (or export {ENV_IMAGE_DEPLOYMENT}) with the exact name of an image model "
        "deployment (e.g. gpt-image-1) in this resource; it is sent as the x-ms-oai-image-generation-deployment "
        "header; --model must name another deployment.",
    ),
    (
        DeploymentNotFoundError,
        f"--model (or {ENV_MODEL}) must be the name of a chat model deployment in this resource (not the model "
        "id). If you created it within the last 5 minutes, wait a moment and try again.",
    ),
    (
        AuthenticationError,
        f"Check --api-key (or {ENV_API_KEY}); without a key, DefaultAzureCredential (e.g. after `az login`) needs "
        "a token for scope https://ai.azure.com/.default and the 'Foundry User' (projects) or 'Cognitive "
        "Services OpenAI User' (resources) role.",
    ),
    (
        RateLimitError,
        "The deployment's quota is used up (image models allow only a few requests per minute): wait and run "
        "again (--max-retries sets how often the CLI retries by itself), run fewer at once, or request a quota "
        "increase.",
    ),
    (
        NoImageGeneratedError,
        "The model answered without calling the image tool: make the prompt ask for an image, or check the "
        "agent's instructions (agent create --instructions).",
    ),
    (
        APITimeoutError,
        "Image generation can take minutes: raise --timeout, try --quality low, simplify the prompt, or --stream "
        "with --partial-images to keep the connection busy.",
    ),
)

#: SDK phrases that name Python arguments, and the flags that do the same on the command line.
_CLI_PHRASES: tuple[tuple[str, str], ...] = (
    ("pass upload_images=True (or --upload)", "pass --upload"),
    ("upload it (upload_images=True)", "upload it (--upload)"),
    ("choose another path or pass overwrite=True", "choose another -o or pass --overwrite"),
    ("pass credentials with credential= or api_key=", f"pass the key with --api-key or {ENV_API_KEY}"),
    ("pass the resource key, or use credential=", f"pass the resource key with --api-key or {ENV_API_KEY}"),
    ("; for an uploaded file id pass FileId('assistant-...')", ", or pass an http(s) URL"),
    ("Set model='gpt-image-2' if", "Pass --image-model gpt-image-2 if"),
    (
        "Fix: set image_model='<the model the deployment runs, e.g. gpt-image-2>' "
        "(or deployment_models= on the client)",
        "Fix: pass --image-model <the model the deployment runs, e.g. gpt-image-2>",
    ),
    ("(see foundry_imagegen.models for models in date)", "(see `docs/configuration.md` for models in date)"),
)

#: The catalog's fix for a custom-named deployment is a client option; the CLI's is one flag.
_DEPLOYMENT_MODELS_FIX = re.compile(r"Fix: pass deployment_models=\{.*?\} to the client\.")

#: The core names inputs by their Python parameter (edit's image is ``previous``); the CLI by their flag.
_CLI_PARAMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?:images\[\d+\]|previous|image)(=| \()"), "--image"),
    (re.compile(r"^mask(=| \()"), "--mask"),
)

_MISSING_IMAGE_DEPLOYMENT = (
    "no image deployment: the service needs the image model deployment in the "
    f"{IMAGE_DEPLOYMENT_HEADER} header, and without it answers HTTP 400 to every call that carries the image "
    f"tool. Fix: pass --image-deployment (e.g. gpt-image-2), or export {ENV_IMAGE_DEPLOYMENT}"
)


def _flag_for(flag: str) -> Callable[[re.Match[str]], str]:
    # "images[0]='x'" -> "--image 'x'"; "mask (x.png)" -> "--mask (x.png)"
    return lambda match: flag + (" " if match.group(1) == "=" else " (")


def cli_message(exc: BaseException | Warning) -> str:
    """The error's (or warning's) message in the command line's terms: flags and variables, not Python arguments.

    :param exc: an SDK error, ``FileExistsError``, or a warning the SDK issued.
    """
    if isinstance(exc, MissingImageDeploymentError):
        return _MISSING_IMAGE_DEPLOYMENT
    text = _DEPLOYMENT_MODELS_FIX.sub("Fix: pass --image-model <the model it runs, e.g. gpt-image-2>.", str(exc))
    for python, flags in _CLI_PHRASES:
        text = text.replace(python, flags)
    for pattern, flag in _CLI_PARAMS:
        text = pattern.sub(_flag_for(flag), text, count=1)
    hint = getattr(exc, "hint", None)
    if isinstance(exc, ServiceError) and hint == type(exc).default_hint:
        cli_hint = next((h for kind, h in _CLI_HINTS if isinstance(exc, kind)), None)
        if cli_hint is not None:
            text = text.replace(f"Hint: {hint}", f"Hint: {cli_hint}")
    return text


def cli_hint(exc: BaseException) -> str | None:
    """The hint printed under an error whose message does not already end in one.

    :param exc: an SDK error.
    """
    hint = getattr(exc, "hint", None)
    if not hint or "Hint:" in str(exc):
        return None
    return next((h for kind, h in _CLI_HINTS if isinstance(exc, kind)), hint)


def show_warning(message: Warning | str, err: TextIO) -> None:
    """Print an SDK warning as one ``warning:`` line, without Python's file and source line.

    :param message: what ``warnings.showwarning`` received.
    :param err: stderr of the command.
    """
    text = cli_message(message) if isinstance(message, Warning) else str(message)
    if _ACTIVE:
        _ACTIVE[-1].print_line(f"warning: {text}")  # a direct write would land inside a live line
    else:
        err.write(f"warning: {text}\n")


def report(exc: BaseException, err: TextIO) -> int:
    """Print an error (and its hint) on ``err`` and return the exit status for it.

    :param exc: an SDK error, a pydantic ``ValidationError`` of the tool flags, or ``FileExistsError``.
    :param err: stderr of the command.
    """
    if isinstance(exc, ValidationError):
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            err.write(f"error: {FLAGS.get(field, field)}: {error['msg']}\n")
        return 2
    err.write(f"error: {cli_message(exc)}\n")
    if isinstance(exc, FileExistsError):
        return 2
    hint = cli_hint(exc)
    if hint:
        err.write(f"hint: {hint}\n")
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))
