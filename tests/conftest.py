"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import aioresponses.core
import pytest
from aioresponses import aioresponses as _aioresponses


class _FinishedWriter:
    """Stands in for the stream writer of a request that was never written."""

    output_size = 0


class _CompatResponse(aiohttp.ClientResponse):
    # aiohttp 3.14 made `stream_writer` a required argument and aioresponses 0.7.9
    # does not pass it (pnuckowski/aioresponses#289); supply a finished one.
    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _FinishedWriter())
        super().__init__(method, url, **kwargs)


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[_aioresponses]:
    """aioresponses, made to work with the installed aiohttp."""
    monkeypatch.setattr(aioresponses.core, "ClientResponse", _CompatResponse)
    with _aioresponses() as m:
        yield m
