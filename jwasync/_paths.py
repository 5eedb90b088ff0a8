"""Path parameters: validated ids, substituted into route templates."""

from __future__ import annotations

import re
import string

from ._errors import InvalidIdError

__all__ = ["check_id", "format_path"]

# JW ids are short alphanumeric strings (media "Ny05CEfj", site "Abc12345"); upload
# ids and playlist types add hyphens or underscores. Nothing else may reach a path:
# no "/", "..", "?", "%", whitespace, or non-ASCII look-alikes.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def check_id(value: object, name: str = "id") -> str:
    """Return ``value`` if it is a valid path id.

    Raises:
        InvalidIdError: It is not a non-empty string of letters, digits, ``_``
            and ``-`` (at most 128 characters).
    """
    if not isinstance(value, str):
        raise InvalidIdError(f"{name} must be a str, not {type(value).__name__}")
    if not _ID.fullmatch(value):
        shown = value if len(value) <= 40 and value.isprintable() else value[:40] + "…"
        raise InvalidIdError(f"{name} {shown!r} is not a valid JW Player id")
    return value


def format_path(template: str, **ids: str) -> str:
    """Fill a route template such as ``/v2/sites/{site_id}/media/`` with checked ids.

    Raises:
        InvalidIdError: An id is not valid.
        KeyError: The template names an id that was not given.
    """
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    values = {name: check_id(ids[name], name) for name in names}
    return template.format(**values)
