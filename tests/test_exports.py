"""The public surface is one list, checked against what the package really exports."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import typing
from pathlib import Path

import pytest

import foundry_imagegen

INIT = Path(foundry_imagegen.__file__)


def _type_checking_imports() -> set[str]:
    tree = ast.parse(INIT.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                if isinstance(child, ast.ImportFrom):
                    names.update(alias.asname or alias.name for alias in child.names)
    return names


def test_all_the_lazy_table_and_the_type_checking_imports_name_the_same_things() -> None:
    # Read from the source and the module's globals, not through __dir__ (which is built from __all__).
    lazy = set(vars(foundry_imagegen)["_LAZY"])
    public = set(foundry_imagegen.__all__) - {"__version__"}
    assert len(foundry_imagegen.__all__) == len(set(foundry_imagegen.__all__))
    assert public == lazy == _type_checking_imports()


@pytest.mark.parametrize("name", sorted(set(foundry_imagegen.__all__) - {"__version__"}))
def test_every_exported_name_resolves_from_where_the_table_says(name: str) -> None:
    module = importlib.import_module(vars(foundry_imagegen)["_LAZY"][name], "foundry_imagegen")
    assert getattr(foundry_imagegen, name) is getattr(module, name)


def _private_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(foundry_imagegen.__path__, "foundry_imagegen."):
        if ".emulator" in info.name or info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("module_name", _private_modules())
def test_module_all_is_true(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in getattr(module, "__all__", ()):
        assert hasattr(module, name), f"{module_name}.__all__ names {name!r}, which it does not define"


def _classes_in(hint: object) -> set[type]:
    found: set[type] = set()
    stack = [hint]
    while stack:
        item = stack.pop()
        if isinstance(item, type):
            found.add(item)
        stack.extend(typing.get_args(item))
    return found


#: Made by the client (``client.agents``, ``client.stream()``), never by users: their constructors are internal.
MADE_BY_THE_CLIENT = {
    "Agents",
    "AsyncAgents",
    "Files",
    "AsyncFiles",
    "ImageStream",
    "AsyncImageStream",
    "Conversations",
    "AsyncConversations",
    "BackgroundGeneration",
    "AsyncBackgroundGeneration",
}


def _public_callables() -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for name in foundry_imagegen.__all__:
        obj = getattr(foundry_imagegen, name)
        if not isinstance(obj, type) or issubclass(obj, BaseException):
            continue
        for attr in dir(obj):
            if attr.startswith("_") and (attr != "__init__" or name in MADE_BY_THE_CLIENT):
                continue
            member = inspect.getattr_static(obj, attr)
            function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            if inspect.isfunction(function) and function.__module__.startswith("foundry_imagegen"):
                out.append((f"{name}.{attr}", function))
    return out


@pytest.mark.parametrize(("label", "function"), _public_callables(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_public_method_takes_a_type_that_is_not_exported(label: str, function: object) -> None:
    from azure.core import credentials, credentials_async

    namespace = {n: getattr(foundry_imagegen, n) for n in foundry_imagegen.__all__}
    namespace.update(vars(credentials), **vars(credentials_async))
    import collections.abc
    import os
    from pathlib import Path

    from foundry_imagegen._core import agents, calls, inputs, results

    namespace["os"], namespace["Path"] = os, Path
    for module in (agents, inputs, results, calls, collections.abc):
        namespace.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    hints = typing.get_type_hints(function, globalns={**function.__globals__, **namespace})  # type: ignore[attr-defined]
    exported = [getattr(foundry_imagegen, n) for n in foundry_imagegen.__all__ if n != "__version__"]
    for param, hint in hints.items():
        if param == "return":
            continue
        for cls in _classes_in(hint):
            if cls.__module__.startswith("foundry_imagegen"):
                assert any(cls is e for e in exported), (
                    f"{label}({param}=...) takes {cls.__qualname__}, which is not exported"
                )
