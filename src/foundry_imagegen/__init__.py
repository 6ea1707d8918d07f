"""foundry-imagegen: a typed client for the image generation tool of Microsoft Foundry Agent Service.

Example::

    from foundry_imagegen import FoundryClient, ImageGenerationTool

    with FoundryClient.from_env() as client:
        client.generate("a red fox in fresh snow", tool=ImageGenerationTool(quality="low")).save("fox.png")
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._core.agents import Agent, AgentDeletion, AgentReference, AgentVersion, FileObject
    from ._core.calls import CLIENT_DEFAULT, ClientDefault, ResponsesRequest, ToolChoice
    from ._core.catalog import (
        DisputedRuleWarning,
        ModelCatalogWarning,
        ModelLifecycleWarning,
        ModelRetiredWarning,
        ModelRetiringWarning,
        UnknownModelWarning,
    )
    from ._core.constants import DEFAULT_SCOPE, DEFAULT_TIMEOUT, IMAGE_DEPLOYMENT_HEADER
    from ._core.doctor import DoctorCheck, DoctorReport
    from ._core.inputs import FileId, ImageInput, MaskWarning, ResolvedImage
    from ._core.ratelimit import HttpInfo, RateLimit
    from ._core.results import (
        GeneratedImage,
        GenerationResult,
        ImageFormatWarning,
        ImageGenerationCall,
        MessageItem,
        Response,
        ResponseError,
        UnknownOutputItem,
        Usage,
    )
    from ._core.retry import RetryPolicy
    from ._core.stream import IncompleteStreamWarning, StreamProcessor
    from ._core.tool import ImageGenerationTool, InputImageMask, SvgOptions, SvgReasoning, ToolConfigWarning
    from ._shell._async.client import AsyncFoundryClient
    from ._shell._async.resources import AsyncAgents, AsyncFiles
    from ._shell._async.stream import AsyncImageStream
    from ._shell._sync.client import FoundryClient
    from ._shell._sync.resources import Agents, Files
    from ._shell._sync.stream import ImageStream
    from .exceptions import (
        APIConnectionError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ClientClosedError,
        ConfigurationError,
        ContentFilterError,
        DeploymentNotFoundError,
        FoundryImageGenError,
        GenerationFailedError,
        ImageDeploymentError,
        InvalidResponseError,
        MissingImageDeploymentError,
        NoImageGeneratedError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ServerError,
        ServiceError,
        StreamError,
        TruncatedStreamError,
    )

__all__ = [
    "CLIENT_DEFAULT",
    "DEFAULT_SCOPE",
    "DEFAULT_TIMEOUT",
    "IMAGE_DEPLOYMENT_HEADER",
    "APIConnectionError",
    "APITimeoutError",
    "Agent",
    "AgentDeletion",
    "AgentReference",
    "AgentVersion",
    "Agents",
    "AsyncAgents",
    "AsyncFiles",
    "AsyncFoundryClient",
    "AsyncImageStream",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ClientDefault",
    "ConfigurationError",
    "ContentFilterError",
    "DeploymentNotFoundError",
    "DisputedRuleWarning",
    "DoctorCheck",
    "DoctorReport",
    "FileId",
    "FileObject",
    "Files",
    "FoundryClient",
    "FoundryImageGenError",
    "GeneratedImage",
    "GenerationFailedError",
    "GenerationResult",
    "HttpInfo",
    "ImageDeploymentError",
    "ImageFormatWarning",
    "ImageGenerationCall",
    "ImageGenerationTool",
    "ImageInput",
    "ImageStream",
    "IncompleteStreamWarning",
    "InputImageMask",
    "InvalidResponseError",
    "MaskWarning",
    "MessageItem",
    "MissingImageDeploymentError",
    "ModelCatalogWarning",
    "ModelLifecycleWarning",
    "ModelRetiredWarning",
    "ModelRetiringWarning",
    "NoImageGeneratedError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "ResolvedImage",
    "Response",
    "ResponseError",
    "ResponsesRequest",
    "RetryPolicy",
    "ServerError",
    "ServiceError",
    "StreamError",
    "StreamProcessor",
    "SvgOptions",
    "SvgReasoning",
    "ToolChoice",
    "ToolConfigWarning",
    "TruncatedStreamError",
    "UnknownModelWarning",
    "UnknownOutputItem",
    "Usage",
    "__version__",
]


# Names resolve on first use (PEP 562): `import foundry_imagegen` stays cheap and the pydantic model
# machinery, asyncio and friends load only when a program touches what needs them.
_LAZY: dict[str, str] = {
    "CLIENT_DEFAULT": "._core.calls",
    "DisputedRuleWarning": "._core.catalog",
    "ModelCatalogWarning": "._core.catalog",
    "ModelLifecycleWarning": "._core.catalog",
    "ModelRetiredWarning": "._core.catalog",
    "ModelRetiringWarning": "._core.catalog",
    "UnknownModelWarning": "._core.catalog",
    "SvgOptions": "._core.tool",
    "SvgReasoning": "._core.tool",
    "ClientDefault": "._core.calls",
    "Agent": "._core.agents",
    "AgentDeletion": "._core.agents",
    "AgentReference": "._core.agents",
    "AgentVersion": "._core.agents",
    "FileObject": "._core.agents",
    "FileId": "._core.inputs",
    "ImageInput": "._core.inputs",
    "MaskWarning": "._core.inputs",
    "ResolvedImage": "._core.inputs",
    "AsyncImageStream": "._shell._async.stream",
    "ImageStream": "._shell._sync.stream",
    "IncompleteStreamWarning": "._core.stream",
    "StreamProcessor": "._core.stream",
    "Agents": "._shell._sync.resources",
    "AsyncAgents": "._shell._async.resources",
    "AsyncFiles": "._shell._async.resources",
    "Files": "._shell._sync.resources",
    "DEFAULT_SCOPE": "._core.constants",
    "DEFAULT_TIMEOUT": "._core.constants",
    "IMAGE_DEPLOYMENT_HEADER": "._core.constants",
    "APIConnectionError": ".exceptions",
    "APITimeoutError": ".exceptions",
    "AsyncFoundryClient": "._shell._async.client",
    "AuthenticationError": ".exceptions",
    "BadRequestError": ".exceptions",
    "ClientClosedError": ".exceptions",
    "ConfigurationError": ".exceptions",
    "ContentFilterError": ".exceptions",
    "DeploymentNotFoundError": ".exceptions",
    "DoctorCheck": "._core.doctor",
    "DoctorReport": "._core.doctor",
    "FoundryClient": "._shell._sync.client",
    "FoundryImageGenError": ".exceptions",
    "GeneratedImage": "._core.results",
    "GenerationFailedError": ".exceptions",
    "GenerationResult": "._core.results",
    "HttpInfo": "._core.ratelimit",
    "ImageDeploymentError": ".exceptions",
    "ImageFormatWarning": "._core.results",
    "ImageGenerationCall": "._core.results",
    "ImageGenerationTool": "._core.tool",
    "InputImageMask": "._core.tool",
    "InvalidResponseError": ".exceptions",
    "MessageItem": "._core.results",
    "MissingImageDeploymentError": ".exceptions",
    "NoImageGeneratedError": ".exceptions",
    "NotFoundError": ".exceptions",
    "PermissionDeniedError": ".exceptions",
    "RateLimit": "._core.ratelimit",
    "RateLimitError": ".exceptions",
    "Response": "._core.results",
    "ResponseError": "._core.results",
    "ResponsesRequest": "._core.calls",
    "RetryPolicy": "._core.retry",
    "ServerError": ".exceptions",
    "ServiceError": ".exceptions",
    "StreamError": ".exceptions",
    "ToolChoice": "._core.calls",
    "ToolConfigWarning": "._core.tool",
    "TruncatedStreamError": ".exceptions",
    "UnknownOutputItem": "._core.results",
    "Usage": "._core.results",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    if isinstance(value, type):
        # Show the public path in reprs and tracebacks, not the private module (httpx does the same).
        value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
