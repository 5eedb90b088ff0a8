"""Exceptions raised by jwasync.

Everything the library raises on purpose derives from one root::

    JWPlatformError
    ├── ClientClosedError          (also RuntimeError) used after aclose()
    ├── InvalidIdError             (also ValueError) a path parameter is not a valid id
    ├── BudgetTimeoutError         (also TimeoutError) waited past RateLimit.max_wait
    ├── TransportError             the request or its response did not make it
    │   ├── ConnectError           the connection could not be made or broke
    │   └── RequestTimeoutError    (also TimeoutError) no answer in time
    ├── InvalidResponseError       a success status whose body is not the JSON promised
    ├── ListingError               (also RuntimeError) a listing cannot be completed
    ├── APIError                   the API answered with an error status
    │   ├── BadRequestError            400
    │   ├── UnauthorizedError          401
    │   ├── ForbiddenError             403
    │   ├── NotFoundError              404
    │   ├── ConflictError              409
    │   ├── UnprocessableEntityError   422
    │   ├── TooManyRequestsError       429, once retries are spent
    │   └── ServerError                any 5xx
    └── UploadError                a presigned upload failed or could not be verified
        ├── PartUploadError        a part (or a direct upload) was refused after retries
        └── IntegrityError         bytes on the server differ from the local ones

Error text never contains the API secret, an upload token or a presigned URL: it names
the method and the route's path, the status, and the API's own error codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "APIError",
    "BadRequestError",
    "BudgetTimeoutError",
    "ClientClosedError",
    "ConflictError",
    "ConnectError",
    "ForbiddenError",
    "IntegrityError",
    "InvalidIdError",
    "InvalidResponseError",
    "JWPlatformError",
    "ListingError",
    "NotFoundError",
    "PartUploadError",
    "RequestTimeoutError",
    "ServerError",
    "TooManyRequestsError",
    "TransportError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "UploadError",
    "error_for_status",
]


class JWPlatformError(Exception):
    """Root of every error jwasync raises on purpose."""


class ClientClosedError(JWPlatformError, RuntimeError):
    """The client was used after it was closed."""


class InvalidIdError(JWPlatformError, ValueError):
    """A path parameter (site, media, playlist id, ...) is not a valid id."""


class BudgetTimeoutError(JWPlatformError, TimeoutError):
    """A request waited longer than ``RateLimit.max_wait`` for room in the budget.

    Nothing was sent.
    """


class TransportError(JWPlatformError):
    """The request failed before a complete response arrived.

    Attributes:
        method: The HTTP method.
        path: The request path, without the host or query string.
        sent: False when the request certainly never reached the server (the
            connection could not be opened), True when it may have.
    """

    def __init__(
        self, message: str, *, method: str = "", path: str = "", sent: bool = True
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.sent = sent


class ConnectError(TransportError):
    """The connection could not be opened, or broke while in use."""


class RequestTimeoutError(TransportError, TimeoutError):
    """No complete response arrived within the configured timeout."""


class InvalidResponseError(JWPlatformError):
    """The API answered with a success status but a body that is not valid JSON.

    Attributes:
        status: The HTTP status.
        method: The HTTP method.
        path: The request path.
        request_id: The ``jw-request-id`` header, when present.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        path: str,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path
        self.request_id = request_id


class ListingError(JWPlatformError, RuntimeError):
    """A listing cannot be completed the way it was asked for.

    Raised, for instance, when more items share one creation time than the API
    will return for a single query.
    """


class APIError(JWPlatformError):
    """The API answered with an error status.

    Attributes:
        status: The HTTP status.
        errors: The API's ``[{"code": ..., "description": ...}]`` list; empty when the
            body was not the API's JSON error shape (an HTML error page, say).
        request_id: The ``jw-request-id`` response header, when present.
        method: The HTTP method of the request.
        path: The request path (no host, no query string).
    """

    def __init__(
        self,
        status: int,
        errors: Sequence[Mapping[str, Any]] = (),
        *,
        request_id: str | None = None,
        method: str = "",
        path: str = "",
        reason: str = "",
    ) -> None:
        self.status = status
        self.errors: list[dict[str, Any]] = [dict(e) for e in errors]
        self.request_id = request_id
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(self._message())

    @property
    def codes(self) -> list[str]:
        """The API's error codes, in order (``["not_found"]``, say)."""
        return [str(e["code"]) for e in self.errors if "code" in e]

    def has_code(self, code: str) -> bool:
        """Return whether the API reported the given error code."""
        return code in self.codes

    def _message(self) -> str:
        where = f"{self.method} {self.path}".strip()
        head = f"{self.status} {self.reason}".strip()
        parts = [f"{head} from {where}" if where else head]
        for error in self.errors[:3]:
            code = error.get("code", "?")
            description = str(error.get("description", ""))[:200]
            parts.append(f"{code}: {description}" if description else str(code))
        if len(self.errors) > 3:
            parts.append(f"(+{len(self.errors) - 3} more)")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return "; ".join(parts)


class BadRequestError(APIError):
    """400: the request was malformed (a bad body, query or parameter)."""


class UnauthorizedError(APIError):
    """401: the secret is missing, wrong or revoked."""


class ForbiddenError(APIError):
    """403: the secret may not do this."""


class NotFoundError(APIError):
    """404: no such route or object."""


class ConflictError(APIError):
    """409: the request conflicts with the object's current state."""


class UnprocessableEntityError(APIError):
    """422: the body was understood but its values were refused."""


class TooManyRequestsError(APIError):
    """429: the rate limit was exceeded and the retries allowed are spent.

    Attributes:
        retry_after: Seconds the server asked to wait, when it said.
    """

    retry_after: float | None = None


class ServerError(APIError):
    """5xx: the API failed to handle the request."""


class UploadError(JWPlatformError):
    """An upload to a presigned URL failed or could not be verified."""


class PartUploadError(UploadError):
    """A part (or a direct upload) was refused after every retry.

    Attributes:
        part: The 1-based part number, or None for a direct upload.
        status: The last HTTP status, or None when no response arrived.
    """

    def __init__(self, message: str, *, part: int | None, status: int | None) -> None:
        super().__init__(message)
        self.part = part
        self.status = status


class IntegrityError(UploadError):
    """The server's checksum (ETag) for uploaded bytes differs from the local one.

    Attributes:
        part: The 1-based part number, or None for a direct upload.
    """

    def __init__(self, message: str, *, part: int | None) -> None:
        super().__init__(message)
        self.part = part


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: TooManyRequestsError,
}


def error_for_status(status: int) -> type[APIError]:
    """Return the exception class for an error status (``APIError`` if none fits)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 500 <= status <= 599:
        return ServerError
    return APIError
