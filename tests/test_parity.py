"""Sync/async parity for every public class that has both forms: names, parameters, defaults, docstrings."""

from __future__ import annotations

import inspect
import re

import pytest

import foundry_imagegen

#: The async words a docstring or name may differ by, and nothing else.
_ASYNC_WORDS = [
    (re.compile(r"\basync\s+(with|for|def)\b"), r"\1"),
    (re.compile(r"\bawait\s+"), ""),
    (re.compile(r"\bAsync([A-Z]\w*)"), r"\1"),
    (re.compile(r"\bazure\.identity\.aio\b"), "azure.identity"),
    (re.compile(r"\baclose\b"), "close"),
]
_NAME_PAIRS = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__", "__aiter__": "__iter__"}


def _sync_words(text: str | None) -> str:
    text = inspect.cleandoc(text or "")
    for pattern, replacement in _ASYNC_WORDS:
        text = pattern.sub(replacement, text)
    return text


def _pairs() -> list[tuple[type, type]]:
    pairs = []
    for name in foundry_imagegen.__all__:
        if name.startswith("Async"):
            async_cls = getattr(foundry_imagegen, name)
            sync_cls = getattr(foundry_imagegen, name.removeprefix("Async"))
            pairs.append((sync_cls, async_cls))
    return pairs


PAIRS = _pairs()


def _public(cls: type) -> dict[str, object]:
    names = {}
    for name in dir(cls):
        if name.startswith("_") and name not in ("__init__", *_NAME_PAIRS, *_NAME_PAIRS.values()):
            continue
        if (
            name in ("__init__",)
            and "__init__" not in vars(cls)
            and not any("__init__" in vars(b) for b in cls.__mro__[:-1])
        ):
            continue
        names[_NAME_PAIRS.get(name, name)] = inspect.getattr_static(cls, name)
    return names


def _shape(member: object) -> list[tuple[str, object, object]] | str:
    target = member.fget if isinstance(member, property) else member
    if isinstance(target, (classmethod, staticmethod)):
        target = target.__func__
    if not callable(target):
        return repr(target)
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return "<no signature>"
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


def test_every_async_class_has_a_sync_twin() -> None:
    names = {cls.__name__ for pair in PAIRS for cls in pair}
    assert {"FoundryClient", "Agents", "Files", "ImageStream"} <= names


@pytest.mark.parametrize(("sync_cls", "async_cls"), PAIRS, ids=lambda cls: cls.__name__)
def test_same_public_names(sync_cls: type, async_cls: type) -> None:
    assert set(_public(sync_cls)) == set(_public(async_cls))


@pytest.mark.parametrize(("sync_cls", "async_cls"), PAIRS, ids=lambda cls: cls.__name__)
def test_same_parameters_and_defaults(sync_cls: type, async_cls: type) -> None:
    sync_members, async_members = _public(sync_cls), _public(async_cls)
    for name, member in sync_members.items():
        assert _shape(member) == _shape(async_members[name]), f"{sync_cls.__name__}.{name}"


@pytest.mark.parametrize(("sync_cls", "async_cls"), PAIRS, ids=lambda cls: cls.__name__)
def test_same_docstrings_but_for_the_async_words(sync_cls: type, async_cls: type) -> None:
    assert _sync_words(sync_cls.__doc__) == _sync_words(async_cls.__doc__)
    sync_members, async_members = _public(sync_cls), _public(async_cls)
    for name, member in sync_members.items():
        sync_doc = getattr(member, "__doc__", None)
        async_doc = getattr(async_members[name], "__doc__", None)
        if isinstance(member, (classmethod, staticmethod)):
            sync_doc, async_doc = member.__func__.__doc__, async_members[name].__func__.__doc__  # type: ignore[attr-defined]
        assert _sync_words(sync_doc) == _sync_words(async_doc), f"{sync_cls.__name__}.{name}"


@pytest.mark.parametrize(("sync_cls", "async_cls"), PAIRS, ids=lambda cls: cls.__name__)
def test_io_is_awaited_on_the_async_side_only(sync_cls: type, async_cls: type) -> None:
    for name, member in _public(sync_cls).items():
        function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
        assert not inspect.iscoroutinefunction(function), f"{sync_cls.__name__}.{name} is async"
