"""The emulated service, free of socket code: a parsed request goes in, a reply description comes out.

:class:`Service` owns the state and the route tables; each API area (responses, files, agents, admin)
contributes its entries, and this module only does what is common to all of them: the project prefix,
authentication and the request log.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._admin import admin_routes
from ._agents import AgentStore, agent_routes
from ._clock import Clock, SystemClock
from ._conversations import ConversationStore, conversation_routes
from ._deployments import DeploymentListing, deployment_routes
from ._errors import ApiError, azure_error
from ._faults import FaultQueue
from ._files import FileStore, file_routes
from ._http import BytesReply, DropReply, JsonReply, Reply, Request, RouteTable, StreamReply
from ._quota import QuotaBook
from ._responses import ResponsesApi, ResponseStore, check_definition

__all__ = [
    "DEFAULT_RPM",
    "BytesReply",
    "DropReply",
    "JsonReply",
    "RecordedRequest",
    "Reply",
    "Request",
    "Service",
    "StreamReply",
]

REDACTED_HEADERS = frozenset({"api-key", "authorization"})
API_KEY_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an "
    "active subscription and use a correct regional API endpoint for your resource."
)
BEARER_MESSAGE = (
    "Unauthorized. Access token is missing, invalid, audience is incorrect (https://ai.azure.com), or have expired."
)
# The quota of a deployment without an ``rpm`` entry: high enough that no test or benchmark meets it.
DEFAULT_RPM = 100_000
_PROJECT_RE = re.compile(r"^/api/projects/([^/]+)(/.*)?$")
_AGENT_ENDPOINT_RE = re.compile(r"^/agents/([^/]+)/endpoint/protocols/openai(/.*)?$")
FOUNDRY_FEATURES = "foundry-features"
_PREVIEW_MESSAGE = (
    "Agent endpoints is in preview. This operation requires the following opt-in preview feature(s): "
    "AgentEndpoints=V1Preview. Include the 'Foundry-Features: AgentEndpoints=V1Preview' header in your request."
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
    #: The parsed JSON body (None when the body was empty or not JSON); Any, so tests can index it.
    json: Any

    def as_json(self) -> dict[str, Any]:
        """The record as the admin route ``/_emulator/requests`` lists it."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "json": self.json,
        }


