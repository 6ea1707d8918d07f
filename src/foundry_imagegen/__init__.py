"""foundry-imagegen: a typed client for the image generation tool of Microsoft Foundry Agent Service.

Example::

    from foundry_imagegen import FoundryClient, ImageGenerationTool

    with FoundryClient.from_env() as client:
        client.generate("a red fox in fresh snow", tool=ImageGenerationTool(quality="low")).save("fox.png")
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._agents import Agent, AgentDeletion, AgentReference, AgentVersion, FileObject
    from ._async_client import AsyncFoundryClient
    from ._client import FoundryClient
    from ._constants import DEFAULT_SCOPE, DEFAULT_TIMEOUT, IMAGE_DEPLOYMENT_HEADER
    from ._inputs import FileId, ImageInput, MaskWarning
    from ._models import (
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
    from ._request import ResponsesRequest, ToolChoice
    from ._resources import Agents, AsyncAgents, AsyncFiles, Files
    from ._retry import RetryPolicy
    from ._stream import AsyncImageStream, ImageStream, IncompleteStreamWarning
    from ._tool import ImageGenerationTool, InputImageMask, ToolConfigWarning
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
    "ConfigurationError",
    "ContentFilterError",
    "DeploymentNotFoundError",
    "FileId",
    "FileObject",
    "Files",
    "FoundryClient",
    "FoundryImageGenError",
    "GeneratedImage",
    "GenerationFailedError",
    "GenerationResult",
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
    "NoImageGeneratedError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "Response",
    "ResponseError",
    "ResponsesRequest",
    "RetryPolicy",
    "ServerError",
    "ServiceError",
    "StreamError",
    "ToolChoice",
    "ToolConfigWarning",
    "TruncatedStreamError",
    "UnknownOutputItem",
    "Usage",
    "__version__",
]


# Names resolve on first use (PEP 562): `import foundry_imagegen` stays cheap and the pydantic model
# machinery, asyncio and friends load only when a program touches what needs them.
_LAZY: dict[str, str] = {
    "Agent": "._agents",
    "AgentDeletion": "._agents",
    "AgentReference": "._agents",
    "AgentVersion": "._agents",
    "FileObject": "._agents",
    "FileId": "._inputs",
    "ImageInput": "._inputs",
    "MaskWarning": "._inputs",
    "AsyncImageStream": "._stream",
    "ImageStream": "._stream",
    "IncompleteStreamWarning": "._stream",
    "Agents": "._resources",
    "AsyncAgents": "._resources",
    "AsyncFiles": "._resources",
    "Files": "._resources",
    "DEFAULT_SCOPE": "._constants",
    "DEFAULT_TIMEOUT": "._constants",
    "IMAGE_DEPLOYMENT_HEADER": "._constants",
    "APIConnectionError": ".exceptions",
    "APITimeoutError": ".exceptions",
    "AsyncFoundryClient": "._async_client",
    "AuthenticationError": ".exceptions",
    "BadRequestError": ".exceptions",
    "ClientClosedError": ".exceptions",
    "ConfigurationError": ".exceptions",
    "ContentFilterError": ".exceptions",
    "DeploymentNotFoundError": ".exceptions",
    "FoundryClient": "._client",
    "FoundryImageGenError": ".exceptions",
    "GeneratedImage": "._models",
    "GenerationFailedError": ".exceptions",
    "GenerationResult": "._models",
    "ImageDeploymentError": ".exceptions",
    "ImageFormatWarning": "._models",
    "ImageGenerationCall": "._models",
    "ImageGenerationTool": "._tool",
    "InputImageMask": "._tool",
    "InvalidResponseError": ".exceptions",
    "MessageItem": "._models",
    "MissingImageDeploymentError": ".exceptions",
    "NoImageGeneratedError": ".exceptions",
    "NotFoundError": ".exceptions",
    "PermissionDeniedError": ".exceptions",
    "RateLimitError": ".exceptions",
    "Response": "._models",
    "ResponseError": "._models",
    "ResponsesRequest": "._request",
    "RetryPolicy": "._retry",
    "ServerError": ".exceptions",
    "ServiceError": ".exceptions",
    "StreamError": ".exceptions",
    "ToolChoice": "._request",
    "ToolConfigWarning": "._tool",
    "TruncatedStreamError": ".exceptions",
    "UnknownOutputItem": "._models",
    "Usage": "._models",
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
