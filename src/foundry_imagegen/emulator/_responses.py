"""The Responses API area: ``POST/GET/DELETE …/responses``, request validation and the stored responses."""

from __future__ import annotations

import json
import random
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ._agents import AgentStore
from ._background import BackgroundJobs, Job
from ._catalog import is_reasoning_orchestrator
from ._clock import Clock
from ._conversations import ConversationStore, normalise_items
from ._errors import ApiError, azure_error, openai_error
from ._events import Dialect, fold, turn_events
from ._faults import Fault, FaultQueue, content_filter_error, transport_fault_error
from ._files import FileStore
from ._http import DropReply, JsonReply, Reply, Request, Route, StreamReply
from ._inputs import collect_input_images, load_image_ref
from ._png import Raster
from ._quota import QuotaBook, generation_latency
from ._streaming import sse_chunks
from ._tool import (
    FIXED_SIZES,
    ToolSpec,
    check_tool_fields,
    custom_size_problem,
    is_custom_size_model,
    resolve_tool,
)
from ._turn import Turn, extract_prompt
from ._wire import new_id, strip_results

__all__ = ["IMAGE_HEADER", "ResponseStore", "ResponsesApi", "check_definition"]

IMAGE_HEADER = "x-ms-oai-image-generation-deployment"
MAX_STORED_IMAGES = 256
MISSING_IMAGE_HEADER_MESSAGE = (
    "imagegen deployment must be provided through header: x-ms-oai-image-generation-deployment"
)
DEPLOYMENT_NOT_FOUND_MESSAGE = (
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 "
    "minutes, "
    "please wait a moment and try again."
)
_OPENAI = r"/openai(?:/v1)?"


