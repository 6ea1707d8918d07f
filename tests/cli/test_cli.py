"""The foundry-imagegen command line, end to end against the emulator over loopback sockets."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from foundry_imagegen.cli import main
from foundry_imagegen.emulator import Emulator

pytestmark = pytest.mark.e2e


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_generate_with_in_process_emulator(tmp_path: Path) -> None:
    code, out, err = run("generate", "a red fox in snow", "-o", str(tmp_path / "fox.png"), "--emulator")
    assert code == 0, err
    assert out.strip() == str(tmp_path / "fox.png")
    assert (tmp_path / "fox.png").read_bytes().startswith(b"\x89PNG")
    assert "emulator" in err and "1024x1024 png" in err


def test_json_summary_and_tool_flags(tmp_path: Path) -> None:
    code, out, err = run(
        "generate",
        "a koi pond",
        "-o",
        str(tmp_path / "koi"),
        "--emulator",
        "--json",
        "--size",
        "1536x1024",
        "--quality",
        "low",
        "--background",
        "transparent",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["path"] == str(tmp_path / "koi.png")
    assert (summary["format"], summary["width"], summary["height"]) == ("png", 1536, 1024)
    assert summary["response_id"].startswith("resp_") and summary["request_id"]
    assert summary["bytes"] == (tmp_path / "koi.png").stat().st_size


def test_against_a_running_emulator_sends_the_flags(tmp_path: Path, foundry_emulator: Emulator) -> None:
    code, _, err = run(
        "generate",
        "a cat",
        "-o",
        str(tmp_path / "cat.png"),
        "--endpoint",
        foundry_emulator.endpoint,
        "--api-key",
        "k",
        "--orchestrator",
        "gpt-4o",
        "--deployment",
        "gpt-image-1-mini",
        "--quality",
        "medium",
        "--moderation",
        "low",
    )
    assert code == 0, err
    [request] = [r for r in foundry_emulator.requests if r.path.endswith("/responses")]
    assert request.headers["x-ms-oai-image-generation-deployment"] == "gpt-image-1-mini"
    assert request.headers["api-key"] == "***"
    assert request.json["model"] == "gpt-4o"
    assert request.json["tools"] == [
        {"type": "image_generation", "model": "gpt-image-1-mini", "quality": "medium", "moderation": "low"}
    ]


def test_env_variables_configure_the_service(
    tmp_path: Path, foundry_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_AI_PROJECT_ENDPOINT", foundry_emulator.endpoint)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "env-key")
    monkeypatch.setenv("AZURE_AI_MODEL_DEPLOYMENT_NAME", "gpt-4.1-mini")
    monkeypatch.setenv("IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME", "gpt-image-1")
    code, _, err = run("generate", "a cat", "-o", str(tmp_path / "cat.png"), "--emulator-if-unconfigured")
    assert code == 0, err
    assert "emulator" not in err  # configured, so the real (here: running) endpoint is used
    assert foundry_emulator.requests[-1].json["model"] == "gpt-4.1-mini"


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--compression", "80"], "--compression: output_compression=80 applies only to jpeg or webp"),
        (["--format", "jpeg", "--background", "transparent"], "--background: background='transparent'"),
        (["--size", "huge"], "--size: size='huge' is not a size"),
    ],
)
def test_bad_tool_flags_exit_2_before_any_request(tmp_path: Path, flags: list[str], needle: str) -> None:
    code, out, err = run("generate", "x", "-o", str(tmp_path / "x.png"), "--emulator", *flags)
    assert code == 2 and out == ""
    assert needle in err and "Fix:" in err
    assert not (tmp_path / "x.png").exists()


def test_no_endpoint_says_how_to_fix(tmp_path: Path) -> None:
    code, _, err = run("generate", "x", "-o", str(tmp_path / "x.png"))
    assert code == 2 and "--endpoint" in err and "--emulator" in err


@pytest.mark.parametrize(
    ("kind", "exit_code", "needle"),
    [
        ("content_filter", 5, "content_filter"),
        ("moderation_blocked", 5, "moderation_blocked"),
        ("text_only", 8, "without generating an image"),
        ("empty_result", 8, "empty result"),
    ],
)
def test_service_errors_map_to_exit_codes(
    tmp_path: Path, foundry_emulator: Emulator, kind: str, exit_code: int, needle: str
) -> None:
    foundry_emulator.inject(kind)
    code, out, err = run(
        "generate",
        "x",
        "-o",
        str(tmp_path / "x.png"),
        "--endpoint",
        foundry_emulator.endpoint,
        "--api-key",
        "k",
        "--orchestrator",
        "gpt-4.1",
        "--deployment",
        "gpt-image-1",
    )
    assert (code, out) == (exit_code, "")
    assert needle in err and "Hint:" in err
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temp file


def test_auth_failure_never_prints_the_key(tmp_path: Path, foundry_emulator_factory) -> None:
    emu = foundry_emulator_factory(api_keys=["right-key"])
    code, out, err = run(
        "generate",
        "x",
        "-o",
        str(tmp_path / "x.png"),
        "--endpoint",
        emu.endpoint,
        "--api-key",
        "wrong-key-123",
        "--orchestrator",
        "gpt-4.1",
        "--deployment",
        "gpt-image-1",
    )
    assert code == 3 and "wrong-key-123" not in out + err and "Foundry User" in err


def test_missing_deployment_and_unknown_deployment(tmp_path: Path, foundry_emulator: Emulator) -> None:
    base = [
        "generate",
        "x",
        "-o",
        str(tmp_path / "x.png"),
        "--endpoint",
        foundry_emulator.endpoint,
        "--api-key",
        "k",
        "--orchestrator",
        "gpt-4.1",
    ]
    code, _, err = run(*base)
    assert code == 2 and "x-ms-oai-image-generation-deployment" in err
    code, _, err = run(*base, "--deployment", "no-such-images")
    assert code == 4 and "does not exist" in err


def test_existing_file_is_kept_and_nothing_is_sent(tmp_path: Path, foundry_emulator: Emulator) -> None:
    target = tmp_path / "x.png"
    target.write_bytes(b"mine")
    for extra in ([], ["--stream"]):
        code, _, err = run("generate", "x", "-o", str(target), *_service(foundry_emulator), *extra)
        assert code == 2 and "--overwrite" in err and target.read_bytes() == b"mine"
    (tmp_path / "y.partial-0.png").write_bytes(b"mine")
    code, _, err = run(
        "generate", "x", "-o", str(tmp_path / "y.png"), "--stream", "--save-partials", *_service(foundry_emulator)
    )
    assert code == 2 and "y.partial-0.png exists" in err
    assert foundry_emulator.requests == []  # refused before a paid generation


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "foundry_imagegen", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("foundry-imagegen ")


def test_stream_saves_partials_and_reports_progress(tmp_path: Path) -> None:
    code, _out, err = run(
        "generate",
        "a koi pond",
        "-o",
        str(tmp_path / "koi.png"),
        "--emulator",
        "--stream",
        "--partial-images",
        "2",
        "--save-partials",
    )
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["koi.partial-0.png", "koi.partial-1.png", "koi.png"]
    assert "2 partial images" in err


def test_stream_without_partials_flag_asks_for_one(tmp_path: Path, foundry_emulator: Emulator) -> None:
    code, _, err = run(
        "generate",
        "x",
        "-o",
        str(tmp_path / "x.png"),
        "--endpoint",
        foundry_emulator.endpoint,
        "--api-key",
        "k",
        "--orchestrator",
        "gpt-4.1",
        "--deployment",
        "gpt-image-1",
        "--stream",
        "--json",
    )
    assert code == 0, err
    [request] = foundry_emulator.requests
    assert request.json["stream"] is True and request.json["tools"][0]["partial_images"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


def test_save_partials_needs_stream(tmp_path: Path) -> None:
    code, _, err = run("generate", "x", "-o", str(tmp_path / "x.png"), "--emulator", "--save-partials")
    assert code == 2 and "--stream" in err


def test_stream_fault_exits_7_and_writes_nothing(tmp_path: Path, foundry_emulator: Emulator) -> None:
    foundry_emulator.inject("stream_drop", after=4)
    code, _, err = run(
        "generate",
        "x",
        "-o",
        str(tmp_path / "x.png"),
        "--endpoint",
        foundry_emulator.endpoint,
        "--api-key",
        "k",
        "--orchestrator",
        "gpt-4.1",
        "--deployment",
        "gpt-image-1",
        "--stream",
    )
    assert code == 7 and "nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def test_emulator_command_serves_until_stopped() -> None:
    import httpx

    proc = subprocess.Popen(
        [sys.executable, "-m", "foundry_imagegen", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:") and line.endswith("/api/projects/demo")
        endpoint = line.split(" ", 1)[1]
        root = endpoint.split("/api/")[0]
        assert httpx.get(root + "/health", timeout=5).json() == {"status": "ok"}
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # also closes the pipes
    assert proc.returncode == 0


def _service(emu: Emulator) -> list[str]:
    return ["--endpoint", emu.endpoint, "--api-key", "k", "--orchestrator", "gpt-4.1", "--deployment", "gpt-image-1"]


def test_edit_with_mask_changes_only_the_masked_area(tmp_path: Path, foundry_emulator: Emulator) -> None:
    from PIL import Image, ImageChops

    code, _, err = run("generate", "a cottage", "-o", str(tmp_path / "in.png"), *_service(foundry_emulator))
    assert code == 0, err
    mask = Image.new("RGBA", (1024, 1024), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 512, 512))
    mask.save(tmp_path / "mask.png")
    code, out, err = run(
        "edit",
        "make it night",
        "--image",
        str(tmp_path / "in.png"),
        "--mask",
        str(tmp_path / "mask.png"),
        "-o",
        str(tmp_path / "out.png"),
        "--json",
        *_service(foundry_emulator),
    )
    assert code == 0, err
    assert json.loads(out)["edited_via"] == "input_image"
    before = Image.open(tmp_path / "in.png").convert("RGB")
    after = Image.open(tmp_path / "out.png").convert("RGB")
    diff = ImageChops.difference(before, after)
    assert diff.crop((512, 0, 1024, 1024)).getbbox() is None and diff.crop((0, 512, 512, 1024)).getbbox() is None
    assert diff.crop((0, 0, 512, 512)).getbbox() is not None
    [_, edit] = [r for r in foundry_emulator.requests if r.path.endswith("/responses")]
    assert edit.json["tools"][0]["input_image_mask"]["image_url"].startswith("data:image/png;base64,")


def test_edit_refuses_a_mask_of_another_size_before_sending(tmp_path: Path, foundry_emulator: Emulator) -> None:
    from PIL import Image

    Image.new("RGB", (64, 64)).save(tmp_path / "in.png")
    Image.new("RGBA", (32, 32)).save(tmp_path / "mask.png")
    code, _, err = run(
        "edit",
        "x",
        "--image",
        str(tmp_path / "in.png"),
        "--mask",
        str(tmp_path / "mask.png"),
        "-o",
        str(tmp_path / "out.png"),
        *_service(foundry_emulator),
    )
    assert code == 2 and "mask is 32x32 but the image is 64x64" in err
    assert foundry_emulator.requests == []


def test_agent_create_list_generate_delete(tmp_path: Path, foundry_emulator: Emulator) -> None:
    code, out, err = run(
        "agent",
        "create",
        "poster-artist",
        "--quality",
        "low",
        "--instructions",
        "Bold posters.",
        *_service(foundry_emulator),
    )
    assert (code, out) == (0, "created agent poster-artist version 1\n"), err
    code, out, _ = run("agent", "list", *_service(foundry_emulator))
    assert out == "poster-artist\tlatest version 1\n"
    code, out, _ = run("agent", "list", "poster-artist", "--json", *_service(foundry_emulator))
    [version] = json.loads(out)
    assert version["definition"]["tools"] == [{"type": "image_generation", "model": "gpt-image-1", "quality": "low"}]
    code, _, err = run(
        "generate",
        "a jazz poster",
        "-o",
        str(tmp_path / "p.png"),
        "--agent",
        "poster-artist:1",
        *_service(foundry_emulator),
    )
    assert code == 0, err
    assert foundry_emulator.requests[-1].json["agent_reference"] == {
        "type": "agent_reference",
        "name": "poster-artist",
        "version": "1",
    }
    code, out, _ = run("agent", "delete", "poster-artist", *_service(foundry_emulator))
    assert (code, out) == (0, "deleted agent poster-artist\n")
    code, _, err = run("agent", "list", "poster-artist", *_service(foundry_emulator))
    assert code == 4 and "not found" in err.lower()


def test_agent_bad_name_exits_2_before_any_request(foundry_emulator: Emulator) -> None:
    code, _, err = run("agent", "create", "bad-", *_service(foundry_emulator))
    assert code == 2 and "1-63 letters" in err and foundry_emulator.requests == []
