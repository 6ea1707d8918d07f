"""The emulated service, free of socket code: a parsed request goes in, a reply description comes out."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ._agents import AgentStore
from ._errors import ApiError, azure_error, openai_error
from ._faults import STREAM_FAULTS, Fault, FaultQueue
from ._files import FileStore
from ._inputs import collect_input_images, load_image_ref
from ._png import Raster
from ._render import (
    Scene,
    build_scene,
    encode_image,
    partial_scale,
    render,
    render_edit,
    resize_nearest,
)
from ._tool import (
    FIXED_SIZES,
    ToolSpec,
    check_tool_fields,
    custom_size_problem,
    is_custom_size_model,
    resolve_tool,
)
from ._wire import (
    image_call_item,
    message_item,
    new_id,
    output_text_part,
    response_object,
    revise_prompt,
    strip_results,
    usage_for,
)

__all__ = [
    "BytesReply",
    "DropReply",
    "JsonReply",
    "RecordedRequest",
    "Reply",
    "Request",
    "Service",
    "StreamReply",
]

IMAGE_HEADER = "x-ms-oai-image-generation-deployment"
REDACTED_HEADERS = frozenset({"api-key", "authorization"})
MAX_STORED_IMAGES = 256

API_KEY_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an "
    "active subscription and use a correct regional API endpoint for your resource."
)
BEARER_MESSAGE = (
    "Unauthorized. Access token is missing, invalid, audience is incorrect (https://ai.azure.com), or have expired."
)
MISSING_IMAGE_HEADER_MESSAGE = (
    "imagegen deployment must be provided through header: x-ms-oai-image-generation-deployment"
)
DEPLOYMENT_NOT_FOUND_MESSAGE = (
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 "
    "minutes, "
    "please wait a moment and try again."
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator saw it (secrets redacted).

    ``headers`` keys are lower-case; ``api-key`` and ``authorization`` values read ``"***"``. ``query`` maps
    each query parameter to its (last) value. ``json`` is the parsed body, or None when it was not JSON.

    Example::

        req = emu.requests[-1]
        assert req.headers["x-ms-oai-image-generation-deployment"] == "gpt-image-1"
        assert req.json["tools"][0]["type"] == "image_generation"
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any | None

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "json": self.json,
        }


@dataclass
class Request:
    """A parsed HTTP request handed to :meth:`Service.handle`."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class JsonReply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    pre_delay: float = 0.0


@dataclass
class BytesReply:
    status: int
    data: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    pre_delay: float = 0.0


# ("event", payload) writes one SSE event, ("done", None) writes "data: [DONE]",
# ("drop", None) cuts the socket.
StreamChunk = tuple[Literal["event", "done", "drop"], Any]


@dataclass
class StreamReply:
    chunks: Iterator[StreamChunk]
    headers: dict[str, str] = field(default_factory=dict)
    pre_delay: float = 0.0


@dataclass
class DropReply:
    pre_delay: float = 0.0


Reply = JsonReply | BytesReply | StreamReply | DropReply


