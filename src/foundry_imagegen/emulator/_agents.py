"""Foundry prompt agents: named, immutable versions (protocol §1.4)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ApiError, azure_error
from ._http import JsonReply, Reply, Request, Route

__all__ = ["AgentStore", "agent_routes", "paginate", "valid_agent_name"]

_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def valid_agent_name(name: str) -> bool:
    """1–63 characters, alphanumeric at both ends, hyphens allowed inside."""
    return bool(_NAME_RE.fullmatch(name))


def paginate(items: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """An OpenAI-style list page honouring ``limit`` (1–100, default 20), ``order``, ``after`` and ``before``.

    ``items`` must be in creation order; ``order`` defaults to ``desc`` as in the Foundry API.
    """
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise azure_error(400, "invalid_request_error", "order must be 'asc' or 'desc'.")
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        raise azure_error(400, "invalid_request_error", "limit must be an integer.") from None
    if not 1 <= limit <= 100:
        raise azure_error(400, "invalid_request_error", "limit must be between 1 and 100.")
    ordered = items if order == "asc" else list(reversed(items))
    ids = [str(i["id"]) for i in ordered]
    start, end = 0, len(ordered)
    if "after" in query and query["after"] in ids:
        start = ids.index(query["after"]) + 1
    if "before" in query and query["before"] in ids:
        end = ids.index(query["before"])
    window = ordered[start:end]
    page = window[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(window) > limit,
    }


@dataclass
class _Agent:
    name: str
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_version: int = 1
    endpoint: dict[str, Any] | None = None
    card: dict[str, Any] | None = None


MERGE_PATCH = "application/merge-patch+json"
_PROTOCOLS = frozenset({"activity", "responses", "a2a", "mcp", "invocations", "invocations_ws"})
_AUTH_SCHEMES = frozenset({"Entra", "BotService", "BotServiceRbac", "BotServiceTenant"})
_ENDPOINT_KEYS = frozenset({"version_selector", "protocol_configuration", "authorization_schemes"})
# Read-only fields a client may send back from a GET; the service ignores them.
_READ_ONLY = frozenset({"publish_approval_status"})


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge key by key, ``null`` removes, anything else replaces.

    :param target: the current value.
    :param patch: the patch document.
    """
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _bad_endpoint(message: str) -> ApiError:
    return azure_error(400, "invalid_request_error", message)


