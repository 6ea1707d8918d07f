"""Every script in examples/ runs to the end against the emulator, and the ones that touch images also
run without Pillow (its absence simulated: ``sys.modules["PIL"] = None`` makes every PIL import fail)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(path for path in EXAMPLES.glob("*.py") if not path.name.startswith("_"))
#: Examples whose code path changes without Pillow (masks, image checks): they run both ways.
PILLOW_MATTERS = {"agent_edit_flow.py"}

RUNNER = """
import runpy, sys
if sys.argv[1] == "without-pillow":
    sys.modules["PIL"] = None
script = sys.argv[2]
sys.argv = [script]
sys.path.insert(0, sys.argv[0].rsplit("/", 1)[0])
runpy.run_path(script, run_name="__main__")
"""

CASES = [(path, "with-pillow") for path in SCRIPTS] + [
    (path, "without-pillow") for path in SCRIPTS if path.name in PILLOW_MATTERS
]


def test_every_example_is_covered() -> None:
    assert {path.name for path in SCRIPTS} >= PILLOW_MATTERS
    assert len(SCRIPTS) >= 4


@pytest.mark.parametrize(("script", "pillow"), CASES, ids=[f"{p.stem}-{m}" for p, m in CASES])
def test_example_runs_against_the_emulator(script: Path, pillow: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IMAGE_GENERATION_"))}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, pillow, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "using the local emulator" in done.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written, "the example saved no image"
    for name in written:
        assert (tmp_path / "out" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
