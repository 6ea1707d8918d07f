"""pytest plugin (registered through the ``pytest11`` entry point): emulator fixtures.

Example::

    def test_generate(foundry_emulator):
        client = FoundryImageClient(foundry_emulator.endpoint, api_key="k", image_deployment="gpt-image-1")
        ...

    def test_keys(foundry_emulator_factory):
        emu = foundry_emulator_factory(api_keys=["secret"], stream_dialect="azure")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pytest

from ._server import Emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["EmulatorFactory", "foundry_emulator", "foundry_emulator_factory"]


class EmulatorFactory(Protocol):
    """Type of ``foundry_emulator_factory``: ``Emulator`` keyword arguments in, started emulator out."""

    def __call__(self, **kwargs: Any) -> Emulator: ...


@pytest.fixture
def foundry_emulator_factory() -> Iterator[EmulatorFactory]:
    """Start emulators with custom settings; all of them are stopped at teardown.

    Example::

        emu = foundry_emulator_factory(api_keys=["k"], stream_dialect="azure")
    """
    started: list[Emulator] = []

    def factory(**kwargs: Any) -> Emulator:
        emu = Emulator(**kwargs).start()
        started.append(emu)
        return emu

    yield factory
    for emu in reversed(started):
        emu.stop()


@pytest.fixture
def foundry_emulator() -> Iterator[Emulator]:
    """A started :class:`Emulator` with default settings (stopped after the test).

    Example::

        FoundryClient(foundry_emulator.endpoint, api_key='any')
    """
    with Emulator() as emu:
        yield emu
