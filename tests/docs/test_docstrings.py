"""What ``help()`` and IDEs show: every public method of the clients documents each of its parameters."""

from __future__ import annotations

import inspect
import pydoc

import pytest

import foundry_imagegen as fi

CLASSES = [
    fi.FoundryClient,
    fi.AsyncFoundryClient,
    fi.Agents,
    fi.AsyncAgents,
    fi.Files,
    fi.AsyncFiles,
    fi.ImageStream,
    fi.AsyncImageStream,
]


def _public_methods() -> list[tuple[str, object]]:
    found = []
    for cls in CLASSES:
        for name, member in inspect.getmembers(cls):
            if (name.startswith("_") and name != "__init__") or isinstance(member, property):
                continue
            if not callable(member) or getattr(member, "__qualname__", "").split(".")[0] == "object":
                continue
            if name == "__init__" and member is object.__init__:
                continue
            found.append((f"{cls.__name__}.{name}", member))
    return found


@pytest.mark.parametrize(("name", "method"), _public_methods(), ids=[n for n, _ in _public_methods()])
def test_every_parameter_is_documented(name: str, method: object) -> None:
    doc = inspect.getdoc(method) or ""
    assert doc.strip(), f"{name} has no docstring"
    params = [p for p in inspect.signature(method).parameters if p not in ("self", "cls")]  # type: ignore[arg-type]
    if not params:
        return
    assert "Args:" in doc, f"{name} has parameters but no Args: section"
    for param in params:
        assert f"{param}:" in doc or f"**{param}:" in doc, f"{name} does not document {param!r}"


@pytest.mark.parametrize("cls", [fi.FoundryClient, fi.AsyncFoundryClient], ids=lambda c: c.__name__)
def test_help_reads_well(cls: type) -> None:
    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)  # type: ignore[attr-defined]  # not in typeshed
    assert "Initialize self" not in text
    assert "object at 0x" not in text
    assert "timeout: 'float | httpx.Timeout | ClientDefault | None' = <client default>" in text
    assert "Args:" in text and "image_deployment:" in text
