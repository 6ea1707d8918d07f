"""Client configuration without I/O: endpoint forms, the https rule, credentials, token caching, env."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from ..exceptions import ConfigurationError
from .constants import (
    ENV_API_KEY,
    ENV_IMAGE_DEPLOYMENT,
    ENV_MODEL,
    ENV_OPENAI_ENDPOINT,
    ENV_PROJECT_ENDPOINT,
    OPENAI_V1_PATH,
    TOKEN_REFRESH_MARGIN,
)

__all__ = ["EndpointInfo", "TokenCache", "env_settings", "is_loopback", "resolve_endpoint", "shown_endpoint"]

EndpointKind = Literal["project", "resource", "base_url"]


@dataclass(frozen=True)
class EndpointInfo:
    """Where requests go: ``base_url`` ends in ``/openai/v1``; ``project_url`` is set for Foundry projects."""

    base_url: str
    kind: EndpointKind
    project_url: str | None
    loopback: bool

    @property
    def plain_http(self) -> bool:
        """Whether requests go out unencrypted (allowed for loopback only)."""
        return self.base_url.startswith("http://")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (the only place plain http may carry secrets).

    Only 127.0.0.0/8, ::1 and the exact name ``localhost``: a name like ``evil.localhost`` is resolved
    by whatever resolver the machine has, which need not keep it on this machine.
    """
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def shown_endpoint(endpoint: str) -> str:
    """``endpoint`` fit for an error message: no query, fragment or user info (they may hold a key)."""
    text = endpoint.strip().split("#", 1)[0]
    base, query_sep, _ = text.partition("?")
    scheme, sep, rest = base.partition("://")
    if sep:
        authority, slash, path = rest.partition("/")
        if "@" in authority:
            authority = "***@" + authority.rsplit("@", 1)[1]
        base = f"{scheme}://{authority}{slash}{path}"
    return base + ("?..." if query_sep else "")


def resolve_endpoint(endpoint: str) -> EndpointInfo:
    """Map the endpoint forms users copy from the portal to the ``.../openai/v1`` base URL.

    - Foundry project ``https://<res>.services.ai.azure.com/api/projects/<p>`` -> ``<that>/openai/v1``
    - Azure OpenAI resource ``https://<res>.openai.azure.com`` -> ``<that>/openai/v1``
    - a base URL already ending in ``/openai/v1`` is used as is.

    Example::

        resolve_endpoint("https://acme.services.ai.azure.com/api/projects/p1").base_url
    """
    if isinstance(endpoint, str) and endpoint.strip() and "://" not in endpoint:
        # Not echoed: a value with no scheme may well be a key passed in the wrong place.
        raise ConfigurationError(
            f"endpoint (a {len(endpoint)}-character value) is not a URL. Fix: pass your Foundry project endpoint, "
            "e.g. 'https://<resource>.services.ai.azure.com/api/projects/<project>' (is a key in the wrong place?)"
        )
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise ConfigurationError(
            f"endpoint={endpoint!r} is empty. Fix: pass your Foundry project endpoint, e.g. "
            "'https://<resource>.services.ai.azure.com/api/projects/<project>', or set "
            f"{ENV_PROJECT_ENDPOINT}"
        )
    shown = shown_endpoint(endpoint)
    try:
        url = httpx.URL(endpoint.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"endpoint={shown!r} is not a URL ({type(exc).__name__}). Fix: copy it from the portal"
        ) from None
    if url.scheme not in ("https", "http") or not url.host:
        raise ConfigurationError(
            f"endpoint={shown!r} needs an https:// scheme and a host. Fix: e.g. "
            "'https://<resource>.services.ai.azure.com/api/projects/<project>'"
        )
    if url.userinfo:
        raise ConfigurationError(
            "endpoint has a user name or password in it, which would show up in logs and errors. Fix: remove "
            "'user:password@' and pass credentials with credential= or api_key="
        )
    loopback = is_loopback(url.host)
    if url.scheme == "http" and not loopback:
        raise ConfigurationError(
            f"endpoint={shown!r} uses plain http, which would send your key or token in clear text. "
            "Fix: use https:// (plain http is allowed only for loopback, e.g. the local emulator)"
        )
    if url.query or url.fragment:
        raise ConfigurationError(
            f"endpoint={shown!r} has a query or fragment. Fix: pass only scheme, host and path; the v1 "
            "API needs no api-version"
        )
    path = url.path.rstrip("/")
    root = str(url.copy_with(path="/", query=None, fragment=None)).rstrip("/")
    if path.endswith(OPENAI_V1_PATH):
        project = path[: -len(OPENAI_V1_PATH)]
        project_url = root + project if "/api/projects/" in project else None
        return EndpointInfo(root + path, "base_url", project_url, loopback)
    parts = path.split("/")
    if len(parts) == 4 and parts[1] == "api" and parts[2] == "projects" and parts[3]:
        return EndpointInfo(root + path + OPENAI_V1_PATH, "project", root + path, loopback)
    if path in ("", "/openai"):
        return EndpointInfo(root + OPENAI_V1_PATH, "resource", None, loopback)
    raise ConfigurationError(
        f"endpoint={shown!r} has a path this client does not know ({path!r}). Fix: use the project "
        "endpoint 'https://<resource>.services.ai.azure.com/api/projects/<project>', the resource "
        "endpoint 'https://<resource>.openai.azure.com', or a base URL ending in /openai/v1"
    )


