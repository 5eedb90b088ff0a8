"""jwasync: an asyncio client for JW Player's Platform Management API v2."""

import logging as _logging

from ._budget import BudgetStats
from ._client import DEFAULT_TIMEOUT, JWPlatformClient
from ._config import RateLimit, RetryPolicy
from ._errors import (
    APIError,
    BadRequestError,
    BudgetTimeoutError,
    ClientClosedError,
    ConflictError,
    ConnectError,
    ForbiddenError,
    IntegrityError,
    InvalidIdError,
    InvalidResponseError,
    JWPlatformError,
    ListingError,
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
from ._upload_state import UploadState
from ._upload_transfer import PartRetry
from ._version import __version__
from .resources import (
    CreatedWindows,
    ListingStrategy,
    PageNumbers,
    PlaylistType,
    SiteView,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "APIError",
    "BadRequestError",
    "BudgetStats",
    "BudgetTimeoutError",
    "ClientClosedError",
    "ConflictError",
    "ConnectError",
    "CreatedWindows",
    "ForbiddenError",
    "IntegrityError",
    "InvalidIdError",
    "InvalidResponseError",
    "JWPlatformClient",
    "JWPlatformError",
    "ListingError",
    "ListingStrategy",
    "NotFoundError",
    "Page",
    "PageNumbers",
    "PartRetry",
    "PartUploadError",
    "PlaylistType",
    "RateLimit",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "SiteView",
    "TooManyRequestsError",
    "TransportError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "UploadError",
    "UploadState",
    "__version__",
]

# Silent unless the application configures logging (no "last resort" stderr lines).
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
