"""The layers, held by reading imports: the core does no I/O, the emulator shares nothing with the SDK."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "foundry_imagegen"
CORE = sorted((PACKAGE / "_core").glob("*.py"))

#: Modules whose import means disk, clock, threads, event loops, retry loops or sockets.
FORBIDDEN = {"os", "pathlib", "time", "threading", "asyncio", "tenacity", "socket", "shutil", "tempfile", "subprocess"}
#: Names that are types, not I/O: allowed from the modules above.
TYPE_ONLY = {("os", "PathLike"), ("pathlib", "PurePath")}
#: httpx's sending surface; its data types (URL, Headers, Timeout) are fine in the core.
HTTPX_SENDING = {"Client", "AsyncClient", "get", "post", "put", "patch", "delete", "request", "stream", "HTTPTransport"}
#: The one sanctioned way out of the core: ``save()`` on a result hands its bytes to the shell's disk module.
ALLOWED_SHELL_IMPORTS = {("results.py", "_shell.disk")}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(path: Path) -> list[tuple[int, str, list[str], int]]:
    """(line, module, names, relative level) of every import outside ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_lines(tree)
    found: list[tuple[int, str, list[str], int]] = []
    for node in ast.walk(tree):
        if node.lineno in skip if hasattr(node, "lineno") else False:
            continue
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, [], 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, node.module or "", [alias.name for alias in node.names], node.level))
    return found


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_modules_do_no_io(path: Path) -> None:
    problems = []
    for line, module, names, level in _imports(path):
        top = module.split(".")[0]
        if level == 0 and top in FORBIDDEN and not all((top, name) in TYPE_ONLY for name in names or ["*"]):
            problems.append(f"line {line}: imports {module} {names or ''}")
        if level == 0 and top == "httpx" and set(names) & HTTPX_SENDING:
            problems.append(f"line {line}: imports httpx's sending API {names}")
        if level >= 2 and module.startswith("_shell") and (path.name, module) not in ALLOWED_SHELL_IMPORTS:
            problems.append(f"line {line}: reaches into the shell ({module})")
        if level == 0 and module.startswith("foundry_imagegen._shell"):
            problems.append(f"line {line}: reaches into the shell ({module})")
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        # httpx used by attribute (httpx.post(...)) is sending too.
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "httpx"
            and node.attr in HTTPX_SENDING
        ):
            problems.append(f"line {node.lineno}: calls httpx.{node.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
            problems.append(f"line {node.lineno}: opens a file")
    assert not problems, f"{path.name} must stay free of I/O:\n" + "\n".join(problems)


def test_core_imports_no_module_level_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for path in CORE:
        deps = set()
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only: deferred imports inside functions break cycles on purpose
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                deps.add(node.module.split(".")[0])
        graph[path.stem] = deps & {p.stem for p in CORE}

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            raise AssertionError("import cycle in _core: " + " -> ".join([*stack[stack.index(node) :], node]))
        for dep in graph.get(node, ()):
            visit(dep, [*stack, node])

    for module in graph:
        visit(module, [])


def test_the_emulator_imports_nothing_of_the_sdk() -> None:
    for path in sorted((PACKAGE / "emulator").rglob("*.py")):
        for line, module, _names, level in _imports(path):
            outside = (level >= 2) or (
                level == 0 and module.startswith("foundry_imagegen") and ".emulator" not in module
            )
            assert not outside, f"emulator/{path.name} line {line} imports {module!r} from the SDK"


def test_the_sync_shell_is_generated() -> None:
    for path in sorted((PACKAGE / "_shell" / "_sync").glob("*.py")):
        if path.name in ("__init__.py", "_backend.py"):
            continue
        assert path.read_text().startswith("# Generated from _shell/_async/"), f"{path.name} is not generated"
