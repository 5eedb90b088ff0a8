"""Where upload bytes come from: a path, a sync binary stream or an async one.

A source is read one part at a time (``read_at``), never whole. A path is read with
``os.pread`` in a worker thread, so any part can be read again for a retry or a
resume. A stream is read forward only: a part behind the current position cannot
be read again, which is why the uploader keeps each part's bytes in memory until
the part is confirmed.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import os
import stat
from collections.abc import AsyncIterator
from typing import Any, Protocol, runtime_checkable

from ._errors import UploadError

__all__ = [
    "AsyncReader",
    "Source",
    "SyncReader",
    "UploadSource",
    "open_source",
]

_SKIP_CHUNK = 1 << 20


@runtime_checkable
class SyncReader(Protocol):
    """A binary stream with a blocking ``read`` (an open file, ``io.BytesIO``)."""

    def read(self, size: int = -1, /) -> bytes: ...


class AsyncReader(Protocol):
    """A binary stream whose ``read`` is a coroutine (aiofiles, a StreamReader)."""

    async def read(self, size: int = -1, /) -> bytes: ...


UploadSource = str | os.PathLike[str] | SyncReader | AsyncReader


class Source:
    """Bytes of known size, read by offset.

    Attributes:
        size: The number of bytes to upload.
        identity: What identifies a file on disk between processes (path, size,
            mtime); None for a stream, whose identity cannot be checked.
        rereadable: Whether any offset can be read again (a retry of a direct
            upload, a hash check on resume).
    """

    size: int
    identity: dict[str, Any] | None = None
    rereadable: bool = False

    async def read_at(self, offset: int, length: int) -> bytes | bytearray:
        """Return ``length`` bytes from ``offset`` (fewer only at the end).

        The result is a new object, never reused or changed afterwards: a PUT that
        was abandoned may still be flushing it from a socket buffer.
        """
        raise NotImplementedError

    async def chunks(self, chunk_size: int) -> AsyncIterator[bytes | bytearray]:
        """Yield the whole content from the start, ``chunk_size`` bytes at a time."""
        offset = 0
        while offset < self.size:
            chunk = await self.read_at(offset, min(chunk_size, self.size - offset))
            offset += len(chunk)
            yield chunk

    def check_unchanged(self) -> None:
        """Raise ``UploadError`` if the source changed since it was opened."""

    def close(self) -> None:
        """Release the file handle, if this source opened one."""


class _PathSource(Source):
    rereadable = True

    def __init__(self, path: str) -> None:
        self._path = path
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            raise ValueError(f"no such file: {path!r}") from None
        except IsADirectoryError:
            raise ValueError(f"not a regular file: {path!r}") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise ValueError(f"not a regular file: {path!r}")
        self._fd: int | None = fd
        self.size = info.st_size
        self.identity = {
            "path": os.path.abspath(path),
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
        }

    def _pread_into(self, buffer: bytearray, offset: int) -> int:
        fd = self._fd
        if fd is None:
            raise UploadError("the source file was closed")
        view = memoryview(buffer)
        got = 0
        while got < len(buffer):  # a short read: keep asking until full or the end
            count = os.preadv(fd, [view[got:]], offset + got)
            if not count:
                break
            got += count
        return got

    async def read_at(self, offset: int, length: int) -> bytearray:
        # The buffer is made here, in the event loop's thread, and only filled in
        # the worker thread: glibc gives each thread its own arena, and buffers
        # freed across arenas inflate the resident size well past the parts alive.
        buffer = bytearray(min(length, self.size - offset))
        got = await asyncio.to_thread(self._pread_into, buffer, offset)
        if got != len(buffer):
            raise UploadError(
                f"{os.path.basename(self._path)!r} changed while uploading "
                "(it is shorter than when the upload began)"
            )
        return buffer

    def check_unchanged(self) -> None:
        try:
            info = os.stat(self._path)
        except OSError:
            raise UploadError(
                f"{os.path.basename(self._path)!r} vanished while uploading"
            ) from None
        if info.st_size != self.size or (
            self.identity and info.st_mtime_ns != self.identity["mtime_ns"]
        ):
            raise UploadError(
                f"{os.path.basename(self._path)!r} changed while uploading; "
                "the upload was not completed"
            )

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


class _ForwardSource(Source):
    """A stream read in order; a seekable sync stream can also go back."""

    def __init__(self, stream: Any, size: int, *, is_async: bool) -> None:
        self._stream = stream
        self._async = is_async
        self.size = size
        self._seekable = not is_async and _seekable(stream)
        self._base = stream.tell() if self._seekable else 0
        self._position = 0
        self._lock = asyncio.Lock()
        self.rereadable = self._seekable

    async def _read(self, size: int) -> bytes:
        if self._async:
            data = await self._stream.read(size)
        elif isinstance(self._stream, io.BytesIO):
            data = self._stream.read(size)  # in memory: no thread needed
        else:
            data = await asyncio.to_thread(self._stream.read, size)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError("the stream's read() must return bytes (open it in 'rb')")
        return bytes(data)

    async def _read_exactly(self, length: int) -> bytes:
        pieces: list[bytes] = []
        got = 0
        while got < length:
            data = await self._read(length - got)
            if not data:
                break
            pieces.append(data)
            got += len(data)
        self._position += got
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    async def read_at(self, offset: int, length: int) -> bytes:
        async with self._lock:
            if offset != self._position:
                await self._move(offset)
            want = min(length, self.size - offset)
            data = await self._read_exactly(want)
        if len(data) != want:
            raise UploadError(
                f"the stream ended after {offset + len(data)} of {self.size} bytes"
            )
        return data

    async def _move(self, offset: int) -> None:
        if self._seekable:
            await asyncio.to_thread(self._stream.seek, self._base + offset)
            self._position = offset
            return
        if offset < self._position:
            raise UploadError(
                "the stream cannot go back to re-read bytes; pass a path or a "
                "seekable stream to retry or verify them"
            )
        while self._position < offset:  # skip parts already uploaded
            skipped = await self._read_exactly(
                min(_SKIP_CHUNK, offset - self._position)
            )
            if not skipped:
                raise UploadError(
                    f"the stream ended after {self._position} of {self.size} bytes"
                )


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable()) and callable(getattr(stream, "tell", None))
    except (AttributeError, OSError, ValueError):
        return False


def _stream_size(stream: Any) -> int | None:
    if _seekable(stream):
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return int(end) - int(here)
    fileno = getattr(stream, "fileno", None)
    if callable(fileno):
        try:
            info = os.fstat(fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            return None
        if stat.S_ISREG(info.st_mode):
            return info.st_size
    return None


def _is_async_reader(source: object) -> bool:
    read = getattr(source, "read", None)
    return read is not None and (
        inspect.iscoroutinefunction(read)
        or inspect.iscoroutinefunction(getattr(read, "__func__", None))
    )


def open_source(source: object, size: int | None = None) -> Source:
    """Open what the caller passed as an upload source, checking it fully first.

    Args:
        source: A path, a sync binary stream or an async binary stream.
        size: The number of bytes to send; required for a stream whose size cannot
            be found (a pipe, an async stream). For a seekable stream it defaults
            to the bytes from the current position to the end.

    Raises:
        ValueError: The path does not exist or is not a regular file; the size is
            negative, zero or more than the stream holds.
        TypeError: The source is of no supported kind, or its size is unknown.
    """
    if size is not None and (
        isinstance(size, bool) or not isinstance(size, int) or size < 0
    ):
        raise ValueError("size must be a non-negative int")
    if isinstance(source, str | os.PathLike):
        path = os.fsdecode(source)
        opened: Source = _PathSource(path)
        if size is not None and size != opened.size:
            opened.close()
            raise ValueError(f"size={size} but the file holds {opened.size} bytes")
    elif isinstance(source, bytes | bytearray | memoryview):
        raise TypeError("pass bytes wrapped in io.BytesIO, or a path")
    elif _is_async_reader(source):
        if size is None:
            raise TypeError("an async stream's size is unknown: pass size=")
        opened = _ForwardSource(source, size, is_async=True)
    elif isinstance(source, SyncReader):
        found = _stream_size(source)
        if size is None:
            if found is None:
                raise TypeError("the stream's size is unknown: pass size=")
            size = found
        elif found is not None and size > found:
            raise ValueError(f"size={size} but the stream holds {found} bytes")
        opened = _ForwardSource(source, size, is_async=False)
    else:
        raise TypeError(
            "source must be a path or a binary stream, not " + type(source).__name__
        )
    if opened.size == 0:
        opened.close()
        raise ValueError("the source is empty; there is nothing to upload")
    return opened
