"""foundry-imagegen: a typed client for the image generation tool of Microsoft Foundry Agent Service.

Example::

    from foundry_imagegen import FoundryClient, ImageGenerationTool

    with FoundryClient.from_env() as client:
        client.generate("a red fox in fresh snow", tool=ImageGenerationTool(quality="low")).save("fox.png")
"""

from ._async_client import AsyncFoundryClient
from ._client import FoundryClient
from ._constants import DEFAULT_SCOPE, DEFAULT_TIMEOUT, IMAGE_DEPLOYMENT_HEADER
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
from ._retry import RetryPolicy
from ._tool import ImageGenerationTool, InputImageMask, ToolConfigWarning
from ._version import __version__
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
    "AsyncFoundryClient",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ContentFilterError",
    "DeploymentNotFoundError",
    "FoundryClient",
    "FoundryImageGenError",
    "GeneratedImage",
    "GenerationFailedError",
    "GenerationResult",
    "ImageDeploymentError",
    "ImageFormatWarning",
    "ImageGenerationCall",
    "ImageGenerationTool",
    "InputImageMask",
    "InvalidResponseError",
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

# Show the public path in reprs and tracebacks, not the private module (httpx does the same).
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
