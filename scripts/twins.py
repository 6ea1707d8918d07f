"""Count hand-written lines in src/ that are mechanical twins of other hand-written lines.

A twin is what a sync/async pair looks like after a mechanical async->sync rewrite (drop ``async`` and
``await``, the ``Async`` prefix, ``aclose``/``aread``/``aiter_*`` to ``close``/``read``/``iter_*``): every
class or function that has async code is rewritten that way and compared with every other top-level class
or function of the hand-written modules; meaningful lines in runs of at least ``--run`` equal lines count.
Generated files (first line ``# Generated``) are skipped: they are made, not kept.
``make test`` fails when the count passes ``--max``.

Usage: ``python scripts/twins.py [--max 60] [--root src] [--show]``
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

REWRITE = [
    (re.compile(r"\basync\s+(def|with|for)\b"), r"\1"),
    (re.compile(r"\bawait\s+"), ""),
    (re.compile(r"\bAsync([A-Z]\w*)"), r"\1"),
    (re.compile(r"\baclose\b"), "close"),
    (re.compile(r"\baread\b"), "read"),
    (re.compile(r"\baiter_(\w+)"), r"iter_\1"),
    (re.compile(r"\b__a(enter|exit|iter)__\b"), r"__\1__"),
]
_TRIVIAL = re.compile(r"^[\s()\[\]{}:,.\"']*$|^(return|pass|else:|try:|finally:|raise|continue|break)$")


def _rewrite(line: str) -> str:
    for pattern, replacement in REWRITE:
        line = pattern.sub(replacement, line)
    return line


def _meaningful(line: str) -> bool:
    return bool(line) and not line.startswith("#") and not _TRIVIAL.match(line)


def _chunks(path: Path, root: Path) -> list[tuple[str, list[str]]]:
    """The top-level classes and functions of a module (and its other lines), as stripped lines."""
    chunks: list[tuple[str, list[str]]] = []
    name, current = f"{path.relative_to(root)}:<module>", []
    for raw in path.read_text().splitlines():
        match = re.match(r"(?:async\s+)?(?:class|def)\s+(\w+)", raw)
        if match:
            chunks.append((name, current))
            name, current = f"{path.relative_to(root)}:{match.group(1)}", []
        current.append(raw.strip())
    chunks.append((name, current))
    return [(n, lines) for n, lines in chunks if lines]


def _is_async(lines: list[str]) -> bool:
    return any(re.search(r"\basync\s+(def|with|for)\b|\bawait\b|^class Async", line) for line in lines)


def twins(root: Path, run: int) -> list[tuple[str, str, int]]:
    """(async chunk, twin chunk, twin lines) for every pair that shares lines after the rewrite."""
    files = [p for p in sorted(root.rglob("*.py")) if not p.read_text().startswith("# Generated")]
    chunks = [chunk for path in files for chunk in _chunks(path, root)]
    found = []
    for name, lines in chunks:
        if not _is_async(lines):
            continue
        left = [_rewrite(line) for line in lines]
        for other_name, other_lines in chunks:
            if other_name == name:
                continue
            right = [_rewrite(line) for line in other_lines] if _is_async(other_lines) else other_lines
            matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
            count = 0
            for block in matcher.get_matching_blocks():
                chunk = [line for line in left[block.a : block.a + block.size] if _meaningful(line)]
                if len(chunk) >= run:
                    count += len(chunk)
            if count:
                found.append((name, other_name, count))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent / "src"))
    parser.add_argument("--run", type=int, default=3, help="shortest run of equal lines that counts")
    parser.add_argument("--max", type=int, default=None, help="fail above this many twin lines")
    parser.add_argument("--show", action="store_true", help="list the pairs")
    args = parser.parse_args(argv)
    root = Path(args.root)
    pairs = twins(root, args.run)
    # Each pair is counted once: an async module against its twin (two async modules meet twice).
    seen: set[frozenset[str]] = set()
    total = 0
    for source, other, count in sorted(pairs, key=lambda item: -item[2]):
        key = frozenset((source, other))
        if key in seen:
            continue
        seen.add(key)
        total += count
        if args.show:
            print(f"{count:5d}  {source} ~ {other}")
    print(f"twin lines: {total}" + (f" (limit {args.max})" if args.max is not None else ""))
    if args.max is not None and total > args.max:
        print(f"twins: {total} hand-written twin lines, over {args.max}: generate the sync side", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
