"""The pytest plugin as a user's suite sees it: fixtures, scopes, async runners, and what it costs unused."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

# Each suite runs in a fresh interpreter, as a user's does. The entry point (active when the package is
# installed) is blocked and the module named, so the runs are the same installed or not and never register
# the plugin twice.
PLUGIN_ARGS = ("-p", "no:foundry_imagegen", "-p", "foundry_imagegen.pytest_plugin", "-p", "no:cacheprovider")

USER_SUITE = """
import pytest
from foundry_imagegen import AsyncFoundryClient, FoundryClient, RateLimitError

ports = []

def test_client(foundry_client, foundry_emulator):
    assert isinstance(foundry_client, FoundryClient)
    result = foundry_client.generate("a red fox in fresh snow")
    assert result.image.format == "png" and result.image.data
    assert foundry_emulator.last_request().path.endswith("/openai/v1/responses")

def test_faults_reach_the_client(foundry_client_factory, foundry_emulator):
    client = foundry_client_factory(max_retries=0)
    foundry_emulator.inject("rate_limit", retry_after=0)
    with pytest.raises(RateLimitError):
        client.generate("a lighthouse")

def test_session_a(foundry_emulator_session):
    ports.append(foundry_emulator_session.port)

def test_session_b(foundry_emulator_session, foundry_emulator):
    ports.append(foundry_emulator_session.port)
    assert ports[0] == ports[1] != foundry_emulator.port

def test_factory(foundry_emulator_factory):
    emu = foundry_emulator_factory(api_keys=["k"], stream_dialect="azure", project="p2")
    assert emu.endpoint.endswith("/api/projects/p2")
"""

ASYNCIO_SUITE = """
import pytest
from foundry_imagegen import AsyncFoundryClient

@pytest.mark.asyncio
async def test_generate(async_foundry_client):
    assert isinstance(async_foundry_client, AsyncFoundryClient)
    result = await async_foundry_client.generate("a koi pond, ukiyo-e")
    assert result.image.data

@pytest.mark.asyncio
async def test_stream_in_a_with_block(async_foundry_client):
    async with async_foundry_client as client:
        async with client.stream("a balloon") as stream:
            result = await stream.final()
    assert result.image.data and client.is_closed
"""

ANYIO_SUITE = """
import pytest

@pytest.mark.anyio
async def test_generate(async_foundry_client):
    result = await async_foundry_client.generate("a koi pond, ukiyo-e")
    assert result.image.data

@pytest.mark.anyio
async def test_twice(async_foundry_client):
    for _ in range(2):
        assert (await async_foundry_client.generate("a fox")).image.data
"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"


def test_fixtures_in_a_users_suite(pytester: pytest.Pytester) -> None:
    # pytest-asyncio in strict mode leaves the anyio-marked tests to anyio's runner, so one run covers both.
    pytester.makeini(INI + "asyncio_mode = strict\n")
    pytester.makepyfile(test_sync=USER_SUITE, test_asyncio=ASYNCIO_SUITE, test_anyio=ANYIO_SUITE)
    pytester.runpytest_subprocess(*PLUGIN_ARGS).assert_outcomes(passed=9)


def test_async_client_under_pytest_asyncio_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "asyncio_mode = auto\n")
    pytester.makepyfile(ASYNCIO_SUITE.replace("@pytest.mark.asyncio\n", ""))
    pytester.runpytest_subprocess(*PLUGIN_ARGS).assert_outcomes(passed=2)


def test_the_entry_point_names_the_plugin() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="pytest11") if ep.value.startswith("foundry_imagegen")}
    if not found:
        pytest.skip("package not installed, so its pytest11 entry point is not registered")
    assert found == {"foundry_imagegen": "foundry_imagegen.pytest_plugin"}


def test_loading_the_plugin_loads_neither_the_emulator_nor_the_sdk() -> None:
    # What an unrelated suite pays: importing the plugin module next to pytest. Counted in modules, not
    # milliseconds (benchmarks time things; tests do not). Before it was lazy it loaded ~30 modules.
    code = (
        "import sys, pytest; before = set(sys.modules); import foundry_imagegen.pytest_plugin;"
        "print(sorted(set(sys.modules) - before))"
    )
    src = os.path.join(os.path.dirname(__file__), os.pardir, "src")
    env = {**os.environ, "PYTHONPATH": os.path.abspath(src)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "['foundry_imagegen', 'foundry_imagegen._version', 'foundry_imagegen.pytest_plugin']"
