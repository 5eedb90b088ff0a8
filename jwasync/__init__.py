"""jwasync: an asyncio client for JW Player's Platform Management API v2."""

from ._budget import BudgetStats
from ._client import DEFAULT_TIMEOUT, JWPlatformClient
from ._config import RateLimit, RetryPolicy
from ._errors import (
    APIError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ConnectError,
    ForbiddenError,
    IntegrityError,
    InvalidIdError,
    InvalidResponseError,
    JWPlatformError,
    NotFoundError,
    PartUploadError,
    RequestTimeoutError,
    ServerError,
    TooManyRequestsError,
    TransportError,
    UnauthorizedError,
    UnprocessableEntityError,
    UploadError,
)
from ._pagination import Page
from ._version import __version__

__all__ = [
    "DEFAULT_TIMEOUT",
    "APIError",
    "BadRequestError",
    "BudgetStats",
    "ClientClosedError",
    "ConflictError",
    "ConnectError",
    "ForbiddenError",
    "IntegrityError",
    "InvalidIdError",
    "InvalidResponseError",
    "JWPlatformClient",
    "JWPlatformError",
    "NotFoundError",
    "Page",
    "PartUploadError",
    "RateLimit",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "TooManyRequestsError",
    "TransportError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "UploadError",
    "__version__",
]
