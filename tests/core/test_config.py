"""Endpoint rules, loopback hosts, the token cache, settings from the environment and secrets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from foundry_imagegen import ConfigurationError
from foundry_imagegen._core.config import Secret, TokenCache, env_settings, is_loopback, resolve_endpoint


@pytest.mark.parametrize(
    ("endpoint", "base_url", "kind"),
    [
        (
            "https://acme.services.ai.azure.com/api/projects/p1",
            "https://acme.services.ai.azure.com/api/projects/p1/openai/v1",
            "project",
        ),
        (
            "https://acme.services.ai.azure.com/api/projects/p1/",
            "https://acme.services.ai.azure.com/api/projects/p1/openai/v1",
            "project",
        ),
        ("https://acme.openai.azure.com", "https://acme.openai.azure.com/openai/v1", "resource"),
        ("https://acme.openai.azure.com/openai/", "https://acme.openai.azure.com/openai/v1", "resource"),
        ("https://acme.openai.azure.com/openai/v1/", "https://acme.openai.azure.com/openai/v1", "base_url"),
        (
            "http://127.0.0.1:8080/api/projects/demo",
            "http://127.0.0.1:8080/api/projects/demo/openai/v1",
            "project",
        ),
        ("http://localhost:9", "http://localhost:9/openai/v1", "resource"),
        ("http://[::1]:9", "http://[::1]:9/openai/v1", "resource"),
    ],
)
def test_endpoint_forms(endpoint: str, base_url: str, kind: str) -> None:
    info = resolve_endpoint(endpoint)
    assert (info.base_url, info.kind) == (base_url, kind)


@pytest.mark.parametrize(
    ("endpoint", "needle"),
    [
        ("", "is empty"),
        ("http://acme.openai.azure.com", "plain http"),
        ("http://10.0.0.5/api/projects/p", "plain http"),
        ("ftp://acme.openai.azure.com", "https://"),
        ("https://acme.openai.azure.com/openai/v1?api-version=2025-04-01-preview", "query"),
        ("https://acme.openai.azure.com/something/else", "path this client does not know"),
        ("acme.openai.azure.com", "https://"),
    ],
)
def test_bad_endpoints(endpoint: str, needle: str) -> None:
    with pytest.raises(ConfigurationError, match="Fix:") as info:
        resolve_endpoint(endpoint)
    assert needle in str(info.value)


def test_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.8.9.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("10.0.0.1") and not is_loopback("example.com") and not is_loopback("localhost.evil.com")


def test_token_cache_refreshes_ahead_of_expiry() -> None:
    cache = TokenCache()
    assert cache.current(now=0) is None
    assert cache.store(SimpleNamespace(token="t1", expires_on=1000), now=0) == "t1"
    assert cache.current(now=699) == "t1"
    assert cache.current(now=701) is None  # within the 300 s margin
    cache.store(SimpleNamespace(token="t2", expires_on=5000, refresh_on=100), now=0)
    assert cache.current(now=99) == "t2" and cache.current(now=100) is None
    cache.invalidate()
    assert cache.current(now=0) is None and "t2" not in repr(cache)
    with pytest.raises(ConfigurationError, match="no token"):
        cache.store(SimpleNamespace(token=""), now=0)


def test_env_settings() -> None:
    env = {
        "AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com",
        "AZURE_OPENAI_API_KEY": "k",
        "AZURE_AI_MODEL_DEPLOYMENT_NAME": "gpt-4.1",
        "IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME": "gpt-image-1",
    }
    assert env_settings(env) == {
        "endpoint": "https://r.openai.azure.com",
        "api_key": "k",
        "model": "gpt-4.1",
        "image_deployment": "gpt-image-1",
    }
    project = {**env, "AZURE_AI_PROJECT_ENDPOINT": "https://a.services.ai.azure.com/api/projects/p"}
    assert env_settings(project)["endpoint"] == project["AZURE_AI_PROJECT_ENDPOINT"]
    with pytest.raises(ConfigurationError, match="AZURE_AI_PROJECT_ENDPOINT"):
        env_settings({})


def test_secret_hides_itself() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret) and secret.get() == "hunter2"
