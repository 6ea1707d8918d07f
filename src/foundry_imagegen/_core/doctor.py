"""The doctor's checks: pure functions over the facts the shell gathered (no I/O here).

The checks follow the troubleshooting table of docs/errors.md, in order: endpoint form and reachability,
auth, the orchestrator deployment, the image deployment, that the two differ, the tool settings for that
image model, the custom-header budget, the region and the models the deployments listing shows, and (when
asked for) one paid low-quality generation. Each check says pass / warn / fail / skip, what it saw, and the
fix.

Example::

    report = run_checks(facts)
    print(render_text(report)); sys.exit(exit_code(report))
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

__all__ = [
    "DeploymentInfo",
    "DoctorCheck",
    "DoctorFacts",
    "DoctorReport",
    "deployments_from_listing",
    "exit_code",
    "identity_from_token",
    "render_text",
    "run_checks",
]

Status = Literal["pass", "warn", "fail", "skip"]
#: The service passes through at most this many custom headers (more: HTTP 431).
HEADER_BUDGET = 10


@dataclass(frozen=True)
class DoctorCheck:
    """One line of the doctor's report."""

    id: str
    title: str
    status: Status
    detail: str
    #: What to do about it (empty on a pass).
    fix: str = ""


@dataclass(frozen=True)
class DeploymentInfo:
    """One ``ModelDeployment`` of ``GET {project}/deployments``."""

    name: str
    model_name: str | None = None
    model_version: str | None = None
    model_publisher: str | None = None
    sku: str | None = None
    capabilities: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DoctorFacts:
    """What the shell found out; None means "not known" (the check that needs it is skipped)."""

    endpoint: str
    endpoint_error: str | None = None
    is_project: bool = False
    loopback: bool = False
    reachable: bool | None = None
    reach_detail: str = ""
    auth_kind: str = "api-key"
    #: True: a token was obtained and accepted / the key was accepted; False: refused; None: not tried.
    auth_ok: bool | None = None
    auth_detail: str = ""
    identity: str | None = None
    scope: str | None = None
    deployments: Sequence[DeploymentInfo] | None = None
    deployments_detail: str = ""
    model: str | None = None
    image_deployment: str | None = None
    deployment_models: Mapping[str, str] = field(default_factory=dict)
    tool: Mapping[str, Any] = field(default_factory=dict)
    custom_headers: Sequence[str] = ()
    region: str | None = None
    today: date = date(2026, 12, 2)
    #: None: not asked; (ok, detail) otherwise.
    generation: tuple[bool, str] | None = None


