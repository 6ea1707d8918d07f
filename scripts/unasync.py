"""Write the sync shell from the async one, with a closed table of substitutions.

The async modules under ``src/foundry_imagegen/_shell/_async/`` are the source; their sync twins under
``_shell/_sync/`` are generated and never edited by hand. ``--check`` (run by ``make test``) fails when a
generated file differs from what this script writes, or when a rule of the table was never used (a rule
nobody needs is a rule nobody tests).

Usage: ``python scripts/unasync.py [--check]`` (with the dev tools installed: it runs ruff on its output).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src/foundry_imagegen/_shell/_async"
TARGET = ROOT / "src/foundry_imagegen/_shell/_sync"
#: Hand-written on both sides: they hold what truly differs (asyncio versus threads and time).
NOT_GENERATED = frozenset({"__init__.py", "_backend.py"})
HEADER = "# Generated from _shell/_async/{name} by scripts/unasync.py: do not edit; edit the source and run it.\n"

#: (pattern, replacement), applied in order to every line. Closed: anything else must read the same in
#: both shells, so the source is written that way.
RULES: list[tuple[str, str]] = [
    (r"\bAwaitable\[([\w.]+)\]", r"\1"),
    (r"\bAwaitable, ", ""),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsync([A-Z]\w*)", r"\1"),
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\bawait ", ""),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\baclose\b", "close"),
    (r"\baread\b", "read"),
    (r"\basave\b", "save"),
    (r"\baiter_(\w+)", r"iter_\1"),
    (r"\bazure\.identity\.aio\b", "azure.identity"),
    (r"\bazure\.core\.credentials_async\b", "azure.core.credentials"),
    (r"\bcontextlib\.asynccontextmanager\b", "contextlib.contextmanager"),
]
_COMPILED = [(re.compile(pattern), replacement) for pattern, replacement in RULES]


def unasync_text(text: str, used: set[int]) -> str:
    """The sync form of an async module's source; records in ``used`` which rules applied."""
    out = []
    for line in text.splitlines(keepends=True):
        for index, (pattern, replacement) in enumerate(_COMPILED):
            line, count = pattern.subn(replacement, line)
            if count:
                used.add(index)
        out.append(line)
    return "".join(out)


def _tidy(text: str, path: Path) -> str:
    # Sorted imports and the project's formatting, so the generated code passes the same lint as the rest.
    ruff = [sys.executable, "-m", "ruff"]
    stdin = ["--stdin-filename", str(path)]
    for command in (
        [*ruff, "check", "--select", "I", "--fix-only", "--quiet", *stdin, "-"],
        [*ruff, "format", *stdin, "-"],
    ):
        text = subprocess.run(command, input=text, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return text


def generate() -> dict[Path, str]:
    """Every generated file and the text it must hold."""
    used: set[int] = set()
    files = {}
    for source in sorted(SOURCE.glob("*.py")):
        if source.name in NOT_GENERATED:
            continue
        target = TARGET / source.name
        files[target] = _tidy(HEADER.format(name=source.name) + unasync_text(source.read_text(), used), target)
    unused = [RULES[index][0] for index in range(len(RULES)) if index not in used]
    if unused:
        raise SystemExit(f"unasync: rules never used (remove them or use them): {unused}")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a generated file is out of date")
    args = parser.parse_args(argv)
    files = generate()
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    expected = set(files) | {TARGET / name for name in NOT_GENERATED}
    strays = [path for path in TARGET.glob("*.py") if path not in expected]
    if args.check:
        for path in stale:
            print(f"unasync: {path.relative_to(ROOT)} is out of date: run python scripts/unasync.py", file=sys.stderr)
        for path in strays:
            print(f"unasync: {path.relative_to(ROOT)} has no async source", file=sys.stderr)
        return 1 if stale or strays else 0
    for path in stale:
        path.write_text(files[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