def _name_map(deployments: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    if isinstance(deployments, Mapping):
        return {str(k): str(v) for k, v in deployments.items()}
    return {name: name for name in deployments}


class Service:
    """State and behaviour of one emulator instance (thread-safe: the server's handler threads call it).

    :param project: the Foundry project name in ``/api/projects/{project}``.
    :param model_deployments: orchestrator deployment name → model, or names that are their own model.
    :param image_deployments: image deployment name → model, or names that are their own model.
    :param api_keys: accepted ``api-key`` values; None (with ``bearer_tokens`` None) disables auth.
    :param bearer_tokens: accepted bearer tokens.
    :param stream_dialect: ``"openai"`` or ``"azure"`` SSE.
    :param seed: seed of the rendered pictures.
    :param clock: the time source of quotas, background generations and timestamps.
    :param unlisted_deployments: deployments left out of ``/deployments`` (they still answer).
    :param deployment_overrides: deployment name → listing fields that replace the real ones.
    :param rpm: deployment name → requests-per-minute quota (others get :data:`DEFAULT_RPM`).
    :param latency: ``(mean, spread)`` seconds of generation time per Responses call, or None.
    :param region: the ``x-ms-region`` display name.
    :param background_duration: seconds on ``clock`` a background response takes to finish.
    """

    def __init__(
        self,
        *,
        project: str,
        model_deployments: Mapping[str, str] | Iterable[str],
        image_deployments: Mapping[str, str] | Iterable[str],
        api_keys: Iterable[str] | None,
        bearer_tokens: Iterable[str] | None,
        stream_dialect: str,
        seed: int,
        clock: Clock | None = None,
        unlisted_deployments: Iterable[str] = (),
        deployment_overrides: Mapping[str, Mapping[str, Any]] | None = None,
        rpm: Mapping[str, int] | None = None,
        latency: tuple[float, float] | None = None,
        region: str = "East US 2",
        background_duration: float = 2.0,
    ) -> None:
        self.project = project
        self.model_deployments = _name_map(model_deployments)
        self.image_deployments = _name_map(image_deployments)
        self.api_keys = None if api_keys is None else frozenset(api_keys)
        self.bearer_tokens = None if bearer_tokens is None else frozenset(bearer_tokens)
        self.stream_dialect = stream_dialect
        self.seed = seed
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.rpm = dict(rpm or {})
        self.region = region
        self.quota = QuotaBook(self.clock, self.rpm, DEFAULT_RPM)
        # Set by the server while it stops, so that waiting background streams end.
        self.stopping = threading.Event()
        self.faults = FaultQueue()
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self.agents = AgentStore(functools.partial(check_definition, image_deployments=self.image_deployments))
        self.files = FileStore()
        self.conversations = ConversationStore(self.clock)
        self.responses = ResponsesApi(
            model_deployments=self.model_deployments,
            image_deployments=self.image_deployments,
            stream_dialect=stream_dialect,
            seed=seed,
            faults=self.faults,
            files=self.files,
            agents=self.agents,
            store=ResponseStore(),
            quota=self.quota,
            latency=latency,
            clock=self.clock,
            stopping=self.stopping,
            background_duration=background_duration,
            conversations=self.conversations,
        )
        # Admin and /health: before auth and the request log. Then the API areas, matched on the path
        # after the project prefix; the agents exist only inside a project.
        self.admin_table = RouteTable(
            admin_routes(self.faults, lambda: [r.as_json() for r in self.requests()], self.clear_requests)
        )
        self.api_table = RouteTable([*self.responses.routes(), *file_routes(self.files)])
        self.deployments = DeploymentListing(
            model_deployments=self.model_deployments,
            image_deployments=self.image_deployments,
            unlisted=unlisted_deployments,
            overrides=deployment_overrides,
            capacity=self.quota.limit,
        )
        # What an agent endpoint serves: the Responses and Conversations areas, for that agent.
        self.agent_endpoint_table = RouteTable([*self.responses.routes(), *conversation_routes(self.conversations)])
        # Conversations, agents and deployments exist only inside a project.
        self.project_table = RouteTable(
            [
                *conversation_routes(self.conversations),
                *agent_routes(self.agents),
                *deployment_routes(self.deployments),
            ]
        )

    # ------------------------------------------------------------------ request log

    def requests(self) -> list[RecordedRequest]:
        """Snapshot of the recorded requests."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
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
        """Answer one request; never raises for client mistakes (they become error replies).

        :param req: the parsed request.
        """
        path = req.path.rstrip("/") or "/"
        try:
            reply = self.admin_table.dispatch(req, path)
            if reply is not None:
                return reply
            self._record(req)
            return self._route(req, path)
        except ApiError as exc:
            return JsonReply(exc.status, exc.body, dict(exc.headers))

    def _route(self, req: Request, path: str) -> Reply:
        project: str | None = None
        m = _PROJECT_RE.match(path)
        if m:
            project, path = m.group(1), m.group(2) or "/"
        self._check_auth(req.headers)
        if project is not None and project != self.project:
            raise azure_error(404, "not_found", f"Project '{project}' not found.")
        req.project = project
        if project is not None:
            m = _AGENT_ENDPOINT_RE.match(path)
            if m is not None:
                return self._agent_endpoint(req, m.group(1), m.group(2) or "/")
        reply = self.api_table.dispatch(req, path)
        if reply is None and project is not None:
            reply = self.project_table.dispatch(req, path)
        if reply is None:
            raise azure_error(404, "404", "Resource not found")
        return reply

    def _agent_endpoint(self, req: Request, name: str, rest: str) -> Reply:
        """``/agents/{name}/endpoint/protocols/openai/…``: a preview surface, so the opt-in header is required.

        Any ``Foundry-Features`` value is accepted: the official client sends its own list of preview
        features, which does not name agent endpoints, and the service takes it.
        """
        self.agents.get_agent(name)
        if not req.headers.get(FOUNDRY_FEATURES, "").strip():
            raise ApiError(
                403,
                {
                    "error": {
                        "code": "preview_feature_required",
                        "message": _PREVIEW_MESSAGE,
                        "param": "Foundry-Features",
                        "type": "invalid_request_error",
                        "details": [],
                        "additionalInfo": {"request_id": req.request_id.replace("-", "")},
                    }
                },
            )
        req.agent = name
        reply = self.agent_endpoint_table.dispatch(req, "/openai/v1" + (rest if rest != "/" else ""))
        if reply is None:
            raise azure_error(404, "404", "Resource not found")
        return reply

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
