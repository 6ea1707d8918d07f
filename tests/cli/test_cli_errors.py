"""Every CLI error names the flag or variable to fix, never a Python argument."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from foundry_imagegen.cli import main
from foundry_imagegen.cli.output import cli_hint, cli_message
from foundry_imagegen.emulator import Emulator
from foundry_imagegen.exceptions import APITimeoutError

pytestmark = pytest.mark.e2e

#: What an error written for Python callers says, and a command-line user cannot type.
PYTHON_SPEAK = (
    "ImageGenerationTool(",
    "FoundryClient(",
    "=True",
    "=None",
    "model='",
    "model=None",
    "credential=",
    "upload_images",
    "force_image",
    "retry_after",
    "agent=",
    "timeout=",
)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_cli_speak(err: str) -> None:
    assert "error: " in err
    for phrase in PYTHON_SPEAK:
        assert phrase not in err, f"{phrase!r} in {err!r}"


@pytest.fixture
def base(tmp_path: Path, foundry_emulator: Emulator) -> list[str]:
    return [
        "generate",
        "a fox",
        "-o",
        str(tmp_path / "fox.png"),
        "--endpoint",
        foundry_emulator.endpoint,
        "--api-key",
        "k",
    ]


def test_missing_image_deployment_names_flag_and_variable(base: list[str], foundry_emulator: Emulator) -> None:
    code, _, err = run(*base, "--model", "gpt-4.1")
    assert code == 2 and "--image-deployment" in err and "IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME" in err
    assert "x-ms-oai-image-generation-deployment" in err and "request sent" not in err
    assert_cli_speak(err)
    assert foundry_emulator.requests == []


def test_missing_model_names_flag_and_variable(base: list[str], foundry_emulator: Emulator) -> None:
    code, _, err = run(*base, "--image-deployment", "gpt-image-1")
    assert code == 2 and "--model" in err and "AZURE_AI_MODEL_DEPLOYMENT_NAME" in err
    assert_cli_speak(err)
    assert foundry_emulator.requests == []


def test_model_that_is_the_image_deployment(base: list[str]) -> None:
    code, _, err = run(*base, "--model", "gpt-image-1", "--image-deployment", "gpt-image-1")
    assert code == 2 and "--model gpt-image-1 is also the image deployment" in err
    assert_cli_speak(err)


def test_agent_create_without_model(foundry_emulator: Emulator) -> None:
    code, _, err = run(
        "agent", "create", "poster-artist", "--endpoint", foundry_emulator.endpoint, "--api-key", "k",
        "--image-deployment", "gpt-image-1",
    )  # fmt: skip
    assert code == 2 and "--model" in err
    assert_cli_speak(err)


def test_tool_flags_with_agent_name_the_flags(base: list[str], foundry_emulator: Emulator) -> None:
    code, _, err = run(*base, "--image-deployment", "gpt-image-1", "--agent", "poster-artist", "--quality", "low")
    assert code == 2 and "--quality cannot be used with --agent" in err and "agent create NAME --quality" in err
    assert_cli_speak(err)
    assert foundry_emulator.requests == []


def test_empty_prompt(tmp_path: Path) -> None:
    code, _, err = run("generate", " ", "-o", str(tmp_path / "x.png"), "--emulator")
    assert code == 2 and "PROMPT is empty" in err
    assert_cli_speak(err)


@pytest.mark.parametrize(
    ("flag", "value"), [("--timeout", "-1"), ("--timeout", "soon"), ("--max-retries", "-2"), ("--max-retries", "x")]
)
def test_bad_numbers_are_usage_errors_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["generate", "x", "-o", str(tmp_path / "x.png"), "--emulator", flag, value])
    assert done.value.code == 2 and f"argument {flag}:" in capsys.readouterr().err


def test_bad_endpoint_names_where_it_came_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run("generate", "x", "-o", str(tmp_path / "x.png"), "--endpoint", "http://example.com")
    assert code == 2 and err.startswith("error: --endpoint: ") and "https://" in err
    monkeypatch.setenv("AZURE_AI_PROJECT_ENDPOINT", "https://user:pw@example.com")
    code, _, err = run("generate", "x", "-o", str(tmp_path / "x.png"))
    assert code == 2 and err.startswith("error: AZURE_AI_PROJECT_ENDPOINT: ") and "pw" not in err
    assert "--api-key" in err
    assert_cli_speak(err)


@pytest.mark.parametrize(
    ("fault", "params", "code", "needle"),
    [
        ("rate_limit", {"retry_after": 0}, 6, "--max-retries"),
        ("text_only", {}, 8, "ask for an image"),
    ],
)
def test_service_error_hints_speak_flags(
    base: list[str], foundry_emulator: Emulator, fault: str, params: dict[str, object], code: int, needle: str
) -> None:
    foundry_emulator.inject(fault, count=5, **params)
    got, _, err = run(*base, "--model", "gpt-4.1", "--image-deployment", "gpt-image-1", "--max-retries", "0")
    assert got == code and "Hint: " in err and needle in err
    assert_cli_speak(err)


def test_unknown_image_deployment_keeps_the_services_advice(base: list[str]) -> None:
    code, _, err = run(*base, "--model", "gpt-4.1", "--image-deployment", "no-such-images")
    assert code == 4 and "Hint: " in err
    assert_cli_speak(err)


def test_the_generic_image_deployment_hint_names_the_flag() -> None:
    from foundry_imagegen.exceptions import ImageDeploymentError

    message = cli_message(ImageDeploymentError("The deployment does not exist.", status=400))
    assert "Hint: Pass --image-deployment (or export IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME)" in message


def test_existing_file_race_says_overwrite_flag() -> None:
    message = cli_message(FileExistsError("out/x.png exists. Fix: choose another path or pass overwrite=True"))
    assert message == "out/x.png exists. Fix: choose another -o or pass --overwrite"


def test_timeout_hint_names_flags() -> None:
    hint = cli_hint(APITimeoutError("the service did not answer within 600 s"))
    assert hint is not None and "--timeout" in hint and "timeout=" not in hint


@pytest.mark.parametrize("command", ["generate", "edit"])
def test_a_missing_input_file_names_the_image_flag(tmp_path: Path, command: str) -> None:
    code, _, err = run(command, "x", "-o", str(tmp_path / "x.png"), "--image", "nope.png", "--emulator", "-q")
    assert code == 2 and err.startswith("error: --image 'nope.png' is neither") and "http(s) URL" in err
    assert_cli_speak(err)
    assert "FileId" not in err and "previous" not in err and "images[0]" not in err


def test_a_mask_problem_names_the_mask_flag(tmp_path: Path, png_bytes: bytes) -> None:
    (tmp_path / "in.png").write_bytes(png_bytes)
    code, _, err = run(
        "edit", "x", "-o", str(tmp_path / "x.png"), "--image", str(tmp_path / "in.png"),
        "--mask", str(tmp_path / "in.png"), "--emulator", "-q",
    )  # fmt: skip
    assert code == 2 and err.startswith("error: --mask (")
    assert_cli_speak(err)


def test_sdk_warnings_print_as_one_line_in_flag_terms(tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("default")  # as outside pytest, which turns warnings into errors
        code, _, err = run(
            "generate", "x", "-o", str(tmp_path / "x.png"), "--emulator", "-q", "--image-deployment", "my-images"
        )
    assert code == 4  # the emulator has no deployment of that name
    warned = [line for line in err.splitlines() if line.startswith("warning: image_deployment='my-images'")]
    assert warned and all("Fix: pass --image-model <the model" in line for line in warned), err
    assert "image_model=" not in err and "deployment_models=" not in err and ".py:" not in err
