"""Resource accessors, one module per API area."""

from ._base import Resource
from ._media import Media

__all__ = ["Media", "Resource"]
