"""``foundry-imagegen doctor``: text and JSON reports, exit codes, against respx and the emulator."""

from __future__ import annotations

import io
import json

import httpx
import pytest
import respx
from tests.client.test_client_doctor import GOOD, LISTING_URL, deployment
from tests.harness import API_KEY, PROJECT_ENDPOINT

from foundry_imagegen.cli import main

FLAGS = ["--endpoint", PROJECT_ENDPOINT, "--api-key", API_KEY, "--model", "chat", "--image-deployment", "img"]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def served(items: list[dict[str, object]]) -> respx.MockRouter:
    router = respx.mock(assert_all_called=True, assert_all_mocked=True)
    router.get(LISTING_URL).mock(return_value=httpx.Response(200, json={"value": items}))
    return router


def test_a_good_setup_prints_passes_and_exits_0():
    with served(GOOD):
        code, out, err = run("doctor", *FLAGS)
    assert code == 0, out + err
    assert "PASS  image deployment exists: img runs gpt-image-2" in out
    assert out.strip().endswith("ok: 0 failed, 0 warnings")
    assert API_KEY not in out + err


def test_a_broken_setup_prints_the_fix_and_exits_1():
    with served([GOOD[0], deployment("img", "gpt-5.1")]):
        code, out, _ = run("doctor", *FLAGS)
    assert code == 1
    assert "FAIL  image deployment is an image model: img runs gpt-5.1, not an image model" in out
    assert "fix: point image_deployment at a gpt-image-* deployment" in out


def test_json_report_and_tool_flags():
    with served(GOOD):
        code, out, _ = run("doctor", *FLAGS, "--json", "--size", "17x17")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert next(c for c in data["checks"] if c["id"] == "tool")["status"] == "fail"


def test_a_malformed_endpoint_is_a_failed_check():
    code, out, _ = run(
        "doctor", "--endpoint", "ftp://nope", "--api-key", "k", "--model", "a", "--image-deployment", "b"
    )
    assert code == 1
    assert out.startswith("FAIL  endpoint form:")


@pytest.mark.e2e
def test_against_the_emulator():
    code, out, err = run("doctor", "--emulator", "--json")
    data = json.loads(out)
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    if statuses.get("deployments") == "warn" and "404" in next(
        c["detail"] for c in data["checks"] if c["id"] == "deployments"
    ):
        pytest.skip("this emulator does not serve GET /deployments yet (the emulator branch adds it)")
    assert code == 0, out + err
    assert statuses["image.exists"] == "pass"
