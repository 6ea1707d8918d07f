"""Finds the code blocks of README.md and docs/**/*.md and what each is marked to do.

The convention (CONTRIBUTING.md, "Code blocks in the docs"): every ```` ```python ```` block runs, against a
fresh emulator, unless an HTML comment on the line just before it says otherwise:

- ``<!-- snippet: skip: REASON -->``: not run; the reason is required and shown in the test report.
- ``<!-- snippet: pytest -->``: the block is a test module; it runs under pytest with the package's plugin.

A block whose first line starts with ``>>>`` is a session: its statements run and an expected
``ExceptionName: message`` line must match what is raised. Blocks in other languages (sh, console, plain)
are not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>[^`]*)$")
MARK = re.compile(r"^\s*<!--\s*snippet:\s*(?P<kind>run|skip|pytest)\s*(?::\s*(?P<reason>.*?))?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    kind: str  # "run", "skip", "pytest" or "other" (not Python)
    reason: str = ""

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        language = opening["info"].strip().split(" ")[0].lower() if opening["info"].strip() else ""
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        code = "\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n"
        previous = lines[index - 1] if index > 0 else ""
        mark = MARK.match(previous)
        if mark is None and "snippet:" in previous:
            raise ValueError(f"{path.name}:{index}: unknown mark {previous.strip()!r} (run, skip: REASON, pytest)")
        if language not in ("python", "py", "pycon"):
            kind, reason = "other", ""
        elif mark:
            kind, reason = mark["kind"], (mark["reason"] or "").strip()
        else:
            kind, reason = "run", ""
        found.append(Block(path, index + 1, language, code, kind, reason))
        index = end + 1
    return found


def all_blocks() -> list[Block]:
    return [block for path in markdown_files() for block in blocks(path)]
