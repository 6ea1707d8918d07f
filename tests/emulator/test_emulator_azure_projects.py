"""The official azure-ai-projects client against the emulator, served over loopback TLS.

azure-core refuses to send bearer tokens over plain HTTP, so the emulator serves HTTPS with a
throwaway self-signed certificate made here. The test runs the calls of the SDK's image generation
sample with an agent endpoint: create a version with the image tool, point the agent endpoint at it
(merge-patch), call Responses through the endpoint, read the image, clean up; and reads the
deployments listing. Skipped when azure-ai-projects (>=2.10) or cryptography is not installed.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from foundry_imagegen.emulator import Emulator

IMAGE_HEADER = "x-ms-oai-image-generation-deployment"
TOKEN = "emulator-test-token"


def _self_signed(tmp: Path) -> tuple[str, str]:
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_emulator(tmp_path: Path):
    cert, key = _self_signed(tmp_path)
    with Emulator(tls=(cert, key), bearer_tokens=[TOKEN]) as emu:
        yield emu, cert


class _Credential:
    """A TokenCredential that hands out the one token the emulator accepts."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)


def test_tls_with_httpx(tls_emulator) -> None:
    emu, cert = tls_emulator
    assert emu.url.startswith("https://127.0.0.1:")
    with httpx.Client(verify=ssl.create_default_context(cafile=cert)) as client:
        r = client.get(f"{emu.endpoint}/deployments", headers={"authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and r.json()["value"]
    # Plain HTTP to the TLS port is not answered.
    with httpx.Client() as client, pytest.raises(httpx.HTTPError):
        client.get(emu.endpoint.replace("https://", "http://") + "/deployments")


def test_image_sample_through_the_agent_endpoint(tls_emulator, decode_image) -> None:
    pytest.importorskip("azure.ai.projects", minversion="2.10")
    import openai
    from azure.ai.projects import AIProjectClient
    from azure.ai.projects.models import (
        AgentEndpointConfig,
        FixedRatioVersionSelectionRule,
        ImageGenTool,
        PromptAgentDefinition,
        ProtocolConfiguration,
        ResponsesProtocolConfiguration,
        VersionSelector,
    )

    emu, cert = tls_emulator
    credential = _Credential()
    project = AIProjectClient(endpoint=emu.endpoint, credential=credential, connection_verify=cert)
    with project:
        created = project.agents.create_version(
            agent_name="image-agent",
            definition=PromptAgentDefinition(
                model="gpt-4.1",
                instructions="Generate images based on user prompts",
                tools=[ImageGenTool(model="gpt-image-1", quality="low", size="1024x1024")],
            ),
            description="Agent for image generation.",
        )
        original = project.agents.get(agent_name="image-agent").agent_endpoint
        assert original is None
        project.agents.update_details(
            agent_name="image-agent",
            agent_endpoint=AgentEndpointConfig(
                version_selector=VersionSelector(
                    version_selection_rules=[
                        FixedRatioVersionSelectionRule(agent_version=created.version, traffic_percentage=100)
                    ]
                ),
                protocol_configuration=ProtocolConfiguration(responses=ResponsesProtocolConfiguration()),
            ),
        )
        details = project.agents.get(agent_name="image-agent")
        assert details.agent_endpoint is not None
        http_client = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=cert))
        openai_client = project.get_openai_client(agent_name="image-agent", http_client=http_client)
        with openai_client:
            response = openai_client.responses.create(
                input="Generate an image of Microsoft logo.",
                extra_headers={IMAGE_HEADER: "gpt-image-1"},
            )
        image_data = [output.result for output in response.output if output.type == "image_generation_call"]
        assert image_data and image_data[0]
        assert base64.b64decode(image_data[0]).startswith(b"\x89PNG")
        assert decode_image(image_data[0]).size == (1024, 1024)
        project.agents.delete_version(agent_name="image-agent", agent_version=created.version, force=True)

        listed = {d.name: d for d in project.deployments.list()}
        assert listed["gpt-image-1"].model_name == "gpt-image-1"
        assert listed["gpt-image-1"].model_version == "2025-04-15"
        assert project.deployments.get("gpt-image-2").model_publisher == "OpenAI"

    assert ("https://ai.azure.com/.default",) in credential.scopes
    calls = {(r.method, r.path.split("/api/projects/demo")[-1]): r for r in emu.requests}
    patch = calls[("PATCH", "/agents/image-agent")]
    assert patch.headers["content-type"] == "application/merge-patch+json"
    assert "foundry-features" not in patch.headers
    call = calls[("POST", "/agents/image-agent/endpoint/protocols/openai/responses")]
    assert call.query["api-version"] == "v1" and call.headers["foundry-features"]
    assert call.headers["authorization"] == "***"


class _AsyncCredential:
    """The async twin of ``_Credential``, for azure.ai.projects.aio."""

    async def get_token(self, *scopes: str, **_kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(TOKEN, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> _AsyncCredential:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


async def test_the_async_image_sample_through_the_agent_endpoint(tls_emulator, decode_image) -> None:
    pytest.importorskip("azure.ai.projects", minversion="2.10")
    pytest.importorskip("aiohttp")  # azure-core's async transport
    import openai
    from azure.ai.projects.aio import AIProjectClient
    from azure.ai.projects.models import (
        AgentEndpointConfig,
        FixedRatioVersionSelectionRule,
        ImageGenTool,
        PromptAgentDefinition,
        ProtocolConfiguration,
        ResponsesProtocolConfiguration,
        VersionSelector,
    )

    emu, cert = tls_emulator
    async with AIProjectClient(endpoint=emu.endpoint, credential=_AsyncCredential(), connection_verify=cert) as project:
        created = await project.agents.create_version(
            agent_name="image-agent",
            definition=PromptAgentDefinition(
                model="gpt-5.1",
                instructions="Generate images based on user prompts",
                tools=[ImageGenTool(model="gpt-image-2", quality="low", size="1024x1024")],
            ),
            description="Agent for image generation.",
        )
        await project.agents.update_details(
            agent_name="image-agent",
            agent_endpoint=AgentEndpointConfig(
                version_selector=VersionSelector(
                    version_selection_rules=[
                        FixedRatioVersionSelectionRule(agent_version=created.version, traffic_percentage=100)
                    ]
                ),
                protocol_configuration=ProtocolConfiguration(responses=ResponsesProtocolConfiguration()),
            ),
        )
        http_client = openai.DefaultAsyncHttpxClient(verify=ssl.create_default_context(cafile=cert))
        openai_client = project.get_openai_client(agent_name="image-agent", http_client=http_client)
        async with openai_client:
            response = await openai_client.responses.create(
                input="Generate an image of Microsoft logo.",
                extra_headers={IMAGE_HEADER: "gpt-image-2"},
            )
        image_data = [output.result for output in response.output if output.type == "image_generation_call"]
        assert image_data and decode_image(image_data[0]).size == (1024, 1024)
        await project.agents.delete_version(agent_name="image-agent", agent_version=created.version, force=True)
    paths = [(r.method, r.path.split("/api/projects/demo")[-1]) for r in emu.requests]
    assert ("POST", "/agents/image-agent/endpoint/protocols/openai/responses") in paths
