"""The emulator's pytest fixtures without the SDK: ``foundry_emulator``, ``foundry_emulator_session``, factory.

The package registers :mod:`foundry_imagegen.pytest_plugin` (entry point ``pytest11``), which offers these
fixtures and ready clients (``foundry_client``, ``async_foundry_client``) and costs next to nothing in a
test run that uses none of them. This module is for suites that want the emulator alone, stdlib only, as
the emulator's own tests do: ``pytest -p foundry_imagegen.emulator.pytest_plugin``, or import the
fixtures into a ``conftest.py``.

Example::

    def test_keys(foundry_emulator_factory):
        emu = foundry_emulator_factory(api_keys=["secret"], stream_dialect="azure")
        assert emu.running
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pytest

from ._server import Emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "EmulatorFactory",
    "emulator_factory",
    "foundry_emulator",
    "foundry_emulator_factory",
    "foundry_emulator_session",
    "started_emulator",
]


class EmulatorFactory(Protocol):
    """Type of ``foundry_emulator_factory``: ``Emulator`` keyword arguments in, started emulator out."""

    def __call__(self, **kwargs: Any) -> Emulator: ...


def emulator_factory() -> Iterator[EmulatorFactory]:
    """The body of ``foundry_emulator_factory``: yields a factory, then stops what it started."""
    started: list[Emulator] = []

    def factory(**kwargs: Any) -> Emulator:
        emu = Emulator(**kwargs).start()
        started.append(emu)
        return emu

    try:
        yield factory
    finally:
        for emu in reversed(started):
            emu.stop()


def started_emulator() -> Iterator[Emulator]:
    """The body of ``foundry_emulator`` and ``foundry_emulator_session``: one started default emulator."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def foundry_emulator_factory() -> Iterator[EmulatorFactory]:
    """Start emulators with custom settings (``Emulator`` keyword arguments); all stop at teardown.

    Example::

        emu = foundry_emulator_factory(api_keys=["k"], stream_dialect="azure")
    """
    yield from emulator_factory()


@pytest.fixture
def foundry_emulator() -> Iterator[Emulator]:
    """A started :class:`~foundry_imagegen.emulator.Emulator` with default settings, new for each test.

    Example::

        foundry_emulator.inject("rate_limit", retry_after=0)
        FoundryClient(foundry_emulator.endpoint, api_key="any", model="gpt-5", image_deployment="gpt-image-2")
    """
    yield from started_emulator()


@pytest.fixture(scope="session")
def foundry_emulator_session() -> Iterator[Emulator]:
    """One started emulator shared by the whole test session: faster, but queued faults, stored
    responses, agents and recorded requests carry over between tests.

    Example::

        foundry_emulator_session.clear_requests()
    """
    yield from started_emulator()
