"""Files (sniffing, atomic saves), retry decisions, endpoint rules and the token cache."""

from __future__ import annotations

import email.utils
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from foundry_imagegen import (
    APIConnectionError,
    ConfigurationError,
    ContentFilterError,
    GeneratedImage,
    RateLimitError,
    RetryPolicy,
    ServerError,
    ServiceError,
)
from foundry_imagegen._core.config import Secret, TokenCache, env_settings, is_loopback, resolve_endpoint
from foundry_imagegen._core.images import image_dimensions, sniff_format
from foundry_imagegen._core.retry import retry_after_seconds
from foundry_imagegen._shell.disk import atomic_write, target_path
from testkit import make_png

JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + bytes.fromhex(
    "ffc0001108002a0040030122000211010311 01".replace(" ", "")
)
WEBP_VP8X = (
    b"RIFF\x00\x00\x00\x00WEBPVP8X"
    + b"\x0a\x00\x00\x00"
    + b"\x00\x00\x00\x00"
    + (99).to_bytes(3, "little")
    + (49).to_bytes(3, "little")
)


def test_sniff_and_dimensions() -> None:
    assert sniff_format(make_png(3, 5)) == "png" and image_dimensions(make_png(3, 5)) == (3, 5)
    assert sniff_format(JPEG) == "jpeg" and image_dimensions(JPEG) == (64, 42)
    assert sniff_format(WEBP_VP8X) == "webp" and image_dimensions(WEBP_VP8X) == (100, 50)
    # GIF is an output format now (gpt-image-2.6); a header too short for its size has no dimensions.
    assert sniff_format(b"GIF89a") == "gif" and image_dimensions(b"GIF89a") is None
    assert sniff_format(b"BM6\x00") is None and image_dimensions(b"BM6\x00") is None
    assert image_dimensions(b"\x89PNG\r\n\x1a\n\x00") is None


@pytest.mark.parametrize(
    ("asked", "fmt", "expected"),
    [
        ("cat.png", "png", "cat.png"),
        ("cat", "png", "cat.png"),
        ("cat.v2", "jpeg", "cat.v2.jpg"),
        ("cat.JPEG", "jpeg", "cat.JPEG"),
        ("cat.jpg", "png", "cat.png"),
        ("cat.webp", "jpeg", "cat.jpg"),
        ("cat.gif", "webp", "cat.webp"),
    ],
)
def test_target_path_fixes_extensions(asked: str, fmt: str, expected: str) -> None:
    assert target_path(asked, fmt, fix_extension=True) == Path(expected)  # type: ignore[arg-type]


def test_target_path_can_refuse() -> None:
    with pytest.raises(ValueError, match=r"ends in \.jpg but the image is png"):
        target_path("cat.jpg", "png", fix_extension=False)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_never_clobbers_without_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "a.png"
    assert atomic_write(target, b"one", overwrite=False) == target
    with pytest.raises(FileExistsError, match="overwrite=True"):
        atomic_write(target, b"two", overwrite=False)
    assert target.read_bytes() == b"one"
    atomic_write(target, b"three", overwrite=True)
    assert target.read_bytes() == b"three" and leftovers(target.parent) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_saved_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = atomic_write(tmp_path / "a.png", b"x", overwrite=False)
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(tmp_path / "a.png", b"data", overwrite=False)
    assert list(tmp_path.iterdir()) == []


def test_generated_image_save(tmp_path: Path) -> None:
    image = GeneratedImage(id="ig_1", data=make_png(), format="png")
    written = image.save(tmp_path / "fox.jpg")
    assert written == tmp_path / "fox.png" and written.read_bytes() == image.data
    assert image.mime_type == "image/png" and not image.is_partial


def policy(**kwargs: object) -> RetryPolicy:
    return RetryPolicy(random=lambda: 0.0, **kwargs)  # type: ignore[arg-type]


def test_backoff_grows_and_caps() -> None:
    error = ServerError("boom", status=500)
    assert [policy(max_retries=6).wait_before_retry(error, n) for n in range(1, 7)] == [0.5, 1, 2, 4, 8, 8]
    assert RetryPolicy(random=lambda: 1.0).wait_before_retry(error, 1) == 0.375


def test_retry_decisions() -> None:
    p = policy(max_retries=2)
    assert p.wait_before_retry(RateLimitError("x", status=429, retry_after=7), 1) == 7
    assert p.wait_before_retry(RateLimitError("x", status=429, retry_after=121), 1) is None
    assert p.wait_before_retry(ServerError("x", status=500), 3) is None
    assert p.wait_before_retry(ServiceError("x", status=408), 1) == 0.5
    assert p.wait_before_retry(ServiceError("x", status=409), 1) == 0.5
    assert p.wait_before_retry(ServiceError("x", status=400), 1) is None
    assert p.wait_before_retry(ContentFilterError("x", status=400), 1) is None
    assert p.wait_before_retry(ServerError("x", status=500, should_retry=False), 1) is None
    assert p.wait_before_retry(ServiceError("x", status=400, should_retry=True), 1) == 0.5
    assert p.wait_before_retry(ServerError("x", status=200), 1) is None  # failed inside a 200: may be billed
    assert p.wait_before_retry(APIConnectionError("x"), 1) == 0.5
    assert p.wait_before_retry(APIConnectionError("x", retryable=False), 1) is None
    assert p.wait_before_retry(ValueError("x"), 1) is None
    with pytest.raises(ValueError, match="max_retries=-1"):
        RetryPolicy(max_retries=-1)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": email.utils.formatdate(1_000_030, usegmt=True)}, 30.0),
        ({"retry-after": email.utils.formatdate(999_000, usegmt=True)}, 0.0),
    ],
)
def test_retry_after_header_table(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers, now=1_000_000) == expected


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
