"""``foundry-imagegen batch``: its parser, plain progress lines, --json, --merge, exit codes, rich or not."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from foundry_imagegen.cli import batch as cli_batch
from foundry_imagegen.cli.batch import add_parser, build_parser, run


class Stream:
    def __init__(self, tty: bool = False) -> None:
        self.text = ""
        self.tty = tty

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self.tty


def _prompts(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "prompts.txt"
    path.write_text("".join(f"{line}\n" for line in lines))
    return str(path)


def test_add_parser_registers_batch_on_a_main_parser() -> None:
    main = argparse.ArgumentParser(prog="foundry-imagegen")
    add_parser(main.add_subparsers(dest="command"))
    args = main.parse_args(
        [
            *("batch", "p.jsonl", "-o", "out", "--deployment", "a", "--deployment", "b", "--rpm", "9", "--rpm", "30"),
            *("--concurrency", "8", "--resume", "--shard", "1/4", "--json"),
        ]
    )
    assert args.command == "batch" and args.deployments == ["a", "b"] and args.rpm == [9.0, 30.0]
    assert (args.concurrency, args.resume, args.shard, args.json) == (8, True, "1/4", True)


def test_a_batch_on_the_emulator_prints_a_line_per_item_and_a_json_report(tmp_path: Path) -> None:
    prompts = _prompts(tmp_path, "a red fox", "a koi pond")
    out, err = Stream(), Stream()
    args = build_parser().parse_args([prompts, "-o", str(tmp_path / "o"), "--emulator", "--rpm", "6000", "--json"])
    assert run(args, stdout=out, stderr=err) == 0
    report = json.loads(out.text)
    assert report["done"] == 2 and report["ok"] is True
    lines = [line for line in err.text.splitlines() if line.startswith("[")]
    assert len(lines) == 2 and lines[-1].startswith("[2/2] done ")
    assert "gallery: " in err.text


def test_quiet_shows_only_the_summary(tmp_path: Path) -> None:
    err = Stream()
    args = build_parser().parse_args([_prompts(tmp_path, "a"), "-o", str(tmp_path / "o"), "--emulator", "-q"])
    args.rpm = [6000.0]
    assert run(args, stderr=err) == 0
    assert not any(line.startswith("[") for line in err.text.splitlines()) and "1/1 done" in err.text


def test_merge_rebuilds_the_report_from_the_journals(tmp_path: Path) -> None:
    outdir = tmp_path / "o"
    args = build_parser().parse_args([_prompts(tmp_path, "a", "b"), "-o", str(outdir), "--emulator", "-q"])
    args.rpm = [6000.0]
    assert run(args, stderr=Stream()) == 0
    (outdir / "summary.json").unlink()
    (outdir / "index.html").unlink()
    out = Stream()
    assert run(build_parser().parse_args(["--merge", "-o", str(outdir), "--json", "-q"]), stdout=out) == 0
    assert json.loads(out.text)["done"] == 2 and (outdir / "index.html").exists()


def test_a_failed_item_gives_status_1_and_a_stop_status_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from foundry_imagegen._core.batch import BatchReport

    assert cli_batch._exit_status(BatchReport(total=2, done=1, failed=1, pending=0)) == 1
    assert cli_batch._exit_status(BatchReport(total=2, done=1, failed=0, pending=1, stopped="auth")) == 3
    assert cli_batch._exit_status(BatchReport(total=2, done=2, failed=0, pending=0)) == 0


def test_without_prompts_or_with_a_bad_shard_it_says_the_fix(tmp_path: Path) -> None:
    err = Stream()
    assert run(build_parser().parse_args(["-o", str(tmp_path)]), stderr=err) == 2
    assert "no PROMPTS file" in err.text
    err = Stream()
    args = build_parser().parse_args([_prompts(tmp_path, "a"), "-o", str(tmp_path / "o"), "--emulator"])
    args.shard = "2/2"
    assert run(args, stderr=err) == 2 and "I/N" in err.text


def test_a_terminal_without_rich_falls_back_to_plain_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rich.console", None)  # as if rich were not installed
    display = cli_batch._Display(Stream(tty=True), plain=False, quiet=False)
    assert display.live is None


def test_eta_reads_as_minutes_or_hours() -> None:
    assert cli_batch._eta(None) == "?"
    assert cli_batch._eta(125) == "2m05s"
    assert cli_batch._eta(3 * 3600 + 60) == "3h01m"


def test_on_a_terminal_with_rich_a_live_panel_shows_progress(tmp_path: Path) -> None:
    pytest.importorskip("rich")
    err = Stream(tty=True)
    args = build_parser().parse_args([_prompts(tmp_path, "a", "b"), "-o", str(tmp_path / "o"), "--emulator"])
    args.rpm = [6000.0]
    assert run(args, stderr=err) == 0
    assert (
        "images/min" in err.text
        and "ETA" in err.text
        and not any(line.startswith("[1/") for line in err.text.splitlines())
    )
