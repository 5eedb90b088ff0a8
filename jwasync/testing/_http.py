"""Small HTTP helpers shared by the fake's handlers: JSON replies and API errors."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

__all__ = ["ApiError", "error_response", "json_response", "read_json_body"]


class ApiError(Exception):
    """Raised inside a handler to answer with JW's error envelope.

    Attributes:
        status: HTTP status to send.
        code: The ``errors[0].code`` value.
        description: The ``errors[0].description`` value.
    """

    def __init__(self, status: int, code: str, description: str) -> None:
        """Describe the error to send."""
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def response(self) -> web.Response:
        """Render the error as a response."""
        return error_response(self.status, self.code, self.description)


def json_response(data: Any, status: int = 200) -> web.Response:
    """Return ``data`` as a compact JSON response."""
    return web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )


def error_response(status: int, code: str, description: str) -> web.Response:
    """Return ``{"errors": [{"code", "description"}]}`` with ``status``."""
    return json_response(
        {"errors": [{"code": code, "description": description}]}, status=status
    )


async def read_json_body(request: web.Request) -> dict[str, Any]:
    """Read a request body as a JSON object; an empty body reads as ``{}``.

    Raises:
        ApiError: 400 ``invalid_body`` for malformed JSON or a non-object value.
    """
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise ApiError(
            400, "invalid_body", "The request body is not valid JSON."
        ) from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The request body must be a JSON object.")
    return body
