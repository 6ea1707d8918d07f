"""pytest fixtures for testing code that uses foundry-imagegen, against the local emulator.

Registered through the ``pytest11`` entry point ``foundry_imagegen``, so installing the package makes
these fixtures available in every test suite (``-p no:foundry_imagegen`` turns them off). Importing this
module loads neither the emulator nor the SDK: they load when a test first asks for a fixture, so a
suite that uses none of them pays nothing measurable.

Fixtures:

- ``foundry_emulator``: a started :class:`~foundry_imagegen.emulator.Emulator`, new for each test.
- ``foundry_emulator_session``: one emulator shared by the whole session (state carries over).
- ``foundry_emulator_factory``: start emulators with custom settings; all stop at teardown.
- ``foundry_client``: a :class:`~foundry_imagegen.FoundryClient` bound to ``foundry_emulator``.
- ``async_foundry_client``: an :class:`~foundry_imagegen.AsyncFoundryClient` bound to ``foundry_emulator``;
  a plain (sync) fixture, so it works with pytest-asyncio (strict or auto mode) and with anyio alike.
- ``foundry_client_factory``: ``FoundryClient`` keyword arguments in, a client of ``foundry_emulator`` out.

The clients use ``FOUNDRY_CLIENT_DEFAULTS`` (an API key the emulator does not check, and deployments it
has). To share one emulator across all tests, override ``foundry_emulator`` in your ``conftest.py``::

    @pytest.fixture
    def foundry_emulator(foundry_emulator_session):
        return foundry_emulator_session

Example::

    def test_poster(foundry_client, foundry_emulator):
        foundry_emulator.inject("rate_limit", retry_after=0)  # the first attempt gets a 429, the retry works
        assert foundry_client.generate("a jazz poster").image.format == "png"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._shell._async.client import AsyncFoundryClient
    from ._shell._sync.client import FoundryClient
    from .emulator import Emulator
    from .emulator.pytest_plugin import EmulatorFactory

__all__ = [
    "FOUNDRY_CLIENT_DEFAULTS",
    "ClientFactory",
    "async_foundry_client",
    "foundry_client",
    "foundry_client_factory",
    "foundry_emulator",
    "foundry_emulator_factory",
    "foundry_emulator_session",
]

#: What the client fixtures pass to the constructor (a factory's keyword arguments win).
FOUNDRY_CLIENT_DEFAULTS: dict[str, Any] = {"api_key": "emulator", "model": "gpt-5", "image_deployment": "gpt-image-2"}


class ClientFactory(Protocol):
    """Type of ``foundry_client_factory``: ``FoundryClient`` keyword arguments in, client out."""

    def __call__(self, **kwargs: Any) -> FoundryClient: ...


@pytest.fixture
def foundry_emulator_factory() -> Iterator[EmulatorFactory]:
    """Start emulators with custom settings (``Emulator`` keyword arguments); all stop at teardown.

    Example::

        emu = foundry_emulator_factory(api_keys=["k"], stream_dialect="azure")
    """
    from .emulator.pytest_plugin import emulator_factory

    yield from emulator_factory()


@pytest.fixture
def foundry_emulator() -> Iterator[Emulator]:
    """A started emulator with default settings, new for each test (so no state leaks between tests).

    Example::

        foundry_emulator.inject("content_filter")
        assert foundry_emulator.last_request() is None
    """
    from .emulator.pytest_plugin import started_emulator

    yield from started_emulator()


@pytest.fixture(scope="session")
def foundry_emulator_session() -> Iterator[Emulator]:
    """One started emulator for the whole session: faster, but queued faults, stored responses, agents,
    files and recorded requests carry over between tests.

    Example::

        foundry_emulator_session.clear_requests()
    """
    from .emulator.pytest_plugin import started_emulator

    yield from started_emulator()


@pytest.fixture
def foundry_client_factory(foundry_emulator: Emulator) -> Iterator[ClientFactory]:
    """Build ``FoundryClient``s of ``foundry_emulator`` with your keyword arguments; all close at teardown.

    Example::

        client = foundry_client_factory(max_retries=0, image_deployment="gpt-image-1-mini")
    """
    from ._shell._sync.client import FoundryClient

    made: list[FoundryClient] = []

    def factory(**kwargs: Any) -> FoundryClient:
        client = FoundryClient(foundry_emulator.endpoint, **{**FOUNDRY_CLIENT_DEFAULTS, **kwargs})
        made.append(client)
        return client

    try:
        yield factory
    finally:
        for client in made:
            client.close()


@pytest.fixture
def foundry_client(foundry_client_factory: ClientFactory) -> FoundryClient:
    """A ``FoundryClient`` of ``foundry_emulator`` (API key, ``model="gpt-5"``, ``image_deployment="gpt-image-2"``).

    Example::

        result = foundry_client.generate("a red fox in fresh snow")
        assert result.image.format == "png"
    """
    return foundry_client_factory()


@pytest.fixture
def async_foundry_client(foundry_emulator: Emulator) -> Iterator[AsyncFoundryClient]:
    """An ``AsyncFoundryClient`` of ``foundry_emulator``, for async tests under pytest-asyncio or anyio.

    The fixture itself is synchronous, so it needs no event loop of its own and works with either
    runner in any mode. Its connections are not kept alive between requests, so nothing is left bound
    to the test's event loop when the test ends; ``async with async_foundry_client as client:`` is
    allowed but not needed.

    Example::

        @pytest.mark.asyncio  # or @pytest.mark.anyio
        async def test_koi(async_foundry_client):
            result = await async_foundry_client.generate("a koi pond, ukiyo-e")
            assert result.image.data
    """
    import asyncio

    import httpx

    from ._shell._async.client import AsyncFoundryClient

    http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0), follow_redirects=False)
    client = AsyncFoundryClient(foundry_emulator.endpoint, http_client=http, **FOUNDRY_CLIENT_DEFAULTS)
    try:
        yield client
    finally:
        # No connection outlives its request, so closing does no I/O and can run on a private loop
        # (not asyncio.run, which would replace the current loop that pytest-asyncio may have set).
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(_close_async(client, http))
        finally:
            loop.close()


async def _close_async(client: AsyncFoundryClient, http: Any) -> None:
    await client.close()
    await http.aclose()
