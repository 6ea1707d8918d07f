"""foundry-imagegen: a typed client for the image generation tool of Microsoft Foundry Agent Service.

Example::

    from foundry_imagegen import FoundryClient, ImageGenerationTool

    with FoundryClient.from_env() as client:
        client.generate("a red fox in fresh snow", tool=ImageGenerationTool(quality="low")).save("fox.png")
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._core.agent_endpoints import AgentEndpoint
    from ._core.agents import Agent, AgentDeletion, AgentReference, AgentVersion, FileObject
    from ._core.background import PollProgress
    from ._core.batch import BatchInputError, BatchItem, BatchReport
    from ._core.calls import CLIENT_DEFAULT, ClientDefault, ResponsesRequest, ToolChoice
    from ._core.constants import DEFAULT_SCOPE, DEFAULT_TIMEOUT, IMAGE_DEPLOYMENT_HEADER
    from ._core.conversations import MAX_REQUEST_BYTES, Conversation, ConversationDeletion
    from ._core.doctor import DoctorCheck, DoctorReport
    from ._core.inputs import FileId, ImageInput, MaskWarning, ResolvedImage
    from ._core.pacing import BatchProgress
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
    from ._core.warns import (
        DisputedRuleWarning,
        ModelCatalogWarning,
        ModelLifecycleWarning,
        ModelRetiredWarning,
        ModelRetiringWarning,
        UnknownModelWarning,
    )
    from ._shell._async.background import AsyncBackgroundGeneration
    from ._shell._async.batch import AsyncBatchBackground, AsyncBatchRunner, AsyncBatchTarget
    from ._shell._async.client import AsyncFoundryClient
    from ._shell._async.conversations import AsyncConversations
    from ._shell._async.resources import AsyncAgents, AsyncFiles
    from ._shell._async.stream import AsyncImageStream
    from ._shell._sync.background import BackgroundGeneration
    from ._shell._sync.batch import BatchBackground, BatchRunner, BatchTarget
    from ._shell._sync.client import FoundryClient
    from ._shell._sync.conversations import Conversations
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
        GenerationInProgressError,
        ImageDeploymentError,
        ImageSaveError,
        InvalidResponseError,
        MissingImageDeploymentError,
        NoImageGeneratedError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ResponseTooLargeError,
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
    "MAX_REQUEST_BYTES",
    "APIConnectionError",
    "APITimeoutError",
    "Agent",
    "AgentDeletion",
    "AgentEndpoint",
    "AgentReference",
    "AgentVersion",
    "Agents",
    "AsyncAgents",
    "AsyncBackgroundGeneration",
    "AsyncBatchBackground",
    "AsyncBatchRunner",
    "AsyncBatchTarget",
    "AsyncConversations",
    "AsyncFiles",
    "AsyncFoundryClient",
    "AsyncImageStream",
    "AuthenticationError",
    "BackgroundGeneration",
    "BadRequestError",
    "BatchBackground",
    "BatchInputError",
    "BatchItem",
    "BatchProgress",
    "BatchReport",
    "BatchRunner",
    "BatchTarget",
    "ClientClosedError",
    "ClientDefault",
    "ConfigurationError",
    "ContentFilterError",
    "Conversation",
    "ConversationDeletion",
    "Conversations",
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
    "GenerationInProgressError",
    "GenerationResult",
    "HttpInfo",
    "ImageDeploymentError",
    "ImageFormatWarning",
    "ImageGenerationCall",
    "ImageGenerationTool",
    "ImageInput",
    "ImageSaveError",
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
    "PollProgress",
    "RateLimit",
    "RateLimitError",
    "ResolvedImage",
    "Response",
    "ResponseError",
    "ResponseTooLargeError",
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
    "BatchInputError": "._core.batch",
    "BatchItem": "._core.batch",
    "BatchReport": "._core.batch",
    "BatchProgress": "._core.pacing",
    "AsyncBatchBackground": "._shell._async.batch",
    "AsyncBatchRunner": "._shell._async.batch",
    "AsyncBatchTarget": "._shell._async.batch",
    "BatchBackground": "._shell._sync.batch",
    "BatchRunner": "._shell._sync.batch",
    "BatchTarget": "._shell._sync.batch",
    "CLIENT_DEFAULT": "._core.calls",
    "DisputedRuleWarning": "._core.warns",
    "ModelCatalogWarning": "._core.warns",
    "ModelLifecycleWarning": "._core.warns",
    "ModelRetiredWarning": "._core.warns",
    "ModelRetiringWarning": "._core.warns",
    "UnknownModelWarning": "._core.warns",
    "SvgOptions": "._core.tool",
    "SvgReasoning": "._core.tool",
    "ClientDefault": "._core.calls",
    "Agent": "._core.agents",
    "AgentDeletion": "._core.agents",
    "AgentEndpoint": "._core.agent_endpoints",
    "PollProgress": "._core.background",
    "MAX_REQUEST_BYTES": "._core.conversations",
    "Conversation": "._core.conversations",
    "ConversationDeletion": "._core.conversations",
    "AsyncBackgroundGeneration": "._shell._async.background",
    "BackgroundGeneration": "._shell._sync.background",
    "AsyncConversations": "._shell._async.conversations",
    "Conversations": "._shell._sync.conversations",
    "GenerationInProgressError": ".exceptions",
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
    "ImageSaveError": ".exceptions",
    "ResponseTooLargeError": ".exceptions",
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
