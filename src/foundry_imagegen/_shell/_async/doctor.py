"""``client.diagnose()``: gathers the facts the core's doctor checks (one listing call, one token, no paid call)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..._core.calls import ApiCall
from ..._core.constants import IMAGE_DEPLOYMENT_HEADER
from ..._core.doctor import DoctorFacts, DoctorReport, deployments_from_listing, identity_from_token, run_checks
from ...exceptions import APIConnectionError, AuthenticationError, FoundryImageGenError

if TYPE_CHECKING:
    from .client import AsyncFoundryClient

__all__ = ["run_diagnose"]

#: The low-quality image ``generate=True`` asks for (it is billed).
PROBE_PROMPT = "a small red circle on a white background"


async def run_diagnose(
    client: AsyncFoundryClient, *, generate: bool = False, tool: Mapping[str, Any] | None = None
) -> DoctorReport:
    """Run the doctor's checks against what ``client`` is configured with."""
    facts: dict[str, Any] = {
        "endpoint": client._endpoint.project_url or client._endpoint.base_url,
        "is_project": client._endpoint.project_url is not None,
        "loopback": client._endpoint.loopback,
        "auth_kind": client._auth_kind,
        "model": client._model,
        "image_deployment": client._image_deployment,
        "deployment_models": client.deployment_models,
        "tool": dict(tool or {}),
        "custom_headers": ("x-ms-client-request-id", IMAGE_DEPLOYMENT_HEADER),
        "today": client._today(),
    }
    token = None
    if client._auth_kind == "token-credential":
        facts["scope"] = client._scope
        try:
            token = await client._token()
        except AuthenticationError as exc:
            facts.update(auth_ok=False, auth_detail=f"no token: {exc.message}", reachable=None)
            facts["reach_detail"] = "not tried without a token"
            return run_checks(DoctorFacts(**facts))
        facts["identity"] = identity_from_token(token or "")
    if facts["is_project"]:
        url = f"{client._endpoint.project_url}/deployments"
        call = ApiCall("GET", url, params={"api-version": "v1"})
    else:
        call = ApiCall("GET", f"{client._endpoint.base_url}/models")
    try:
        response = await client._send(call, timeout=30.0, client_request_id=client._new_client_request_id())
        await response.aread()
    except APIConnectionError as exc:
        facts.update(reachable=False, reach_detail=str(exc), auth_detail="not tried: the service did not answer")
        return run_checks(DoctorFacts(**facts))
    status = response.status_code
    facts.update(reachable=True, reach_detail=f"GET {response.request.url.path} answered HTTP {status}")
    facts["region"] = response.headers.get("x-ms-region")
    if status in (401, 403):
        facts.update(auth_ok=False, auth_detail=f"HTTP {status}: the service refused the credentials")
    else:
        facts["auth_ok"] = True
    if facts["is_project"]:
        if status == 200:
            try:
                listed = deployments_from_listing(json.loads(response.content))
            except ValueError:
                listed = None
            facts["deployments"] = listed
            facts["deployments_detail"] = (
                f"{len(listed)} deployment(s) listed" if listed is not None else "the listing was not JSON"
            )
        else:
            facts["deployments_detail"] = f"the deployments listing answered HTTP {status}"
    if generate:
        facts["generation"] = await _probe(client, tool)
    return run_checks(DoctorFacts(**facts))


async def _probe(client: AsyncFoundryClient, tool: Mapping[str, Any] | None) -> tuple[bool, str]:
    from ..._core.tool import ImageGenerationTool

    settings = {"quality": "low", **(tool or {})}
    try:
        result = await client.generate(PROBE_PROMPT, tool=ImageGenerationTool(**settings))
    except FoundryImageGenError as exc:
        return False, str(exc).splitlines()[0]
    usage = result.image_usage
    tokens = f", {usage.total_tokens} image tokens" if usage is not None else ""
    return (
        True,
        f"{result.image.width}x{result.image.height} {result.image.format} (request id {result.request_id}{tokens})",
    )
