"""The public surface: sync/async parity, the package's exports, and a light import."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

import foundry_imagegen
from foundry_imagegen import AsyncFoundryClient, FoundryClient, exceptions

ASYNC_METHODS = {"edit", "generate", "create_response", "close", "diagnose"}


def public_members(cls: type) -> dict[str, object]:
    """Public methods (plain, class and static), as found on the class; properties are listed apart."""
    members = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, property):
            continue
        members[name] = getattr(cls, name)
    return members


def public_properties(cls: type) -> set[str]:
    return {
        name
        for name in dir(cls)
        if not name.startswith("_") and isinstance(inspect.getattr_static(cls, name), property)
    }


def shape(fn: Callable[..., Any]) -> list[tuple[str, inspect._ParameterKind, object]]:
    """Parameter names, kinds and defaults; annotations deliberately ignored."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def test_same_public_methods():
    sync_names = set(public_members(FoundryClient))
    async_names = set(public_members(AsyncFoundryClient))

    assert {"generate", "create_response", "close", "from_env"} <= sync_names
    assert sync_names == async_names


def test_same_public_properties():
    assert public_properties(FoundryClient) == public_properties(AsyncFoundryClient)
    assert {"base_url", "model", "image_deployment", "is_closed"} <= public_properties(FoundryClient)


@pytest.mark.parametrize("name", sorted(public_members(FoundryClient)))
def test_same_signature(name):
    sync_fn = getattr(FoundryClient, name)
    async_fn = getattr(AsyncFoundryClient, name)

    assert shape(sync_fn) == shape(async_fn)


def test_same_constructor_signature():
    assert shape(FoundryClient.__init__) == shape(AsyncFoundryClient.__init__)


@pytest.mark.parametrize("name", sorted(public_members(FoundryClient)))
def test_coroutine_where_it_does_io(name):
    sync_fn = getattr(FoundryClient, name)
    async_fn = getattr(AsyncFoundryClient, name)

    assert not inspect.iscoroutinefunction(sync_fn)
    assert inspect.iscoroutinefunction(async_fn) == (name in ASYNC_METHODS)


def test_from_env_is_a_classmethod_on_both():
    for cls in (FoundryClient, AsyncFoundryClient):
        assert isinstance(inspect.getattr_static(cls, "from_env"), classmethod)


def test_context_manager_protocols():
    assert shape(FoundryClient.__exit__) == shape(AsyncFoundryClient.__aexit__)
    assert inspect.iscoroutinefunction(AsyncFoundryClient.__aenter__)
    assert inspect.iscoroutinefunction(AsyncFoundryClient.__aexit__)
    assert not hasattr(AsyncFoundryClient, "__enter__")
    assert not hasattr(FoundryClient, "__aenter__")


def test_all_matches_the_public_names():
    # dir() is what users and tab completion see; submodules (``exceptions``) are not exported names.
    exported = {
        name
        for name in dir(foundry_imagegen)
        if not name.startswith("_") and not isinstance(getattr(foundry_imagegen, name), types.ModuleType)
    }

    assert len(foundry_imagegen.__all__) == len(set(foundry_imagegen.__all__))
    assert set(foundry_imagegen.__all__) - {"__version__"} == exported
    for name in foundry_imagegen.__all__:
        assert getattr(foundry_imagegen, name) is not None


def test_every_exception_is_exported():
    assert set(exceptions.__all__) <= set(foundry_imagegen.__all__)
    for name in exceptions.__all__:
        assert getattr(foundry_imagegen, name) is getattr(exceptions, name)


def test_star_import_gives_all():
    namespace: dict[str, object] = {}
    exec("from foundry_imagegen import *", namespace)

    assert set(namespace) - {"__builtins__"} == set(foundry_imagegen.__all__)


def test_version_is_a_string():
    assert isinstance(foundry_imagegen.__version__, str)
    assert foundry_imagegen.__version__


def loaded_after(code: str) -> list[str]:
    probe = code + "; import sys; print('azure.core' in sys.modules, 'azure.identity' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split()


def test_import_does_not_load_azure():
    assert loaded_after("import foundry_imagegen") == ["False", "False"]


def test_an_api_key_client_does_not_load_azure():
    code = (
        "from foundry_imagegen import AsyncFoundryClient, FoundryClient, ImageGenerationTool; "
        "FoundryClient('https://acme.openai.azure.com', api_key='k', model='m').close()"
    )
    assert loaded_after(code) == ["False", "False"]


#: What a client built with an API key does not need until it checks, sends or traces a call.
DEFERRED_MODULES = (
    "foundry_imagegen._core.catalog",
    "foundry_imagegen._core.semconv",
    "foundry_imagegen._shell.tracing",
    "tenacity",
    "azure.identity",
)


def still_unloaded(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(name for name in {DEFERRED_MODULES!r} if name not in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split()


@pytest.mark.parametrize(
    "client",
    [
        "FoundryClient('https://acme.openai.azure.com', api_key='k', model='m').close()",
        "AsyncFoundryClient('https://acme.services.ai.azure.com/api/projects/p1', api_key='k', model='m')",
    ],
)
def test_import_and_construction_defer_the_catalog_tracing_and_retries(client: str):
    code = (
        "from foundry_imagegen import AsyncFoundryClient, FoundryClient, ImageGenerationTool\n"
        f"ImageGenerationTool(quality='low')\n{client}"
    )
    assert still_unloaded(code) == list(DEFERRED_MODULES)


def test_a_checked_tool_loads_the_catalog():
    # The lazy load must still happen: a named model is checked against the catalog on construction.
    code = "from foundry_imagegen import ImageGenerationTool\nImageGenerationTool(image_deployment='gpt-image-2')"
    assert "foundry_imagegen._core.catalog" not in still_unloaded(code)