class ResponseStore:
    """Stored responses (for GET/DELETE and ``previous_response_id``) and their final images (for edits)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._responses: dict[str, dict[str, Any]] = {}
        # Final images by response id and by ig_ item id; bounded so a long session stays small.
        self._images: OrderedDict[str, Raster] = OrderedDict()

    def put(self, turn: Turn, response: dict[str, Any], raster: Raster | None, item_id: str | None) -> None:
        """Keep ``response`` (unless the call said ``store: false``) and its image under both ids."""
        if not turn.store:
            return
        with self._lock:
            self._responses[turn.response_id] = response
            if raster is not None:
                self._images[turn.response_id] = raster
                if item_id is not None:
                    self._images[item_id] = raster
                while len(self._images) > MAX_STORED_IMAGES:
                    self._images.popitem(last=False)

    def get(self, response_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._responses.get(response_id)

    def pop(self, response_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._responses.pop(response_id, None)

    def image(self, key: str) -> Raster | None:
        """The final image of a stored response id or ``ig_`` item id."""
        with self._lock:
            return self._images.get(key)

    def knows(self, response_id: str) -> bool:
        with self._lock:
            return response_id in self._responses


def check_definition(definition: Any, *, image_deployments: Mapping[str, str]) -> None:
    """Validate an agent definition (``POST /agents…``); raises :class:`ApiError` in the Foundry envelope.

    :param definition: the body's ``definition``.
    :param image_deployments: deployment name → image model, to apply the model's rules to a named tool model.
    """
    if not isinstance(definition, dict):
        raise azure_error(400, "invalid_request_error", "definition must be an object.")
    kind = definition.get("kind", "prompt")
    if kind != "prompt":
        raise azure_error(
            400,
            "invalid_request_error",
            f"Unsupported definition kind '{kind}': the emulator has prompt agents.",
        )
    model = definition.get("model")
    if not isinstance(model, str) or not model:
        raise azure_error(400, "invalid_request_error", "definition.model is required (a model deployment name).")
    tools = definition.get("tools")
    if tools is None:
        return
    if not isinstance(tools, list):
        raise azure_error(400, "invalid_request_error", "definition.tools must be an array.")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise azure_error(400, "invalid_request_error", f"definition.tools[{i}].type is required.")
        if tool["type"] != "image_generation":
            continue
        named = tool.get("model")
        image_model = image_deployments.get(named, named) if isinstance(named, str) else None
        try:
            check_tool_fields(tool, f"definition.tools[{i}]", image_model=image_model, custom_sizes_unknown=True)
        except ApiError as exc:
            err = exc.body["error"]
            raise ApiError(
                400,
                {"error": {"code": "invalid_request_error", "message": err["message"], "param": err["param"]}},
            ) from None


@dataclass(frozen=True)
class _ImageJob:
    """The image side of a turn: the resolved tool, the tools echo and the edit inputs."""

    spec: ToolSpec | None
    tools_echo: list[dict[str, Any]]
    base: Raster | None = None
    mask: Raster | None = None


class ResponsesApi:
    """Handlers for the Responses routes; validation runs as small steps in :meth:`prepare`'s order.

    :param model_deployments: orchestrator deployment name → model.
    :param image_deployments: image deployment name → image model.
    :param stream_dialect: ``"openai"`` or ``"azure"`` SSE.
    :param seed: seed of the rendered pictures.
    :param faults: the shared fault queue.
    :param files: uploads, for ``file_id`` inputs and masks.
    :param agents: agent versions, for ``agent_reference``.
    :param store: stored responses and images.
    :param quota: the per-deployment request windows.
    :param latency: ``(mean, spread)`` seconds of generation time, or None for none.
    :param clock: the emulator clock (timestamps, background jobs).
    :param stopping: set when the server stops (ends waiting background streams).
    :param background_duration: seconds on ``clock`` a background response takes to finish.
    :param conversations: the project's conversations, for ``conversation``.
    """

    def __init__(
        self,
        *,
        model_deployments: Mapping[str, str],
        image_deployments: Mapping[str, str],
        stream_dialect: str,
        seed: int,
        faults: FaultQueue,
        files: FileStore,
        agents: AgentStore,
        store: ResponseStore,
        quota: QuotaBook,
        latency: tuple[float, float] | None = None,
        clock: Clock,
        stopping: threading.Event,
        background_duration: float = 2.0,
        conversations: ConversationStore,
    ) -> None:
        self.model_deployments = model_deployments
        self.image_deployments = image_deployments
        self.stream_dialect = stream_dialect
        self.seed = seed
        self.faults = faults
        self.files = files
        self.agents = agents
        self.store = store
        self.quota = quota
        self.latency = latency
        self.clock = clock
        self.background_duration = background_duration
        self.conversations = conversations
        self.jobs = BackgroundJobs(clock, stopping, self._finish)

    def routes(self) -> list[Route]:
        """This area's route table entries (paths after any project prefix)."""
        return [
            Route.of("POST", rf"{_OPENAI}/responses", self.create),
            Route.of("GET", rf"{_OPENAI}/responses/([^/]+)", self.retrieve),
            Route.of("DELETE", rf"{_OPENAI}/responses/([^/]+)", self.delete),
            Route.of("POST", rf"{_OPENAI}/responses/([^/]+)/cancel", self.cancel),
        ]

    # ------------------------------------------------------------------ stored responses

    @staticmethod
    def _not_found(response_id: str) -> ApiError:
        return openai_error(
            404, f"Response with id '{response_id}' not found.", "invalid_request_error", None, "not_found"
        )

    def retrieve(self, req: Request, m: re.Match[str]) -> Reply:
        """``GET …/responses/{id}``: a background job as it stands now, or the stored response.

        A stored foreground response comes back without image results, as the service keeps it; a
        background one shows its image once finished (that is what polling is for). With
        ``stream=true`` a background response created with ``stream: true`` is streamed again from
        ``starting_after`` + 1.
        """
        response_id = m.group(1)
        job = self.jobs.get(response_id)
        if req.query.get("stream", "").lower() == "true":
            return self._resume(req, response_id, job)
        if job is not None:
            return JsonReply(200, job.snapshot(self.clock.now()))
        stored = self.store.get(response_id)
        if stored is None:
            raise self._not_found(response_id)
        return JsonReply(200, strip_results(stored))

    def _resume(self, req: Request, response_id: str, job: Job | None) -> Reply:
        if job is None:
            if self.store.get(response_id) is None:
                raise self._not_found(response_id)
            raise openai_error(
                400,
                f"Response '{response_id}' was not created in background mode; only background responses can "
                "be streamed again.",
                "invalid_request_error",
                "stream",
                "invalid_value",
            )
        if not job.streamed:
            raise openai_error(
                400,
                f"Response '{response_id}' was not created with 'stream': true, so it cannot be streamed.",
                "invalid_request_error",
                "stream",
                "invalid_value",
            )
        raw = req.query.get("starting_after", "-1")
        try:
            after = int(raw)
        except ValueError:
            raise openai_error(
                400,
                f"Invalid 'starting_after': expected an integer, got '{raw}'.",
                "invalid_request_error",
                "starting_after",
                "invalid_type",
            ) from None
        return StreamReply(self.jobs.stream(job, after=after, done_sentinel=self.stream_dialect == "azure"))

    def delete(self, _req: Request, m: re.Match[str]) -> Reply:
        """``DELETE …/responses/{id}``."""
        job = self.jobs.pop(m.group(1))
        if self.store.pop(m.group(1)) is None and job is None:
            raise self._not_found(m.group(1))
        return JsonReply(200, {"id": m.group(1), "object": "response.deleted", "deleted": True})

    def cancel(self, _req: Request, m: re.Match[str]) -> Reply:
        """``POST …/responses/{id}/cancel``: only a running background response can be cancelled (idempotent)."""
        response_id = m.group(1)
        job = self.jobs.get(response_id)
        if job is None:
            if self.store.get(response_id) is None:
                raise self._not_found(response_id)
            raise openai_error(
                400,
                "Only responses created with background=true can be cancelled.",
                "invalid_request_error",
                None,
                None,
            )
        cancelled = self.jobs.cancel(job)
        if cancelled is None:
            raise openai_error(
                400,
                f"Cannot cancel a response that has already finished (status '{job.final['status']}').",
                "invalid_request_error",
                None,
                None,
            )
        return JsonReply(200, cancelled)

    # ------------------------------------------------------------------ create

    def create(self, req: Request, _m: re.Match[str]) -> Reply:
        """``POST …/responses``: transport faults, the quota, validation, content faults, then the answer."""
        try:
            body: Any = json.loads(req.body) if req.body else None
        except ValueError:
            body = None
        stream = isinstance(body, dict) and body.get("stream") is True
        deployments = self._deployments_of(body, req)
        pre_delay = 0.0
        fault = self.faults.take(stream=stream, transport=True)
        if fault is not None:
            if fault.kind == "drop_connection":
                return DropReply()
            error = transport_fault_error(fault, req.request_id)
            if error is not None:
                # The fault's own headers (its Retry-After, its zero remaining) win over the window's.
                error.headers = {**self.quota.peek(deployments), **error.headers}
                raise error
            pre_delay = float(fault.params["delay"])  # slow_first_byte: answered normally after the delay
        admission = self.quota.admit(deployments, tokens=24 + min(len(req.body), 400_000) // 4)
        if admission.refusal is not None:
            raise admission.refusal
        reply: JsonReply | StreamReply
        try:
            if not isinstance(body, dict):
                raise openai_error(
                    400,
                    "We could not parse the JSON body of your request. The request body must be a JSON object.",
                    "invalid_request_error",
                    None,
                    None,
                )
            turn = self.prepare(body, req)
            # One fault per request: a transport fault already used this request's turn.
            background = body.get("background") is True
            # A background stream is replayed from stored events, where a mid-stream fault has no place.
            fault = self.faults.take(stream=stream and not background, transport=False) if fault is None else None
            reply = self._answer(turn, fault, req, stream=stream)
            if self.latency is not None and not background:
                reply.clock_delay = generation_latency(self.latency, self.seed, req.body)
        except ApiError as exc:
            reply = JsonReply(exc.status, exc.body, dict(exc.headers))
        served = self._served_deployment(body, req)
        extra = {"x-ms-deployment-name": served} if served is not None else {}
        reply.headers = {**admission.headers, **extra, **reply.headers}
        reply.pre_delay = pre_delay
        return reply

    def _served_deployment(self, body: Any, req: Request) -> str | None:
        """The orchestrator deployment that serves the call (``model``, or the referenced agent's)."""
        model = body.get("model") if isinstance(body, dict) else None
        if req.agent is not None:
            try:
                definition = self.agents.get_version(req.agent, None).get("definition")
            except ApiError:
                return None
            model = definition.get("model") if isinstance(definition, dict) else None
        elif not isinstance(model, str) and isinstance(body, dict):
            ref = body.get("agent_reference") or body.get("agent")
            if isinstance(ref, dict) and isinstance(ref.get("name"), str):
                try:
                    version = ref.get("version")
                    details = self.agents.get_version(ref["name"], None if version is None else str(version))
                except ApiError:
                    return None
                definition = details.get("definition")
                model = definition.get("model") if isinstance(definition, dict) else None
        return model if isinstance(model, str) and model in self.model_deployments else None

    def _deployments_of(self, body: Any, req: Request) -> list[str]:
        """The known deployments a call would use, to charge their quotas before validation."""
        found: list[str] = []
        served = self._served_deployment(body, req)
        if served is not None:
            found.append(served)
        image = req.headers.get(IMAGE_HEADER)
        if image is not None and image in self.image_deployments:
            found.append(image)
        return found

    def _answer(self, turn: Turn, fault: Fault | None, req: Request, *, stream: bool) -> JsonReply | StreamReply:
        if fault is not None and fault.kind == "content_filter":
            raise content_filter_error(fault)
        dialect: Dialect = ("azure" if self.stream_dialect == "azure" else "openai") if stream else "json"
        if turn.body.get("background") is True:
            return self._start_background(turn, fault, req, dialect=dialect, stream=stream)
        events = turn_events(turn, fault, dialect=dialect, request_id=req.request_id, store=self._finish)
        if not stream:
            return JsonReply(200, fold(events))

        def failed_response(error: dict[str, Any]) -> dict[str, Any]:
            failed = turn.response("failed", [], error=error)
            self._finish(turn, failed, None, None)
            return failed

        chunks = sse_chunks(events, fault, dialect=dialect, request_id=req.request_id, failed_response=failed_response)
        return StreamReply(chunks)

    def _finish(self, turn: Turn, response: dict[str, Any], raster: Raster | None, item_id: str | None) -> None:
        """Keep a finished response; a completed conversation turn also joins its conversation."""
        self.store.put(turn, response, raster, item_id)
        if turn.conversation_id is not None and response.get("status") == "completed":
            self.conversations.record_turn(turn.conversation_id, turn.input_items, list(response.get("output", [])))

    def _start_background(
        self, turn: Turn, fault: Fault | None, req: Request, *, dialect: Dialect, stream: bool
    ) -> JsonReply | StreamReply:
        job = self.jobs.start(
            turn,
            lambda store: turn_events(turn, fault, dialect=dialect, request_id=req.request_id, store=store),
            duration=self.background_duration,
            streamed=stream,
        )
        if not stream:
            return JsonReply(200, job.snapshot(job.started))
        return StreamReply(self.jobs.stream(job, after=-1, done_sentinel=dialect == "azure"))

    # ------------------------------------------------------------------ validation steps

    def prepare(self, body: dict[str, Any], req: Request) -> Turn:
        """Validate ``body`` in the service's order and resolve everything the answer needs."""
        definition, agent_echo = self._endpoint_agent(body, req) if req.agent is not None else self._resolve_agent(body)
        source = definition if definition is not None else body
        tools, image_indexes = self._tools(source.get("tools"))
        deployment, image_model = self._image_deployment(req, image_indexes)
        model = self._orchestrator(source.get("model"))
        for i in image_indexes:
            check_tool_fields(tools[i], f"tools[{i}]", image_model=image_model)
        self._check_input(body)
        self._check_background(body)
        conversation_id, history = self._conversation(body, req)
        previous = self._previous_response_image(body.get("previous_response_id"))
        job = _ImageJob(None, [dict(t) for t in tools])
        if image_indexes:
            assert deployment is not None and image_model is not None
            job = self._image_job(body, tools, image_indexes[0], deployment, image_model, previous, history)
        instructions = source.get("instructions")
        prompt = extract_prompt(body.get("input"))
        if not prompt and history:
            # The turn may bring no input of its own: the conversation's last user message is the prompt.
            users = [i for i in history if i.get("type") == "message" and i.get("role") == "user"]
            prompt = extract_prompt(users[-1:])
        return Turn(
            body=body,
            response_id=new_id("resp"),
            created_at=int(self.clock.now()),
            model=model,
            instructions=instructions if isinstance(instructions, str) else None,
            prompt=prompt,
            tools_echo=job.tools_echo,
            spec=job.spec,
            seed=self.seed,
            agent_reference=agent_echo,
            reasoning=is_reasoning_orchestrator(self.model_deployments[model]),
            base=job.base,
            mask=job.mask,
            now=self.clock.now,
            conversation_id=conversation_id,
            input_items=normalise_items(body.get("input"), "input") if conversation_id is not None else [],
        )

    def _endpoint_agent(self, body: dict[str, Any], req: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        """A call through ``/agents/{name}/endpoint``: the URL names the agent, its rules pick the version."""
        assert req.agent is not None
        for key in ("tools", "tool_choice", "parallel_tool_calls", "agent_reference", "agent"):
            if body.get(key) is not None:
                raise openai_error(400, "Not allowed when agent is specified.", "invalid_request_error", key, None)
        draw = random.Random(req.request_id).random()
        details = self.agents.endpoint_version(req.agent, "responses", draw)
        echo = {"type": "agent_reference", "name": details["name"], "version": details["version"]}
        return details["definition"], echo

    def _resolve_agent(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The referenced agent version's definition and the reference to echo, or (None, None)."""
        key = "agent_reference" if body.get("agent_reference") is not None else "agent"
        ref = body.get(key)
        if ref is None:
            return None, None
        if not isinstance(ref, dict) or not isinstance(ref.get("name"), str) or not ref["name"]:
            raise openai_error(
                400,
                f'Invalid \'{key}\': expected {{"type": "agent_reference", "name": ..., "version"?: ...}}.',
                "invalid_request_error",
                key,
                "invalid_value",
            )
        if ref.get("type", "agent_reference") != "agent_reference":
            raise openai_error(
                400,
                f"Invalid value: '{ref.get('type')}'. Supported values are: 'agent_reference'.",
                "invalid_request_error",
                f"{key}.type",
                "invalid_value",
            )
        version = ref.get("version")
        details = self.agents.get_version(ref["name"], None if version is None else str(version))
        echo = {"type": "agent_reference", "name": details["name"], "version": details["version"]}
        return details["definition"], echo

    @staticmethod
    def _tools(tools: Any) -> tuple[list[Any], list[int]]:
        """The tools array and the indexes of its image_generation tools."""
        if tools is None:
            return [], []
        if not isinstance(tools, list):
            raise openai_error(
                400, "Invalid type for 'tools': expected an array.", "invalid_request_error", "tools", "invalid_type"
            )
        image_indexes: list[int] = []
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
                raise openai_error(
                    400,
                    f"Missing required parameter: 'tools[{i}].type'.",
                    "invalid_request_error",
                    f"tools[{i}].type",
                    "missing_required_parameter",
                )
            if tool["type"] == "image_generation":
                image_indexes.append(i)
        return tools, image_indexes

    def _image_deployment(self, req: Request, image_indexes: list[int]) -> tuple[str | None, str | None]:
        """The deployment named by the image header and its model (both None without an image tool)."""
        if not image_indexes:
            return None, None
        deployment = req.headers.get(IMAGE_HEADER) or None
        if deployment is None:
            raise openai_error(
                400, MISSING_IMAGE_HEADER_MESSAGE, "image_generation_user_error", "tools", "invalid_request_error"
            )
        image_model = self.image_deployments.get(deployment)
        if image_model is None:
            raise openai_error(
                400,
                f"The model '{deployment}' does not exist.",
                "image_generation_user_error",
                "model",
                "invalid_value",
            )
        return deployment, image_model

    def _orchestrator(self, model: Any) -> str:
        if model is None or model == "":
            raise openai_error(
                400,
                "Missing required parameter: 'model'.",
                "invalid_request_error",
                "model",
                "missing_required_parameter",
            )
        if not isinstance(model, str) or model not in self.model_deployments:
            raise azure_error(404, "DeploymentNotFound", DEPLOYMENT_NOT_FOUND_MESSAGE)
        return model

    @staticmethod
    def _check_input(body: dict[str, Any]) -> None:
        if "input" in body and not isinstance(body["input"], (str, list)) and body["input"] is not None:
            raise openai_error(
                400,
                "Invalid type for 'input': expected a string or an array.",
                "invalid_request_error",
                "input",
                "invalid_type",
            )

    def _conversation(self, body: dict[str, Any], req: Request) -> tuple[str | None, list[dict[str, Any]]]:
        """The conversation the call continues and its items, or (None, [])."""
        value = body.get("conversation")
        if value is None:
            return None, []
        if body.get("previous_response_id") is not None:
            raise openai_error(
                400,
                "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or "
                "'conversation'.",
                "invalid_request_error",
                None,
                "mutually_exclusive_parameters",
            )
        conversation_id = value.get("id") if isinstance(value, dict) else value
        if not isinstance(conversation_id, str) or not conversation_id:
            raise openai_error(
                400,
                "Invalid 'conversation': expected a conversation id or an object with 'id'.",
                "invalid_request_error",
                "conversation",
                "invalid_value",
            )
        if req.project is None:
            # Conversations exist only in projects; a resource endpoint knows none.
            raise ConversationStore.not_found(conversation_id, "conversation")
        try:
            return conversation_id, self.conversations.history(conversation_id)
        except ApiError:
            raise ConversationStore.not_found(conversation_id, "conversation") from None

    @staticmethod
    def _check_background(body: dict[str, Any]) -> None:
        background = body.get("background")
        if background is not None and not isinstance(background, bool):
            raise openai_error(
                400,
                "Invalid type for 'background': expected a boolean.",
                "invalid_request_error",
                "background",
                "invalid_type",
            )
        if background and body.get("store", True) is False:
            raise openai_error(
                400,
                "Background mode requires 'store' to be true.",
                "invalid_request_error",
                "background",
                "invalid_value",
            )

    def _previous_response_image(self, previous_id: Any) -> Raster | None:
        if previous_id is None:
            return None
        # A background response becomes a usable previous response once it has finished.
        self.jobs.settle_all()
        if not (isinstance(previous_id, str) and self.store.knows(previous_id)):
            raise openai_error(
                404,
                f"Previous response with id '{previous_id}' not found.",
                "invalid_request_error",
                "previous_response_id",
                "previous_response_not_found",
            )
        return self.store.image(previous_id)

    def _image_job(
        self,
        body: dict[str, Any],
        tools: list[Any],
        first: int,
        deployment: str,
        image_model: str,
        previous: Raster | None,
        history: list[dict[str, Any]],
    ) -> _ImageJob:
        """Resolve the first image tool and the picture it edits (input images win over the previous one)."""
        spec = resolve_tool(tools[first], first, deployment=deployment, image_model=image_model)
        tools_echo = [dict(t) for t in tools]
        tools_echo[first] = spec.echo
        inputs = collect_input_images(body.get("input"), self.files.content, self.store.image)
        if not inputs and history:
            inputs = collect_input_images(self._resolvable(history), self.files.content, self.store.image)
        base = inputs[-1].raster if inputs else previous
        if spec.action == "edit" and base is None:
            raise openai_error(
                400,
                "Invalid value: 'edit'. action 'edit' needs an input image (input_image, an earlier "
                "image_generation_call or previous_response_id).",
                "invalid_request_error",
                f"tools[{first}].action",
                "invalid_value",
            )
        if spec.action == "generate" or base is None:
            return _ImageJob(spec, tools_echo)
        mask = self._load_mask(spec, base)
        if spec.size_is_auto:
            w, h = self._auto_edit_size(base, image_model)
            spec = replace(spec, width=w, height=h)
        return _ImageJob(spec, tools_echo, base, mask)

    def _resolvable(self, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Conversation items whose images can still be found: the emulator keeps only recent pictures."""
        kept = []
        for item in history:
            if item.get("type") in ("image_generation_call", "item_reference") and not item.get("result"):
                item_id = item.get("id")
                if not (isinstance(item_id, str) and self.store.image(item_id) is not None):
                    continue
            kept.append(item)
        return kept

    def _load_mask(self, spec: ToolSpec, base: Raster) -> Raster | None:
        if spec.mask is None:
            return None
        param = f"tools[{spec.index}].input_image_mask"
        mask = load_image_ref(spec.mask, param, self.files.content)
        if mask.channels != 4:
            raise openai_error(
                400,
                "Invalid mask: the mask must be a PNG with an alpha channel (alpha 0 marks editable pixels).",
                "invalid_request_error",
                param,
                "invalid_value",
            )
        if (mask.width, mask.height) != (base.width, base.height):
            raise openai_error(
                400,
                f"Invalid mask: its size {mask.width}x{mask.height} must match the image size "
                f"{base.width}x{base.height}.",
                "invalid_request_error",
                param,
                "invalid_value",
            )
        return mask

    @staticmethod
    def _auto_edit_size(base: Raster, image_model: str) -> tuple[int, int]:
        size = f"{base.width}x{base.height}"
        if size in FIXED_SIZES:
            return base.width, base.height
        if is_custom_size_model(image_model) and custom_size_problem(base.width, base.height) is None:
            return base.width, base.height
        return 1024, 1024