def _retry_after_value(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


@dataclass
class _Turn:
    """One validated Responses call, ready to be answered."""

    body: dict[str, Any]
    response_id: str
    created_at: int
    model: str
    instructions: str | None
    prompt: str
    tools_echo: list[dict[str, Any]]
    spec: ToolSpec | None
    seed: int
    agent_reference: dict[str, Any] | None = None
    base: Raster | None = None
    mask: Raster | None = None
    _final: Raster | None = None
    _final_b64: str | None = None

    @property
    def action(self) -> str:
        return "edit" if self.base is not None else "generate"

    @property
    def store(self) -> bool:
        return self.body.get("store", True) is not False

    def revised_prompt(self) -> str:
        return revise_prompt(self.prompt, seed=self.seed, edit=self.base is not None)

    def scene_salt(self) -> str:
        spec = self.spec
        assert spec is not None
        return f"{spec.quality}|{spec.background}|{self.action}"

    def final_raster(self) -> Raster:
        if self._final is None:
            spec = self.spec
            assert spec is not None
            scene = build_scene(self.prompt, seed=self.seed, quality=spec.quality, salt=self.scene_salt())
            self._final = self._render_final(scene, spec)
        return self._final

    def _render_final(self, scene: Scene, spec: ToolSpec) -> Raster:
        if self.base is not None:
            return render_edit(self.base, self.mask, scene, spec.width, spec.height, transparent=spec.transparent)
        return render(scene, spec.width, spec.height, transparent=spec.transparent)

    def final_b64(self) -> str:
        if self._final_b64 is None:
            spec = self.spec
            assert spec is not None
            data = encode_image(self.final_raster(), spec.output_format, compression=spec.output_compression)
            self._final_b64 = base64.b64encode(data).decode("ascii")
        return self._final_b64

    def partial_b64(self, index: int, total: int) -> str:
        spec = self.spec
        assert spec is not None
        scale = partial_scale(index)
        if self.base is None:
            scene = build_scene(self.prompt, seed=self.seed, quality=spec.quality, salt=self.scene_salt())
            raster = render(
                scene,
                spec.width,
                spec.height,
                transparent=spec.transparent,
                scale=scale,
                shape_fraction=(index + 1) / (total + 1),
            )
        else:
            final = self.final_raster()
            small = resize_nearest(final, max(1, spec.width // scale), max(1, spec.height // scale))
            raster = resize_nearest(small, spec.width, spec.height)
        data = encode_image(raster, spec.output_format, compression=spec.output_compression)
        return base64.b64encode(data).decode("ascii")

    def image_item(self, item_id: str, status: str, result: str | None, **extra: Any) -> dict[str, Any]:
        spec = self.spec
        assert spec is not None
        return image_call_item(
            item_id,
            status,
            result,
            revised_prompt=self.revised_prompt(),
            size=spec.size,
            quality=spec.quality,
            background=spec.background,
            output_format=spec.output_format,
            action=self.action,
            **extra,
        )

    def response(
        self,
        status: str,
        output: list[dict[str, Any]],
        *,
        text: str = "",
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        done = status in ("completed", "failed", "incomplete")
        return response_object(
            response_id=self.response_id,
            created_at=self.created_at,
            status=status,
            model=self.model,
            output=output,
            tools=self.tools_echo,
            body=self.body,
            instructions=self.instructions,
            usage=usage_for(self.prompt, text, self.instructions) if done else None,
            error=error,
            completed_at=int(time.time()) if status == "completed" else None,
            agent_reference=self.agent_reference,
        )


def extract_prompt(value: Any) -> str:
    """Text of ``input``: the string itself, or the user messages' text parts joined by newlines."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    texts: list[str] = []
    for item in value:
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            continue
        if item.get("role", "user") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for part in content:
                if (
                    isinstance(part, dict)
                    and part.get("type") in ("input_text", "text")
                    and isinstance(part.get("text"), str)
                ):
                    texts.append(part["text"])
    return "\n".join(texts)


def _text_reply(prompt: str, *, edit: bool) -> str:
    core = re.sub(r"\s+", " ", prompt).strip().rstrip(".!?") or "your idea"
    verb = "edited" if edit else "generated"
    return f"Here is the {verb} image of {core}. If you want any changes or another style, just let me know!"


_NO_TOOL_TEXT = "This is a text answer from the Foundry image generation emulator (no image tool was given)."
_CONTENT_FILTER_MESSAGE = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
    "Please modify "
    "your prompt and retry. To learn more about our content filtering policies please read our "
    "documentation: "
    "https://go.microsoft.com/fwlink/?linkid=2198766"
)
_MODERATION_MESSAGE = (
    "Your request was rejected by the safety system. If you believe this is an error, contact us at "
    "help.openai.com and include the request ID {request_id}."
)
_SERVER_ERROR_MESSAGE = (
    "An error occurred while processing your request. You can retry your request, or contact us through an "
    "Azure "
    "support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if the error persists. Please "
    "include the "
    "request ID {request_id} in your message."
)


class Service:
    """State and behaviour of one emulator instance (thread-safe: the server's handler threads call it)."""

    def __init__(
        self,
        *,
        project: str,
        model_deployments: Iterable[str],
        image_deployments: Mapping[str, str] | Iterable[str],
        api_keys: Iterable[str] | None,
        bearer_tokens: Iterable[str] | None,
        stream_dialect: str,
        seed: int,
    ) -> None:
        self.project = project
        self.model_deployments = frozenset(model_deployments)
        if isinstance(image_deployments, Mapping):
            self.image_deployments: dict[str, str] = {str(k): str(v) for k, v in image_deployments.items()}
        else:
            self.image_deployments = {name: name for name in image_deployments}
        self.api_keys = None if api_keys is None else frozenset(api_keys)
        self.bearer_tokens = None if bearer_tokens is None else frozenset(bearer_tokens)
        self.stream_dialect = stream_dialect
        self.seed = seed
        self.faults = FaultQueue()
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._responses: dict[str, dict[str, Any]] = {}
        # Final images by response id and by ig_ item id, for edits; bounded so a long session stays small.
        self._images: OrderedDict[str, Raster] = OrderedDict()
        self.agents = AgentStore(self._check_definition)
        self.files = FileStore()

    # ------------------------------------------------------------------ request log

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def _record(self, req: Request) -> None:
        parsed: Any = None
        if req.body and "json" in req.headers.get("content-type", "json"):
            try:
                parsed = json.loads(req.body)
            except ValueError:
                parsed = None
        headers = {k: ("***" if k in REDACTED_HEADERS else v) for k, v in req.headers.items()}
        with self._lock:
            self._log.append(RecordedRequest(req.method, req.path, dict(req.query), headers, parsed))

    # ------------------------------------------------------------------ dispatch

    def handle(self, req: Request) -> Reply:
        """Answer one request; never raises for client mistakes (they become error replies)."""
        path = req.path.rstrip("/") or "/"
        if path == "/health":
            return JsonReply(200, {"status": "ok"})
        if path.startswith("/_emulator/") or path == "/_emulator":
            return self._admin(req, path)
        self._record(req)
        try:
            return self._route(req, path)
        except ApiError as exc:
            return JsonReply(exc.status, exc.body, dict(exc.headers))

    def _route(self, req: Request, path: str) -> Reply:
        project: str | None = None
        m = re.match(r"^/api/projects/([^/]+)(/.*)?$", path)
        if m:
            project, path = m.group(1), m.group(2) or "/"
        self._check_auth(req.headers)
        if project is not None and project != self.project:
            raise azure_error(404, "not_found", f"Project '{project}' not found.")
        m = re.match(r"^/openai(?:/v1)?/responses(?:/([^/]+))?$", path)
        if m:
            if m.group(1) is None:
                if req.method != "POST":
                    raise self._method_not_allowed(req)
                return self._create_response(req)
            if req.method == "GET":
                return self._get_response(m.group(1))
            if req.method == "DELETE":
                return self._delete_response(m.group(1))
            raise self._method_not_allowed(req)
        m = re.match(r"^/openai(?:/v1)?/files(?:/([^/]+))?(/content)?$", path)
        if m:
            return self._files_route(req, m.group(1), bool(m.group(2)))
        if project is not None and (path == "/agents" or path.startswith("/agents/")):
            return self._agents_route(req, path)
        raise azure_error(404, "404", "Resource not found")

    def _json_body(self, req: Request) -> Any:
        try:
            return json.loads(req.body) if req.body else None
        except ValueError:
            raise azure_error(400, "invalid_request_error", "The request body is not valid JSON.") from None

    def _agents_route(self, req: Request, path: str) -> Reply:
        parts = path.strip("/").split("/")[1:]
        agents, method = self.agents, req.method
        if not parts:
            if method == "POST":
                return JsonReply(200, agents.create_agent(self._json_body(req)))
            if method == "GET":
                return JsonReply(200, agents.list_agents(req.query))
        elif len(parts) == 1:
            if method == "GET":
                return JsonReply(200, agents.get_agent(parts[0]))
            if method == "DELETE":
                return JsonReply(200, agents.delete_agent(parts[0]))
        elif len(parts) == 2 and parts[1] == "versions":
            if method == "POST":
                return JsonReply(200, agents.create_version(parts[0], self._json_body(req)))
            if method == "GET":
                return JsonReply(200, agents.list_versions(parts[0], req.query))
        elif len(parts) == 3 and parts[1] == "versions":
            if method == "GET":
                return JsonReply(200, agents.get_version(parts[0], parts[2]))
            if method == "DELETE":
                return JsonReply(200, agents.delete_version(parts[0], parts[2]))
        else:
            raise azure_error(404, "404", "Resource not found")
        raise self._method_not_allowed(req)

    def _files_route(self, req: Request, file_id: str | None, content: bool) -> Reply:
        files, method = self.files, req.method
        if file_id is None:
            if method == "POST":
                return JsonReply(200, files.upload(req.headers.get("content-type", ""), req.body))
            if method == "GET":
                items = files.list()
                first, last = (items[0]["id"], items[-1]["id"]) if items else (None, None)
                page = {
                    "object": "list",
                    "data": items,
                    "first_id": first,
                    "last_id": last,
                    "has_more": False,
                }
                return JsonReply(200, page)
        elif content:
            if method == "GET":
                data = files.content(file_id)
                if data is None:
                    raise files.not_found(file_id)
                return BytesReply(200, data, "application/octet-stream")
        elif method == "GET":
            return JsonReply(200, files.meta(file_id))
        elif method == "DELETE":
            return JsonReply(200, files.delete(file_id))
        raise self._method_not_allowed(req)

    @staticmethod
    def _method_not_allowed(req: Request) -> ApiError:
        return azure_error(405, "405", f"Method {req.method} is not allowed on {req.path}.")

    def _check_auth(self, headers: Mapping[str, str]) -> None:
        if self.api_keys is None and self.bearer_tokens is None:
            return
        key = headers.get("api-key")
        auth = headers.get("authorization")
        token = auth[7:].strip() if auth is not None and auth[:7].lower() == "bearer " else None
        if key is not None and self.api_keys is not None and key in self.api_keys:
            return
        # The v1 surface also takes a resource key as a bearer value (that is what OpenAI() sends).
        accepted = (self.bearer_tokens or frozenset()) | (self.api_keys or frozenset())
        if token is not None and token in accepted:
            return
        if key is not None or (auth is None and self.api_keys is not None):
            raise azure_error(401, "401", API_KEY_MESSAGE)
        raise azure_error(401, "401", BEARER_MESSAGE)

    # ------------------------------------------------------------------ admin

    def _admin(self, req: Request, path: str) -> Reply:
        if path == "/_emulator/faults":
            if req.method == "GET":
                return JsonReply(200, self.faults.snapshot())
            if req.method == "DELETE":
                self.faults.clear()
                return JsonReply(204, None)
            if req.method == "POST":
                try:
                    spec = json.loads(req.body or b"null")
                except ValueError:
                    spec = None
                if not isinstance(spec, dict) or not isinstance(spec.get("kind"), str):
                    raise_body = {
                        "error": {
                            "code": "invalid_request_error",
                            "message": "Body must be a JSON object with 'kind'.",
                        }
                    }
                    return JsonReply(400, raise_body)
                params = {k: v for k, v in spec.items() if k not in ("kind", "count")}
                try:
                    self.faults.add(spec["kind"], spec.get("count", 1), params)
                except ValueError as exc:
                    return JsonReply(400, {"error": {"code": "invalid_request_error", "message": str(exc)}})
                return JsonReply(204, None)
        elif path == "/_emulator/requests":
            if req.method == "GET":
                return JsonReply(200, [r.as_json() for r in self.requests()])
            if req.method == "DELETE":
                self.clear_requests()
                return JsonReply(204, None)
        else:
            return JsonReply(404, {"error": {"code": "not_found", "message": f"No admin route {path}."}})
        return JsonReply(405, {"error": {"code": "405", "message": f"Method {req.method} is not allowed on {path}."}})

    # ------------------------------------------------------------------ responses

    def _get_response(self, response_id: str) -> Reply:
        with self._lock:
            stored = self._responses.get(response_id)
        if stored is None:
            raise openai_error(
                404,
                f"Response with id '{response_id}' not found.",
                "invalid_request_error",
                None,
                "not_found",
            )
        return JsonReply(200, strip_results(stored))

    def _delete_response(self, response_id: str) -> Reply:
        with self._lock:
            stored = self._responses.pop(response_id, None)
        if stored is None:
            raise openai_error(
                404,
                f"Response with id '{response_id}' not found.",
                "invalid_request_error",
                None,
                "not_found",
            )
        return JsonReply(200, {"id": response_id, "object": "response.deleted", "deleted": True})

    def _transport_fault(self, fault: Fault, req: Request) -> Reply | None:
        p = fault.params
        if fault.kind == "rate_limit":
            seconds = p["retry_after"]
            headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "0"}
            if seconds is not None:
                headers["Retry-After"] = _retry_after_value(seconds)
            if p["retry_after_ms"] is not None:
                headers["retry-after-ms"] = _retry_after_value(p["retry_after_ms"])
            wait = _retry_after_value(seconds if seconds is not None else 1)
            message = (
                "Requests to the Responses Operation under Azure OpenAI API version v1 have exceeded token "
                "rate limit "
                f"of your current pricing tier. Please retry after {wait} seconds. Please go here: "
                "https://aka.ms/oai/quotaincrease if you would like to further increase the default rate "
                "limit."
            )
            raise azure_error(429, "429", message, headers)
        if fault.kind == "server_error":
            raise openai_error(
                500,
                _SERVER_ERROR_MESSAGE.format(request_id=req.request_id),
                "server_error",
                None,
                "server_error",
            )
        if fault.kind == "service_unavailable":
            headers = {}
            if p["retry_after"] is not None:
                headers["Retry-After"] = _retry_after_value(p["retry_after"])
            exc = openai_error(
                503,
                "The service is temporarily unable to process your request. Please try again later. Please "
                "include the "
                f"request ID {req.request_id} in your message.",
                "server_error",
                None,
                "service_unavailable",
            )
            exc.headers.update(headers)
            raise exc
        if fault.kind == "drop_connection":
            return DropReply()
        return None  # slow_first_byte: answered normally after the delay

    def _create_response(self, req: Request) -> Reply:
        try:
            body: Any = json.loads(req.body) if req.body else None
        except ValueError:
            body = None
        stream = isinstance(body, dict) and body.get("stream") is True
        pre_delay = 0.0
        fault = self.faults.take(stream=stream, transport=True)
        if fault is not None:
            dropped = self._transport_fault(fault, req)
            if dropped is not None:
                return dropped
            pre_delay = float(fault.params["delay"])
        try:
            if not isinstance(body, dict):
                raise openai_error(
                    400,
                    "We could not parse the JSON body of your request. The request body must be a JSON object.",
                    "invalid_request_error",
                    None,
                    None,
                )
            turn = self._prepare(body, req)
            # One fault per request: a transport fault already used this request's turn.
            fault = self.faults.take(stream=stream, transport=False) if fault is None else None
            reply: Reply = self._stream(turn, fault, req) if stream else self._complete(turn, fault, req)
        except ApiError as exc:
            reply = JsonReply(exc.status, exc.body, dict(exc.headers))
        reply.pre_delay = pre_delay
        return reply

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

    def _check_definition(self, definition: Any) -> None:
        """Validation for agent definitions (``POST /agents...``)."""
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
            image_model = self.image_deployments.get(named, named) if isinstance(named, str) else None
            try:
                check_tool_fields(tool, f"definition.tools[{i}]", image_model=image_model, custom_sizes_unknown=True)
            except ApiError as exc:
                err = exc.body["error"]
                raise ApiError(
                    400,
                    {
                        "error": {
                            "code": "invalid_request_error",
                            "message": err["message"],
                            "param": err["param"],
                        }
                    },
                ) from None

    def _prepare(self, body: dict[str, Any], req: Request) -> _Turn:
        definition, agent_echo = self._resolve_agent(body)
        tools = definition.get("tools") if definition is not None else body.get("tools")
        if tools is None:
            tools = []
        if not isinstance(tools, list):
            raise openai_error(
                400,
                "Invalid type for 'tools': expected an array.",
                "invalid_request_error",
                "tools",
                "invalid_type",
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
        deployment: str | None = None
        image_model: str | None = None
        if image_indexes:
            deployment = req.headers.get(IMAGE_HEADER) or None
            if deployment is None:
                raise openai_error(
                    400,
                    MISSING_IMAGE_HEADER_MESSAGE,
                    "image_generation_user_error",
                    "tools",
                    "invalid_request_error",
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
        model = definition.get("model") if definition is not None else body.get("model")
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
        for i in image_indexes:
            check_tool_fields(tools[i], f"tools[{i}]", image_model=image_model)
        if "input" in body and not isinstance(body["input"], (str, list)) and body["input"] is not None:
            raise openai_error(
                400,
                "Invalid type for 'input': expected a string or an array.",
                "invalid_request_error",
                "input",
                "invalid_type",
            )
        previous = self._previous_response_image(body.get("previous_response_id"))
        instructions = definition.get("instructions") if definition is not None else body.get("instructions")
        spec: ToolSpec | None = None
        tools_echo = [dict(t) for t in tools]
        base: Raster | None = None
        mask: Raster | None = None
        if image_indexes:
            assert deployment is not None and image_model is not None
            first = image_indexes[0]
            spec = resolve_tool(tools[first], first, deployment=deployment, image_model=image_model)
            tools_echo[first] = spec.echo
            inputs = collect_input_images(body.get("input"), self.files.content, self._image_by_id)
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
            if spec.action == "generate":
                base = None
            if base is not None:
                mask = self._load_mask(spec, base)
                if spec.size_is_auto:
                    w, h = self._auto_edit_size(base, image_model)
                    spec = replace(spec, width=w, height=h)
        return _Turn(
            body=body,
            response_id=new_id("resp"),
            created_at=int(time.time()),
            model=model,
            instructions=instructions if isinstance(instructions, str) else None,
            prompt=extract_prompt(body.get("input")),
            tools_echo=tools_echo,
            spec=spec,
            seed=self.seed,
            agent_reference=agent_echo,
            base=base,
            mask=mask,
        )

    def _previous_response_image(self, previous_id: Any) -> Raster | None:
        if previous_id is None:
            return None
        with self._lock:
            known = isinstance(previous_id, str) and previous_id in self._responses
            image = self._images.get(previous_id) if known else None
        if not known:
            raise openai_error(
                404,
                f"Previous response with id '{previous_id}' not found.",
                "invalid_request_error",
                "previous_response_id",
                "previous_response_not_found",
            )
        return image

    def _image_by_id(self, item_id: str) -> Raster | None:
        with self._lock:
            return self._images.get(item_id)

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

    def _store(self, turn: _Turn, response: dict[str, Any], raster: Raster | None, item_id: str | None) -> None:
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

    def _content_filter(self, fault: Fault) -> ApiError:
        category = fault.params["category"]
        result: dict[str, Any] = {
            "hate": {"filtered": False, "severity": "safe"},
            "jailbreak": {"filtered": False, "detected": False},
            "self_harm": {"filtered": False, "severity": "safe"},
            "sexual": {"filtered": False, "severity": "safe"},
            "violence": {"filtered": False, "severity": "safe"},
        }
        if category == "jailbreak":
            result["jailbreak"] = {"filtered": True, "detected": True}
        else:
            result[category] = {"filtered": True, "severity": fault.params["severity"]}
        return ApiError(
            400,
            {
                "error": {
                    "message": _CONTENT_FILTER_MESSAGE,
                    "type": None,
                    "param": "prompt",
                    "code": "content_filter",
                    "status": 400,
                    "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": result},
                }
            },
        )

    def _moderation_error(self, fault: Fault, req: Request) -> dict[str, Any]:
        message = fault.params["message"] or _MODERATION_MESSAGE.format(request_id=req.request_id)
        return {"code": fault.params["code"], "message": message}

    def _complete(self, turn: _Turn, fault: Fault | None, req: Request) -> Reply:
        kind = fault.kind if fault is not None else None
        if kind == "content_filter":
            assert fault is not None
            raise self._content_filter(fault)
        spec = turn.spec
        output: list[dict[str, Any]] = []
        raster: Raster | None = None
        item_id: str | None = None
        if kind == "moderation_blocked":
            assert fault is not None
            error = self._moderation_error(fault, req)
            if fault.params["item"] and spec is not None:
                output.append(turn.image_item(new_id("ig"), "failed", None))
            response = turn.response("failed", output, error=error)
            self._store(turn, response, None, None)
            return JsonReply(200, response)
        text = _text_reply(turn.prompt, edit=turn.base is not None)
        if kind == "text_only" or spec is None:
            assert fault is None or fault.kind == "text_only"
            text = (fault.params["text"] if fault is not None else None) or (
                "I can't draw that, but here's a description: " + turn.revised_prompt() + "."
                if spec is not None
                else _NO_TOOL_TEXT
            )
        elif kind == "empty_result":
            assert fault is not None
            item_id = new_id("ig")
            output.append(turn.image_item(item_id, fault.params["status"], ""))
            item_id = None
        else:
            item_id = new_id("ig")
            output.append(turn.image_item(item_id, "completed", turn.final_b64()))
            raster = turn.final_raster()
        output.append(message_item(new_id("msg"), text))
        response = turn.response("completed", output, text=text)
        self._store(turn, response, raster, item_id)
        return JsonReply(200, response)

    # ------------------------------------------------------------------ streaming

    def _stream(self, turn: _Turn, fault: Fault | None, req: Request) -> Reply:
        if fault is not None and fault.kind == "content_filter":
            raise self._content_filter(fault)
        return StreamReply(self._numbered(self._events(turn, fault, req), turn, fault, req))

    def _numbered(
        self, events: Iterator[dict[str, Any]], turn: _Turn, fault: Fault | None, req: Request
    ) -> Iterator[StreamChunk]:
        after = fault.params["after"] if fault is not None and fault.kind in STREAM_FAULTS else None
        for seq, event in enumerate(events):
            if after is not None and seq == after:
                assert fault is not None
                events_close = getattr(events, "close", None)
                if events_close is not None:
                    events_close()
                if fault.kind == "stream_drop":
                    yield ("drop", None)
                    return
                code = fault.params["code"]
                message = fault.params["message"] or _SERVER_ERROR_MESSAGE.format(request_id=req.request_id)
                if fault.kind == "stream_error":
                    yield (
                        "event",
                        {
                            "type": "error",
                            "sequence_number": seq,
                            "code": code,
                            "message": message,
                            "param": None,
                        },
                    )
                else:
                    failed = turn.response("failed", [], error={"code": code, "message": message})
                    self._store(turn, failed, None, None)
                    yield ("event", {"type": "response.failed", "sequence_number": seq, "response": failed})
                break
            kind = event.pop("type")
            yield ("event", {"type": kind, "sequence_number": seq, **event})
        if self.stream_dialect == "azure":
            yield ("done", None)

    def _message_events(self, msg_id: str, text: str, output_index: int) -> Iterator[dict[str, Any]]:
        yield {
            "type": "response.output_item.added",
            "output_index": output_index,
            "item": message_item(msg_id, None, status="in_progress"),
        }
        base = {"item_id": msg_id, "output_index": output_index, "content_index": 0}
        yield {"type": "response.content_part.added", **base, "part": output_text_part("")}
        for delta in re.findall(r"\s*\S+", text) or [text]:
            yield {"type": "response.output_text.delta", **base, "delta": delta, "logprobs": []}
        yield {"type": "response.output_text.done", **base, "text": text, "logprobs": []}
        yield {"type": "response.content_part.done", **base, "part": output_text_part(text)}
        yield {
            "type": "response.output_item.done",
            "output_index": output_index,
            "item": message_item(msg_id, text),
        }

    def _events(self, turn: _Turn, fault: Fault | None, req: Request) -> Iterator[dict[str, Any]]:
        kind = fault.kind if fault is not None else None
        created = turn.response("in_progress", [])
        yield {"type": "response.created", "response": created}
        yield {"type": "response.in_progress", "response": turn.response("in_progress", [])}
        spec = turn.spec
        output: list[dict[str, Any]] = []
        if kind == "moderation_blocked":
            assert fault is not None
            if fault.params["item"] and spec is not None:
                ig = new_id("ig")
                yield {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": image_call_item(ig, "in_progress", None),
                }
                yield {"type": "response.image_generation_call.in_progress", "output_index": 0, "item_id": ig}
                failed_item = turn.image_item(ig, "failed", None)
                output.append(failed_item)
                yield {"type": "response.output_item.done", "output_index": 0, "item": failed_item}
            response = turn.response("failed", output, error=self._moderation_error(fault, req))
            self._store(turn, response, None, None)
            yield {"type": "response.failed", "response": response}
            return
        raster: Raster | None = None
        item_id: str | None = None
        text = _text_reply(turn.prompt, edit=turn.base is not None)
        if spec is not None and kind != "text_only":
            ig = new_id("ig")
            yield {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": image_call_item(ig, "in_progress", None),
            }
            yield {"type": "response.image_generation_call.in_progress", "output_index": 0, "item_id": ig}
            yield {"type": "response.image_generation_call.generating", "output_index": 0, "item_id": ig}
            if kind == "empty_result":
                assert fault is not None
                status, result = fault.params["status"], ""
            else:
                for k in range(spec.partial_images):
                    yield {
                        "type": "response.image_generation_call.partial_image",
                        "output_index": 0,
                        "item_id": ig,
                        "partial_image_index": k,
                        "partial_image_b64": turn.partial_b64(k, spec.partial_images),
                        "size": spec.size,
                        "quality": spec.quality,
                        "background": spec.background,
                        "output_format": spec.output_format,
                    }
                status = "completed" if self.stream_dialect == "openai" else "generating"
                result = turn.final_b64()
                raster, item_id = turn.final_raster(), ig
            if self.stream_dialect == "openai":
                yield {"type": "response.image_generation_call.completed", "output_index": 0, "item_id": ig}
            item = turn.image_item(ig, status, result)
            output.append(item)
            yield {"type": "response.output_item.done", "output_index": 0, "item": item}
        else:
            if kind == "text_only":
                assert fault is not None
                text = fault.params["text"] or f"I can't draw that, but here's a description: {turn.revised_prompt()}."
            else:
                text = _NO_TOOL_TEXT
        msg_id = new_id("msg")
        yield from self._message_events(msg_id, text, len(output))
        output.append(message_item(msg_id, text))
        response = turn.response("completed", output, text=text)
        self._store(turn, response, raster, item_id)
        yield {"type": "response.completed", "response": response}