@dataclass(frozen=True)
class DoctorReport:
    """The checks, in order; ``ok`` when none failed."""

    checks: tuple[DoctorCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    def to_json(self) -> str:
        return json.dumps({"ok": self.ok, "checks": [asdict(c) for c in self.checks]}, indent=2)


def deployments_from_listing(body: Any) -> list[DeploymentInfo]:
    """The deployments of a listing body (``value``; ``data`` as some write-ups show), unknown fields ignored."""
    items = body.get("value", body.get("data", [])) if isinstance(body, Mapping) else []
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        sku = item.get("sku")
        caps = item.get("capabilities")
        out.append(
            DeploymentInfo(
                name=item["name"],
                model_name=item.get("modelName") if isinstance(item.get("modelName"), str) else None,
                model_version=item.get("modelVersion") if isinstance(item.get("modelVersion"), str) else None,
                model_publisher=item.get("modelPublisher") if isinstance(item.get("modelPublisher"), str) else None,
                sku=sku.get("name") if isinstance(sku, Mapping) and isinstance(sku.get("name"), str) else None,
                capabilities={str(k): str(v) for k, v in caps.items()} if isinstance(caps, Mapping) else {},
            )
        )
    return out


def _endpoint(f: DoctorFacts) -> DoctorCheck:
    title = "endpoint form"
    if f.endpoint_error:
        return DoctorCheck(
            "endpoint",
            title,
            "fail",
            f.endpoint_error,
            "use https://<resource>.services.ai.azure.com/api/projects/<project>",
        )
    if not f.is_project:
        return DoctorCheck(
            "endpoint",
            title,
            "warn",
            f"{f.endpoint} is a resource endpoint: agents, files by project and the deployments listing need a project",
            "use the project endpoint shown on the Foundry portal's overview page",
        )
    return DoctorCheck("endpoint", title, "pass", f"{f.endpoint} is a Foundry project endpoint")


def _reach(f: DoctorFacts) -> DoctorCheck:
    title = "reachability"
    if f.endpoint_error:
        return DoctorCheck("reach", title, "skip", "no endpoint to reach")
    if f.reachable is None:
        return DoctorCheck("reach", title, "skip", f.reach_detail or "not tried")
    if not f.reachable:
        return DoctorCheck(
            "reach",
            title,
            "fail",
            f.reach_detail,
            "check the host name, DNS, proxy (HTTPS_PROXY) and firewall; the resource may be private-link only",
        )
    return DoctorCheck("reach", title, "pass", f.reach_detail or "the service answered")


def _auth(f: DoctorFacts) -> DoctorCheck:
    title = "auth"
    who = f" as {f.identity}" if f.identity else ""
    scope = f" (scope {f.scope})" if f.scope else ""
    if f.auth_ok is None:
        return DoctorCheck("auth", title, "skip", f.auth_detail or "not tried")
    if not f.auth_ok:
        fix = (
            "check the key (Keys and Endpoint in the portal) or use credential="
            if f.auth_kind != "token-credential"
            else "sign in (az login), use scope https://ai.azure.com/.default, and assign the Foundry User / "
            "Cognitive Services OpenAI User role on the resource"
        )
        return DoctorCheck("auth", title, "fail", f.auth_detail + who + scope, fix)
    what = "a token was obtained and accepted" if f.auth_kind == "token-credential" else "the key was accepted"
    return DoctorCheck("auth", title, "pass", f"{what}{who}{scope}")


def _find(f: DoctorFacts, name: str | None) -> DeploymentInfo | None:
    if f.deployments is None or name is None:
        return None
    return next((d for d in f.deployments if d.name == name), None)


def _model_of(f: DoctorFacts, name: str) -> str:
    found = _find(f, name)
    if found is not None and found.model_name:
        return found.model_name
    said = f.tool.get("image_model") if name == f.image_deployment else None
    return said if isinstance(said, str) and said else f.deployment_models.get(name, name)


def _lifecycle(name: str, role: Literal["image", "orchestrator"], today: date) -> tuple[Status, str, str]:
    from .catalog import image_model, lifecycle_status, orchestrator_model

    entry = image_model(name) if role == "image" else orchestrator_model(name)
    if entry is None:
        return (
            "warn",
            f"{name} is not in the SDK's catalog, so its retirement date is unknown",
            ("pass deployment_models={'<deployment>': '<model>'} if the deployment runs a catalog model"),
        )
    status = lifecycle_status(entry, today=today)
    lifecycle = status.lifecycle
    later = lifecycle.latest_retirement if lifecycle is not None and lifecycle.disputed else None
    if status.state == "retired" and later is not None and later > today:
        return "warn", status.message, "plan the move now: one source already calls it retired"
    if status.state == "retired":
        return "fail", status.message, "deploy a current model (foundry_imagegen.models.current_*(today=...))"
    if status.state == "retiring":
        return "warn", status.message, "plan the move to a newer model"
    return "pass", f"{name} is in date on Azure ({status.state})", ""


def _deployment_check(f: DoctorFacts, role: Literal["image", "orchestrator"]) -> list[DoctorCheck]:
    name = f.image_deployment if role == "image" else f.model
    cid = "image" if role == "image" else "orchestrator"
    param = "image_deployment= / --image-deployment" if role == "image" else "model= / --model"
    title = "image deployment" if role == "image" else "orchestrator deployment"
    if not name:
        return [DoctorCheck(cid, title, "fail", "none is set", f"set {param}")]
    checks = []
    if f.deployments is not None:
        found = _find(f, name)
        if found is None:
            names = ", ".join(sorted(d.name for d in f.deployments)) or "none"
            hint = (
                "404 DeploymentNotFound: use the deployment name, not the model id; a new one takes minutes"
                if role == "orchestrator"
                else "400 \"The model '...' does not exist\": the exact deployment name from the portal"
            )
            return [DoctorCheck(cid, title, "fail", f"no deployment named {name!r} (the project has: {names})", hint)]
        checks.append(DoctorCheck(f"{cid}.exists", f"{title} exists", "pass", f"{name} runs {found.model_name or '?'}"))
    else:
        checks.append(DoctorCheck(f"{cid}.exists", f"{title} exists", "skip", f.deployments_detail or "no listing"))
    model = _model_of(f, name)
    is_image = model.startswith("gpt-image-") or model.startswith("dall-e")
    from .catalog import image_model, orchestrator_model

    if model == name and _find(f, name) is None and image_model(name) is None and orchestrator_model(name) is None:
        # Neither the listing nor the caller says which model the deployment runs.
        checks.append(
            DoctorCheck(
                f"{cid}.kind",
                f"{title} model",
                "warn",
                f"cannot tell which model {name!r} runs",
                "pass deployment_models={'<deployment>': '<model>'} (CLI: --image-model), or use a project "
                "endpoint so the deployments listing says",
            )
        )
        return checks
    if role == "image" and not is_image:
        checks.append(
            DoctorCheck(
                f"{cid}.kind",
                f"{title} is an image model",
                "fail",
                f"{name} runs {model}, not an image model",
                "point image_deployment at a gpt-image-* deployment",
            )
        )
    elif role == "orchestrator":
        from .catalog import orchestrator_model

        entry = orchestrator_model(model)
        if is_image:
            checks.append(
                DoctorCheck(
                    f"{cid}.kind",
                    f"{title} is a chat model",
                    "fail",
                    f"{name} runs {model}, an image model",
                    "model= is the chat model that calls the tool (e.g. a gpt-5.1 deployment); the image "
                    "model goes in image_deployment=",
                )
            )
        elif entry is not None and entry.supports_image_tool.value is False:
            checks.append(
                DoctorCheck(
                    f"{cid}.kind",
                    f"{title} supports the tool",
                    "fail",
                    f"{model} cannot host image_generation (400 \"Hosted tool 'image_generation' is not supported\")",
                    "a gpt-5-family model (foundry_imagegen.models.current_orchestrators(today=...))",
                )
            )
        else:
            said = (
                "supports the image tool"
                if entry is not None and entry.supports_image_tool.value
                else ("no source says whether it supports the tool")
            )
            checks.append(
                DoctorCheck(
                    f"{cid}.kind",
                    f"{title} is a chat model",
                    "pass" if entry is not None and entry.supports_image_tool.value else "warn",
                    f"{model}: {said}",
                    "" if entry is not None and entry.supports_image_tool.value else "prefer a gpt-5-family model",
                )
            )
    else:
        checks.append(DoctorCheck(f"{cid}.kind", f"{title} is an image model", "pass", f"{name} runs {model}"))
    if checks[-1].status == "fail":
        return checks  # a model of the wrong kind has no date worth checking
    status, detail, fix = _lifecycle(model, "image" if role == "image" else "orchestrator", f.today)
    checks.append(DoctorCheck(f"{cid}.date", f"{title} in date", status, detail, fix))
    return checks


def _names_differ(f: DoctorFacts) -> DoctorCheck:
    title = "orchestrator and image deployments differ"
    if f.model and f.image_deployment and f.model == f.image_deployment:
        return DoctorCheck(
            "names",
            title,
            "fail",
            f"both are {f.model!r}",
            "the orchestrator (model=) is a chat deployment; the image deployment is another one",
        )
    return DoctorCheck("names", title, "pass" if f.model and f.image_deployment else "skip", "they differ")


def _tool(f: DoctorFacts) -> DoctorCheck:
    title = "tool settings"
    if not f.image_deployment:
        return DoctorCheck("tool", title, "skip", "no image deployment")
    if f.deployments is not None and _find(f, f.image_deployment) is None:
        return DoctorCheck("tool", title, "skip", "the image deployment was not found")
    from pydantic import ValidationError

    from .tool import ImageGenerationTool

    model = _model_of(f, f.image_deployment)
    if _find(f, f.image_deployment) is not None and not model.startswith(("gpt-image-", "dall-e")):
        return DoctorCheck("tool", title, "skip", f"{f.image_deployment} does not run an image model")
    settings = {k: v for k, v in f.tool.items() if k not in ("image_deployment", "image_model")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ImageGenerationTool(image_deployment=f.image_deployment, image_model=model, **settings)
        except (ValidationError, ValueError, TypeError) as exc:
            first = str(exc).strip().splitlines()
            return DoctorCheck("tool", title, "fail", " ".join(first[:3]), "change the setting as the message says")
    relevant = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    shown = ", ".join(f"{k}={v!r}" for k, v in settings.items()) or "defaults"
    if relevant:
        return DoctorCheck("tool", title, "warn", f"{shown}: {relevant[0]}", "see the warning")
    return DoctorCheck("tool", title, "pass", f"{shown} are valid for {model}")


def _headers(f: DoctorFacts) -> DoctorCheck:
    count = len(f.custom_headers)
    detail = (
        f"{count} custom headers per call ({', '.join(f.custom_headers)}); the service passes at most {HEADER_BUDGET}"
    )
    if count > HEADER_BUDGET:
        return DoctorCheck("headers", "header budget", "fail", detail, "send fewer custom headers (HTTP 431 otherwise)")
    return DoctorCheck("headers", "header budget", "pass", detail)


def _region(f: DoctorFacts) -> DoctorCheck:
    title = "region and model support"
    parts = []
    if f.region:
        parts.append(f"served from {f.region}")
    for name in (f.model, f.image_deployment):
        found = _find(f, name)
        if found is not None:
            parts.append(f"{found.name}: {found.model_name} {found.model_version or ''} {found.sku or ''}".strip())
    if not parts:
        return DoctorCheck("region", title, "skip", "the service told neither its region nor the deployments")
    return DoctorCheck("region", title, "pass", "; ".join(parts))


def _generation(f: DoctorFacts) -> DoctorCheck:
    title = "one low-quality generation (paid)"
    if f.generation is None:
        return DoctorCheck("generate", title, "skip", "not asked (--generate makes one low-quality image; it costs)")
    ok, detail = f.generation
    return DoctorCheck("generate", title, "pass" if ok else "fail", detail, "" if ok else "see the error and its hint")


def run_checks(facts: DoctorFacts) -> DoctorReport:
    """Every check, in the troubleshooting table's order."""
    checks = [_endpoint(facts), _reach(facts), _auth(facts)]
    if facts.is_project:
        checks.append(
            DoctorCheck(
                "deployments",
                "deployments listing",
                "pass" if facts.deployments is not None else "warn",
                facts.deployments_detail,
                "" if facts.deployments is not None else "the checks below go by names only",
            )
        )
    checks += _deployment_check(facts, "orchestrator")
    checks += _deployment_check(facts, "image")
    checks += [_names_differ(facts), _tool(facts), _headers(facts), _region(facts), _generation(facts)]
    return DoctorReport(tuple(checks))


def exit_code(report: DoctorReport) -> int:
    """0 when nothing failed, 1 otherwise."""
    return 0 if report.ok else 1


def render_text(report: DoctorReport) -> str:
    """One line per check (``PASS``/``WARN``/``FAIL``/``skip``), the fix indented under it."""
    lines = []
    for check in report.checks:
        mark = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "skip"}[check.status]
        lines.append(f"{mark}  {check.title}: {check.detail}")
        if check.fix and check.status in ("warn", "fail"):
            lines.append(f"      fix: {check.fix}")
    failed = sum(c.status == "fail" for c in report.checks)
    warned = sum(c.status == "warn" for c in report.checks)
    lines.append(f"{'ok' if report.ok else 'problems found'}: {failed} failed, {warned} warnings")
    return "\n".join(lines)


def identity_from_token(token: str) -> str | None:
    """Who a bearer token says it is (``upn``, ``unique_name``, ``appid`` or ``oid``), read without checking it."""
    import base64

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        return None
    if not isinstance(claims, Mapping):
        return None
    for key, label in (("upn", "user"), ("unique_name", "user"), ("appid", "app"), ("oid", "object")):
        value = claims.get(key)
        if isinstance(value, str) and value:
            tenant = claims.get("tid")
            return f"{label} {value}" + (f" in tenant {tenant}" if isinstance(tenant, str) else "")
    return None
