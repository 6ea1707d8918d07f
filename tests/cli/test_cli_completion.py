"""`foundry-imagegen completion bash|zsh|fish`: scripts generated from the parser by shtab."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys

import pytest

from foundry_imagegen.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o"), ("zsh", "#compdef foundry-imagegen"), ("fish", "complete -c foundry-imagegen")],
)
def test_scripts_for_each_shell(shell: str, marker: str) -> None:
    pytest.importorskip("shtab")
    code, out, err = run("completion", shell)
    assert code == 0, err
    assert marker in out and "emulator" in out and "--image-deployment" in out


def test_without_shtab_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "shtab", None)
    code, out, err = run("completion", "bash")
    assert (code, out) == (2, "")
    assert "foundry-imagegen[cli]" in err


def test_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["completion", "tcsh"])
    assert done.value.code == 2 and "invalid choice" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_commands_actions_and_choices() -> None:
    pytest.importorskip("shtab")
    _, script, _ = run("completion", "bash")

    def complete(*words: str) -> list[str]:
        probe = (
            f"{script}\nCOMP_WORDS=(foundry-imagegen {' '.join(repr(w) for w in words)}); "
            f'COMP_CWORD={len(words)}; _shtab_foundry_imagegen; echo "${{COMPREPLY[@]}}"'
        )
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True, timeout=30)
        return done.stdout.split()

    assert complete("gen") == ["generate"]
    assert complete("emulator", "") == ["start", "status", "stop"]
    assert complete("generate", "--quality", "") == [
        "low",
        "medium",
        "high",
        "xhigh",
        "max",
        "auto",
    ]  # xhigh, max: gpt-image-2.5+