class AgentStore:
    """Thread-safe agent registry. ``check_definition`` validates a definition or raises :class:`ApiError`."""

    def __init__(self, check_definition: Callable[[Any], None]) -> None:
        self._check_definition = check_definition
        self._lock = threading.Lock()
        self._agents: dict[str, _Agent] = {}

    @staticmethod
    def _agent_object(agent: _Agent) -> dict[str, Any]:
        latest = list(agent.versions.values())[-1]
        obj: dict[str, Any] = {"object": "agent", "id": agent.name, "name": agent.name, "versions": {"latest": latest}}
        if agent.endpoint is not None:
            # The endpoint fields appear once an endpoint was configured, so plain agents keep their shape.
            obj["state"] = "enabled"
            obj["configuration_state"] = "enabled"
            obj["agent_endpoint"] = {**agent.endpoint, "publish_approval_status": "no_approval_needed"}
        if agent.card is not None:
            obj["agent_card"] = agent.card
        return obj

    def patch(self, name: str, content_type: str, body: Any) -> dict[str, Any]:
        """``PATCH /agents/{name}``: a merge patch of ``agent_endpoint`` and ``agent_card``.

        :param name: the agent.
        :param content_type: the request's ``Content-Type`` (must be ``application/merge-patch+json``).
        :param body: the parsed patch document.
        """
        media_type = content_type.split(";")[0].strip().lower()
        if media_type != MERGE_PATCH:
            raise azure_error(
                415,
                "unsupported_media_type",
                f"The content type '{content_type or 'none'}' is not supported; use '{MERGE_PATCH}'.",
            )
        if not isinstance(body, dict):
            raise azure_error(400, "invalid_request_error", "The request body must be a JSON object.")
        unknown = sorted(set(body) - {"agent_endpoint", "agent_card"})
        if unknown:
            raise _bad_endpoint(
                f"Unknown properties {', '.join(unknown)}: only agent_endpoint and agent_card can be patched."
            )
        with self._lock:
            agent = self._agents.get(name)
            if agent is None:
                raise self.not_found(name)
            if "agent_endpoint" in body:
                patch = body["agent_endpoint"]
                if isinstance(patch, dict):
                    patch = {k: v for k, v in patch.items() if k not in _READ_ONLY}
                endpoint = merge_patch(agent.endpoint, patch) if patch is not None else None
                if endpoint is not None:
                    self._check_endpoint(agent, endpoint)
                agent.endpoint = endpoint
            if "agent_card" in body:
                card = body["agent_card"]
                agent.card = merge_patch(agent.card, card) if card is not None else None
            return self._agent_object(agent)

    @staticmethod
    def _check_endpoint(agent: _Agent, endpoint: Any) -> None:
        if not isinstance(endpoint, dict):
            raise _bad_endpoint("agent_endpoint must be an object.")
        unknown = sorted(set(endpoint) - _ENDPOINT_KEYS)
        if unknown:
            raise _bad_endpoint(f"Unknown agent_endpoint properties: {', '.join(unknown)}.")
        selector = endpoint.get("version_selector")
        if selector is not None:
            rules = selector.get("version_selection_rules") if isinstance(selector, dict) else None
            if not isinstance(rules, list) or not rules:
                raise _bad_endpoint("version_selector.version_selection_rules must be a non-empty array.")
            total = 0
            for i, rule in enumerate(rules):
                where = f"version_selector.version_selection_rules[{i}]"
                if not isinstance(rule, dict) or rule.get("type") != "FixedRatio":
                    raise _bad_endpoint(f"{where}.type must be 'FixedRatio'.")
                version = rule.get("agent_version")
                if str(version) not in agent.versions:
                    raise _bad_endpoint(f"{where}.agent_version: agent '{agent.name}' has no version '{version}'.")
                share = rule.get("traffic_percentage")
                if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
                    raise _bad_endpoint(f"{where}.traffic_percentage must be an integer from 0 to 100.")
                total += share
            if total != 100:
                raise _bad_endpoint(
                    f"The traffic percentages of the version selection rules add up to {total}, not 100."
                )
        protocols = endpoint.get("protocol_configuration")
        if protocols is not None:
            if not isinstance(protocols, dict) or not all(isinstance(v, dict) for v in protocols.values()):
                raise _bad_endpoint("protocol_configuration must map protocol names to objects.")
            unknown = sorted(set(protocols) - _PROTOCOLS)
            if unknown:
                raise _bad_endpoint(f"Unknown protocols in protocol_configuration: {', '.join(unknown)}.")
        schemes = endpoint.get("authorization_schemes")
        if schemes is not None and (
            not isinstance(schemes, list)
            or not all(isinstance(x, dict) and x.get("type") in _AUTH_SCHEMES for x in schemes)
        ):
            raise _bad_endpoint(
                f"authorization_schemes must be objects whose type is one of {', '.join(sorted(_AUTH_SCHEMES))}."
            )

    def endpoint_version(self, name: str, protocol: str, draw: float) -> dict[str, Any]:
        """The version an agent-endpoint call runs: picked by the FixedRatio rules with ``draw`` in [0, 1).

        :param name: the agent.
        :param protocol: the protocol the call uses (``"responses"``); it must be configured.
        :param draw: a uniform number deciding between weighted versions.
        """
        with self._lock:
            agent = self._agents.get(name)
            if agent is None:
                raise self.not_found(name)
            endpoint = agent.endpoint or {}
            if protocol not in (endpoint.get("protocol_configuration") or {}):
                raise azure_error(
                    404,
                    "not_found",
                    f"Agent '{name}' has no endpoint for the '{protocol}' protocol; configure "
                    f"agent_endpoint.protocol_configuration.{protocol} first.",
                )
            rules = (endpoint.get("version_selector") or {}).get("version_selection_rules") or []
            point, chosen = draw * 100, None
            for rule in rules:
                point -= rule["traffic_percentage"]
                chosen = str(rule["agent_version"])
                if point < 0:
                    break
            if chosen is None or chosen not in agent.versions:
                # No rules (or their version is gone): the latest version answers.
                chosen = list(agent.versions)[-1]
            return agent.versions[chosen]

    def _validate_body(self, name: Any, body: Any) -> None:
        if not isinstance(name, str) or not valid_agent_name(name):
            raise azure_error(
                400,
                "invalid_request_error",
                f"Invalid agent name {name!r}: use 1-63 letters, digits or hyphens, starting and ending "
                "with a letter or digit.",
            )
        if not isinstance(body, dict):
            raise azure_error(400, "invalid_request_error", "The request body must be a JSON object.")
        if "definition" not in body:
            raise azure_error(400, "invalid_request_error", "Missing required property 'definition'.")
        self._check_definition(body["definition"])
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise azure_error(400, "invalid_request_error", "description must be a string.")
        metadata = body.get("metadata")
        if metadata is not None:
            if not isinstance(metadata, dict) or len(metadata) > 16:
                raise azure_error(400, "invalid_request_error", "metadata must be an object with at most 16 pairs.")
            for k, v in metadata.items():
                if not isinstance(v, str) or len(k) > 64 or len(v) > 512:
                    raise azure_error(
                        400,
                        "invalid_request_error",
                        "metadata keys must be <= 64 chars and values strings <= 512.",
                    )

    def create_version(self, name: Any, body: Any) -> dict[str, Any]:
        """``POST /agents/{name}/versions``: a new immutable version (creating the agent if needed)."""
        self._validate_body(name, body)
        assert isinstance(name, str) and isinstance(body, dict)
        with self._lock:
            agent = self._agents.setdefault(name, _Agent(name))
            version = str(agent.next_version)
            agent.next_version += 1
            details = {
                "object": "agent.version",
                "id": f"{name}:{version}",
                "name": name,
                "version": version,
                "description": body.get("description"),
                "created_at": int(time.time()),
                "definition": body["definition"],
                "metadata": body.get("metadata") or {},
                "status": "active",
            }
            agent.versions[version] = details
            return details

    def create_agent(self, body: Any) -> dict[str, Any]:
        """``POST /agents``: create the agent, or add a version when it exists."""
        name = body.get("name") if isinstance(body, dict) else None
        self.create_version(name, body)
        return self.get_agent(str(name))

    def get_agent(self, name: str) -> dict[str, Any]:
        with self._lock:
            agent = self._agents.get(name)
            if agent is None:
                raise self.not_found(name)
            return self._agent_object(agent)

    def list_agents(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            items = [self._agent_object(a) for a in self._agents.values()]
        return paginate(items, query)

    def get_version(self, name: str, version: str | None) -> dict[str, Any]:
        """A version's details; ``version=None`` means the latest."""
        with self._lock:
            agent = self._agents.get(name)
            if agent is None:
                raise self.not_found(name)
            if version is None:
                return list(agent.versions.values())[-1]
            details = agent.versions.get(version)
            if details is None:
                raise self.not_found(name, version)
            return details

    def list_versions(self, name: str, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            agent = self._agents.get(name)
            if agent is None:
                raise self.not_found(name)
            items = list(agent.versions.values())
        return paginate(items, query)

    def delete_version(self, name: str, version: str) -> dict[str, Any]:
        with self._lock:
            agent = self._agents.get(name)
            if agent is None:
                raise self.not_found(name)
            if agent.versions.pop(version, None) is None:
                raise self.not_found(name, version)
            if not agent.versions:
                # An agent without versions cannot be used or shown, so it goes too.
                del self._agents[name]
        return {"object": "agent.version.deleted", "name": name, "version": version, "deleted": True}

    def delete_agent(self, name: str) -> dict[str, Any]:
        with self._lock:
            if self._agents.pop(name, None) is None:
                raise self.not_found(name)
        return {"object": "agent.deleted", "name": name, "deleted": True}

    @staticmethod
    def not_found(name: str, version: str | None = None) -> ApiError:
        if version is None:
            return azure_error(404, "not_found", f"Agent '{name}' not found.")
        return azure_error(404, "not_found", f"Agent '{name}' version '{version}' not found.")


def _json_body(req: Request) -> Any:
    try:
        return json.loads(req.body) if req.body else None
    except ValueError:
        raise azure_error(400, "invalid_request_error", "The request body is not valid JSON.") from None


def agent_routes(agents: AgentStore) -> list[Route]:
    """The agents area's route table entries (project-scoped paths, after the project prefix).

    :param agents: the store the handlers read and write.
    """

    def not_found(_req: Request, _m: re.Match[str]) -> Reply:
        raise azure_error(404, "404", "Resource not found")

    name = r"/agents/([^/]+)"
    return [
        Route.of("POST", r"/agents", lambda req, _m: JsonReply(200, agents.create_agent(_json_body(req)))),
        Route.of("GET", r"/agents", lambda req, _m: JsonReply(200, agents.list_agents(req.query))),
        Route.of("GET", name, lambda _req, m: JsonReply(200, agents.get_agent(m.group(1)))),
        Route.of(
            "PATCH",
            name,
            lambda req, m: JsonReply(
                200, agents.patch(m.group(1), req.headers.get("content-type", ""), _json_body(req))
            ),
        ),
        Route.of("DELETE", name, lambda _req, m: JsonReply(200, agents.delete_agent(m.group(1)))),
        Route.of(
            "POST",
            rf"{name}/versions",
            lambda req, m: JsonReply(200, agents.create_version(m.group(1), _json_body(req))),
        ),
        Route.of(
            "GET", rf"{name}/versions", lambda req, m: JsonReply(200, agents.list_versions(m.group(1), req.query))
        ),
        Route.of(
            "GET",
            rf"{name}/versions/([^/]+)",
            lambda _req, m: JsonReply(200, agents.get_version(m.group(1), m.group(2))),
        ),
        Route.of(
            "DELETE",
            rf"{name}/versions/([^/]+)",
            lambda _req, m: JsonReply(200, agents.delete_version(m.group(1), m.group(2))),
        ),
        Route.of("*", r"/agents/.*", not_found),
    ]
