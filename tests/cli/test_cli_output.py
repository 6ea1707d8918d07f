"""Output names (-o picks the format, -o - is stdout) and the --json summary."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from foundry_imagegen.cli import main
from foundry_imagegen.cli.commands import output_format
from foundry_imagegen.emulator import Emulator
from foundry_imagegen.exceptions import ConfigurationError

pytestmark = pytest.mark.e2e


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def service(emu: Emulator) -> list[str]:
    return ["--endpoint", emu.endpoint, "--api-key", "k", "--model", "gpt-4.1", "--image-deployment", "gpt-image-1"]


@pytest.mark.parametrize(
    ("output", "flag", "expected"),
    [
        ("fox.jpg", None, "jpeg"),
        ("fox.JPEG", None, "jpeg"),
        ("fox.webp", None, "webp"),
        ("fox.png", None, "png"),
        ("fox", None, None),
        ("fox", "webp", "webp"),
        ("fox.jpg", "jpeg", "jpeg"),
        ("-", None, None),
        ("-", "jpeg", "jpeg"),
    ],
)
def test_output_format_from_the_extension(output: str, flag: str | None, expected: str | None) -> None:
    assert output_format(output, flag) == expected


def test_output_format_conflict_says_how_to_fix() -> None:
    with pytest.raises(ConfigurationError) as info:
        output_format("out/fox.jpg", "png")
    message = str(info.value)
    assert "-o out/fox.jpg names a jpeg file but --format asks for png" in message
    assert "Fix: drop --format" in message and "fox.png" in message
    with pytest.raises(ConfigurationError, match=r"not bmp\. Fix: name the file fox\.png"):
        output_format("fox.bmp", None)
    assert output_format("fox.gif", None) == "gif"  # an output format since gpt-image-2.6


def test_jpg_name_asks_for_jpeg(tmp_path: Path, foundry_emulator: Emulator) -> None:
    pytest.importorskip("PIL")
    code, out, err = run("generate", "a fox", "-o", str(tmp_path / "fox.jpg"), *service(foundry_emulator))
    assert (code, out) == (0, f"{tmp_path / 'fox.jpg'}\n"), err
    assert (tmp_path / "fox.jpg").read_bytes().startswith(b"\xff\xd8")
    assert foundry_emulator.requests[-1].json["tools"][0]["output_format"] == "jpeg"


def test_conflicting_format_exits_2_before_sending(tmp_path: Path, foundry_emulator: Emulator) -> None:
    code, out, err = run(
        "generate", "a fox", "-o", str(tmp_path / "fox.jpg"), "--format", "png", *service(foundry_emulator)
    )
    assert (code, out) == (2, "")
    assert "--format asks for png" in err and "Fix:" in err and foundry_emulator.requests == []


def test_jpeg_in_the_emulator_without_pillow_names_the_extra(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now raises ImportError
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    code, out, err = run("generate", "a fox", "-o", str(tmp_path / "fox.webp"), "--emulator")
    assert (code, out) == (2, "")
    assert "foundry-imagegen[pillow]" in err and "--format png" in err
    assert list(tmp_path.iterdir()) == []


class _Stdout(io.TextIOWrapper):
    """A text stdout over bytes, like sys.stdout when redirected to a file."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8")

    def isatty(self) -> bool:
        return False


def test_dash_writes_the_image_to_stdout(tmp_path: Path, foundry_emulator: Emulator) -> None:
    out, err = _Stdout(), io.StringIO()
    code = main(["generate", "a fox", "-o", "-", *service(foundry_emulator)], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    out.flush()
    data = out.buffer.getvalue()  # type: ignore[attr-defined]
    assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
    assert "wrote stdout (1024x1024 png" in err.getvalue()
    assert list(tmp_path.iterdir()) == []


def test_dash_stream_writes_only_the_final_image(foundry_emulator: Emulator) -> None:
    out, err = _Stdout(), io.StringIO()
    argv = ["generate", "a fox", "-o", "-", "--stream", "--partial-images", "2", *service(foundry_emulator)]
    assert main(argv, stdout=out, stderr=err) == 0, err.getvalue()
    out.flush()
    data = out.buffer.getvalue()  # type: ignore[attr-defined]
    assert data.count(b"\x89PNG") == 1 and "2 partial images" in err.getvalue()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [(["--json"], "drop --json"), (["--stream", "--save-partials"], "-o - is no file")],
)
def test_dash_refuses_what_needs_a_file_or_stdout(foundry_emulator: Emulator, extra: list[str], needle: str) -> None:
    code, out, err = run("generate", "a fox", "-o", "-", *extra, *service(foundry_emulator))
    assert (code, out) == (2, "") and needle in err and foundry_emulator.requests == []


def test_dash_refuses_a_terminal(foundry_emulator: Emulator) -> None:
    class Terminal(_Stdout):
        def isatty(self) -> bool:
            return True

    err = io.StringIO()
    code = main(["generate", "a fox", "-o", "-", *service(foundry_emulator)], stdout=Terminal(), stderr=err)
    assert code == 2 and "redirect stdout" in err.getvalue()


def test_json_has_paths_ids_usage_and_timings(tmp_path: Path, foundry_emulator: Emulator) -> None:
    code, out, err = run(
        "generate",
        "a koi pond",
        "-o",
        str(tmp_path / "koi.png"),
        "--stream",
        "--partial-images",
        "2",
        "--save-partials",
        "--json",
        *service(foundry_emulator),
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["path"] == str(tmp_path / "koi.png")
    assert summary["partials"] == [str(tmp_path / "koi.partial-0.png"), str(tmp_path / "koi.partial-1.png")]
    assert summary["response_id"].startswith("resp_") and summary["request_id"]
    assert summary["revised_prompt"]
    assert set(summary["usage"]) >= {"input_tokens", "output_tokens", "total_tokens"}
    assert "image_usage" in summary
    assert summary["stream"]["partial_images"] == 2 and summary["stream"]["events"] > 2
    timings = summary["timings"]
    assert 0 <= timings["first_event_s"] <= timings["first_partial_s"] <= timings["service_s"] <= timings["total_s"]
    assert summary["elapsed_s"] == timings["total_s"]


def test_json_carries_image_usage_when_the_result_has_it(tmp_path: Path, foundry_emulator: Emulator, monkeypatch):
    from foundry_imagegen._core.results import GenerationResult

    monkeypatch.setattr(GenerationResult, "image_usage", {"input_tokens": 7, "output_tokens": 272}, raising=False)
    code, out, err = run("generate", "x", "-o", str(tmp_path / "x.png"), "--json", *service(foundry_emulator))
    assert code == 0, err
    assert json.loads(out)["image_usage"] == {"input_tokens": 7, "output_tokens": 272}