class TokenCache:
    """Decides when a bearer token must be fetched again; the shells only call ``get_token``.

    Refreshes ``TOKEN_REFRESH_MARGIN`` seconds before expiry, or at the credential's ``refresh_on``.

    Example::

        cache = TokenCache()
        cache.current(now=time.time()) or cache.store(credential.get_token(scope), now=time.time())
    """

    def __init__(self, margin: float = TOKEN_REFRESH_MARGIN) -> None:
        self._margin = margin
        self._token: str | None = None
        self._expires_on = 0.0
        self._refresh_on: float | None = None

    def __repr__(self) -> str:
        return f"TokenCache(cached={self._token is not None})"

    def current(self, *, now: float) -> str | None:
        """The cached token if it is still good at ``now``, else None."""
        if self._token is None:
            return None
        if self._refresh_on is not None and now >= self._refresh_on:
            return None
        if self._expires_on - now < self._margin:
            return None
        return self._token

    def store(self, access_token: Any, *, now: float) -> str:
        """Remember an ``AccessToken`` or ``AccessTokenInfo`` and return its token string."""
        token = getattr(access_token, "token", None)
        if not isinstance(token, str) or not token:
            raise ConfigurationError(
                "credential.get_token returned no token. Fix: check the credential (az login, managed "
                "identity, or environment variables for DefaultAzureCredential)"
            )
        self._token = token
        self._expires_on = float(getattr(access_token, "expires_on", now + 3600))
        refresh_on = getattr(access_token, "refresh_on", None)
        self._refresh_on = float(refresh_on) if refresh_on else None
        return token

    def invalidate(self) -> None:
        """Forget the token (after a 401), so the next request fetches a fresh one."""
        self._token = None


def env_settings(environ: Mapping[str, str], *, endpoint: str | None = None) -> dict[str, str | None]:
    """The ``from_env()`` settings found in ``environ`` (pure, so both shells and tests share it).

    An ``endpoint`` given by the caller makes the endpoint variables optional.
    """
    endpoint = endpoint or environ.get(ENV_PROJECT_ENDPOINT) or environ.get(ENV_OPENAI_ENDPOINT)
    if not endpoint:
        raise ConfigurationError(
            f"neither {ENV_PROJECT_ENDPOINT} nor {ENV_OPENAI_ENDPOINT} is set. Fix: export "
            f"{ENV_PROJECT_ENDPOINT}=https://<resource>.services.ai.azure.com/api/projects/<project>"
        )
    return {
        "endpoint": endpoint,
        "api_key": environ.get(ENV_API_KEY) or None,
        "model": environ.get(ENV_MODEL) or None,
        "image_deployment": environ.get(ENV_IMAGE_DEPLOYMENT) or None,
    }


def from_env_settings(environ: Mapping[str, str], overrides: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The constructor arguments ``from_env()`` uses, and whether a ``DefaultAzureCredential`` must be made.

    Keyword overrides win over the variables; an explicit ``credential`` or ``api_key`` replaces the key
    variable, so the two never clash.
    """
    found = env_settings(environ, endpoint=overrides.get("endpoint"))
    settings: dict[str, Any] = {k: v for k, v in found.items() if v is not None}
    if "credential" in overrides or "api_key" in overrides:
        settings.pop("api_key", None)
    settings.update(overrides)
    needs_credential = settings.get("api_key") is None and settings.get("credential") is None
    return settings, needs_credential


class Secret:
    """A string that never shows itself in repr or str (keys must not reach logs or tracebacks)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__
