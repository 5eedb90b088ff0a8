"""Uploads: direct, multipart (concurrent, verified, resumable), fetch and external.

:class:`MediaUploads` is mixed into the media resource and adds
:meth:`MediaUploads.upload`. How a multipart upload runs:

1. Create the media (``POST …/media/``, or ``PUT …/media/{id}/reupload/``) and keep
   its ``upload_id`` and ``upload_token`` in an :class:`UploadState`.
2. List the part links (``GET /v2/uploads/{id}/parts``, ``Bearer <upload_token>``),
   1000 a page, through the client's budget like every API call.
3. ``concurrency`` workers take parts in file order. Each reads its part (one part
   in memory per worker, never the whole file), hashes it in a thread and PUTs it
   to the part's presigned link, outside the budget; each PUT is verified against
   its ``ETag`` and retried on its own (see ``_upload_transfer``). One failed part
   stops the others only once its retries are spent.
4. ``PUT /v2/uploads/{id}/complete`` through the budget.

The state is saved (0600, atomically, at most once a second and at every stop) to
``state_file`` and handed to ``on_state``. Resuming lists the parts again: a part
the server already holds is skipped when its saved MD5 matches the server's ETag and
the file's size and mtime are unchanged; otherwise the local bytes are hashed and a
mismatch raises :class:`~jwasync.IntegrityError` before anything is sent over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import aiohttp

from ._errors import IntegrityError, InvalidResponseError, UploadError
from ._paths import check_id, format_path
from ._session import Sleep
from ._upload_source import Source, UploadSource, open_source
from ._upload_state import UploadState
from ._upload_transfer import PartRetry, Sender, check_link, md5_hex
from .resources._base import Caller, Resource

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MULTIPART_THRESHOLD",
    "DEFAULT_PART_SIZE",
    "MAX_PARTS",
    "MediaUploads",
    "PartRetry",
    "Progress",
    "UploadHost",
    "UploadMethod",
    "UploadSource",
    "UploadState",
    "media_uploads",
    "public_media",
]

logger = logging.getLogger(__name__)

UploadMethod = Literal["auto", "direct", "multipart", "fetch", "external"]
Progress = Callable[[int, int], object]
"""Called with (bytes done, bytes total) as an upload advances."""

DEFAULT_PART_SIZE = 8 * 1024 * 1024
DEFAULT_MULTIPART_THRESHOLD = 100 * 1024 * 1024
DEFAULT_CONCURRENCY = 4
MAX_PARTS = 10_000
MAX_DIRECT_SIZE = 5 * 1024**3
MAX_PART_SIZE = 5 * 1024**3
MAX_CONCURRENCY = 64

_METHODS = frozenset({"auto", "direct", "multipart", "fetch", "external"})
_PARTS_PAGE = 1000
_CHUNK = 1 << 20
_SAVE_INTERVAL = 1.0
_CREATE = "/v2/sites/{site_id}/media/"
_REUPLOAD = "/v2/sites/{site_id}/media/{media_id}/reupload/"
_PARTS = "/v2/uploads/{upload_id}/parts"
_COMPLETE = "/v2/uploads/{upload_id}/complete"
# Fields of a create response that grant upload rights: never returned or saved.
_CREDENTIALS = frozenset({"upload_link", "upload_token"})


@runtime_checkable
class UploadHost(Caller, Protocol):
    """What uploads need from the client: API calls, a raw session, sleep, jitter."""

    user_agent: str
    _sleep: Sleep
    _rng: random.Random

    def _http_session(self) -> aiohttp.ClientSession: ...


class MediaUploads(Resource):
    """Upload methods of the media resource (mixed into ``client.media``)."""

    accessor = "media"

    async def upload(
        self,
        site_id: str,
        source: UploadSource,
        *,
        metadata: Mapping[str, Any] | None = None,
        method: UploadMethod = "auto",
        media_id: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
        part_size: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        state_file: str | os.PathLike[str] | None = None,
        resume: UploadState | None = None,
        on_state: Callable[[UploadState], object] | None = None,
        verify: bool = False,
        progress: Progress | None = None,
        retry: PartRetry | None = None,
        upload_fields: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Upload a file into a new media item (or a new version of one).

        Args:
            site_id: The site (property) id.
            source: A path, or a binary stream (sync, or with ``async def read``)
                positioned at the first byte to send. For ``fetch`` and
                ``external``, the URL to fetch from or to point at.
            metadata: The media's metadata (title, tags, ...).
            method: ``auto`` picks ``direct`` up to ``multipart_threshold`` bytes
                and ``multipart`` above; ``fetch`` has JW download ``source``;
                ``external`` registers ``source`` as externally hosted.
            media_id: Re-upload into this existing media item
                (``PUT …/media/{id}/reupload/``) instead of creating one.
            mime_type: Sent at create time; a direct upload then sends the same
                ``Content-Type`` (and none when this is None).
            size: Bytes to send, for a stream whose size cannot be found.
            part_size: Bytes per multipart part. Defaults to 8 MiB, or more when
                the file would otherwise need over 10,000 parts. The API refuses
                parts under 5 MB but the last. Ignored when resuming.
            concurrency: Parts in flight at once (1 to 64); peak memory is about
                ``concurrency × part_size``.
            multipart_threshold: Size above which ``auto`` uses multipart.
            state_file: A JSON file holding the multipart upload's state (it
                contains the upload token and is written with mode 0600). If it
                exists, the upload it describes is resumed; it is deleted once the
                upload completes. Ignored by direct uploads.
            resume: A saved state to resume (from :meth:`UploadState.load`, or
                from ``on_state``), instead of creating a media item.
            on_state: Called with the live state after create and as parts
                finish (at most once a second, and at every stop).
            verify: On resume, hash every part the server already holds, even
                when the file looks unchanged.
            progress: Called with (bytes done, bytes total): as bytes are sent
                for a direct upload (back to 0 if it is retried), as each part is
                confirmed for multipart.
            retry: Per-part retries and timeouts for the presigned PUTs.
            upload_fields: Extra fields for the ``upload`` object
                (``trim_in_point``, say).

        Returns:
            The media object from the create (or reupload) call, without its
            upload link or token.

        Raises:
            ValueError: A missing or empty file, a bad argument or a state that
                belongs to another file; raised before any request.
            TypeError: A source of no supported kind, or a stream of unknown size.
            PartUploadError: A part (or the direct upload) failed after retries.
            IntegrityError: The server holds bytes that differ from the local ones.
            UploadError: The API's answer lacked what an upload needs.
            APIError: An API call (create, parts, complete) failed.
        """
        fields, meta = _check_arguments(
            site_id=site_id,
            method=method,
            media_id=media_id,
            metadata=metadata,
            mime_type=mime_type,
            part_size=part_size,
            concurrency=concurrency,
            multipart_threshold=multipart_threshold,
            upload_fields=upload_fields,
        )
        host = self._upload_host()
        if method in {"fetch", "external"}:
            if resume is not None or state_file is not None:
                raise ValueError(f"a {method} upload cannot be resumed")
            return await self._from_url(
                host, site_id, source, method, media_id, meta, fields
            )
        sender = _sender(host, retry)  # refuses a session that would send credentials
        if isinstance(source, str) and source.startswith(("http://", "https://")):
            raise ValueError(
                "source looks like a URL: use method='fetch' (JW downloads it) or "
                "method='external' (JW points at it)"
            )

        state = resume
        if state is None and state_file is not None:
            state = _load_state(state_file)
        if state is not None and method == "direct":
            raise ValueError("a direct upload cannot be resumed")

        src = open_source(source, size)
        try:
            if state is not None:
                _check_resumable(state, site_id, media_id, src)
                job = _Multipart(host, src, state, sender, concurrency, progress)
                return await job.run(state_file, on_state, verify)
            chosen = method
            if method == "auto":
                chosen = "multipart" if src.size > multipart_threshold else "direct"
            if chosen == "direct":
                return await self._direct(
                    host, sender, site_id, src, media_id, meta, fields, progress
                )
            chunk = _part_size_for(src.size, part_size)
            created = await self._start(
                host, site_id, media_id, meta, {"method": "multipart", **fields}
            )
            state = _new_state(site_id, media_id, created, src, chunk)
            job = _Multipart(host, src, state, sender, concurrency, progress)
            return await job.run(state_file, on_state, verify)
        finally:
            src.close()

    # -- steps -----------------------------------------------------------------------

    def _upload_host(self) -> UploadHost:
        host = self._client
        if not isinstance(host, UploadHost):
            raise TypeError("uploads need a JWPlatformClient")
        return host

    async def _start(
        self,
        host: UploadHost,
        site_id: str,
        media_id: str | None,
        metadata: dict[str, Any] | None,
        upload: dict[str, Any],
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"upload": upload}
        if media_id is None:
            if metadata is not None:
                body["metadata"] = metadata
            path = format_path(_CREATE, site_id=site_id)
            created = await host._call("POST", path, json=body)
        else:
            path = format_path(_REUPLOAD, site_id=site_id, media_id=media_id)
            # A repeated reupload would open a second upload; never repeat it blindly.
            created = await host._call("PUT", path, json=body, idempotent=False)
        if not isinstance(created, dict):
            raise InvalidResponseError(
                f"{'PUT' if media_id else 'POST'} {path}: no media object returned",
                status=200,
                method="PUT" if media_id else "POST",
                path=path,
            )
        if media_id is not None:
            created.setdefault("id", media_id)
        if not isinstance(created.get("id"), str):
            raise UploadError("the API's answer has no media id")
        logger.info(
            "media %s: %s upload started", created["id"], upload.get("method", "?")
        )
        return created

    async def _from_url(
        self,
        host: UploadHost,
        site_id: str,
        source: object,
        method: str,
        media_id: str | None,
        metadata: dict[str, Any] | None,
        fields: dict[str, Any],
    ) -> dict[str, Any]:
        if not isinstance(source, str) or not source.startswith(
            ("http://", "https://")
        ):
            raise ValueError(f"a {method} upload takes an http(s) URL as its source")
        key = "download_url" if method == "fetch" else "source_url"
        upload = {"method": method, key: source, **fields}
        return public_media(
            await self._start(host, site_id, media_id, metadata, upload)
        )

    async def _direct(
        self,
        host: UploadHost,
        sender: Sender,
        site_id: str,
        src: Source,
        media_id: str | None,
        metadata: dict[str, Any] | None,
        fields: dict[str, Any],
        progress: Progress | None,
    ) -> dict[str, Any]:
        if src.size > MAX_DIRECT_SIZE:
            raise ValueError("a direct upload is limited to 5 GiB; use multipart")
        created = await self._start(
            host, site_id, media_id, metadata, {"method": "direct", **fields}
        )
        link = check_link(created.get("upload_link"), "the direct upload")
        sender.name = f"media {created['id']}"
        done = 0

        def restart() -> None:
            nonlocal done
            done = 0
            if progress is not None:
                progress(0, src.size)

        async def body() -> AsyncIterator[bytes | bytearray]:
            nonlocal done
            async for chunk in src.chunks(_CHUNK):
                yield chunk
                done += len(chunk)
                if progress is not None:
                    progress(done, src.size)

        await sender.put_direct(
            link,
            src.size,
            body,
            mime_type=fields.get("mime_type"),
            on_restart=restart,
            retryable=src.rereadable,
        )
        logger.info("media %s: direct upload stored (%d bytes)", created["id"], done)
        return public_media(created)


class _Multipart:
    """One multipart upload's run: list parts, send the missing ones, complete."""

    def __init__(
        self,
        host: UploadHost,
        src: Source,
        state: UploadState,
        sender: Sender,
        concurrency: int,
        progress: Progress | None,
    ) -> None:
        self.host = host
        self.src = src
        self.state = state
        self.sender = sender
        sender.name = f"media {state.media_id}"
        self.concurrency = concurrency
        self.progress = progress
        self.done_bytes = 0

    async def run(
        self,
        state_file: str | os.PathLike[str] | None,
        on_state: Callable[[UploadState], object] | None,
        verify: bool,
    ) -> dict[str, Any]:
        state = self.state
        saver = _StateSaver(state, state_file, on_state)
        saver.save(force=True)
        completed = False
        try:
            links, etags = await self._list_parts()
            plan = self._plan(etags, verify)
            if self.progress is not None:
                self.progress(self.done_bytes, state.size)
            await self._send(plan, links, etags, saver)
            self.src.check_unchanged()
            path = format_path(_COMPLETE, upload_id=state.upload_id)
            await self.host._call("PUT", path, token=state.upload_token)
            completed = True
            logger.info(
                "media %s: multipart upload complete (%d parts)",
                state.media_id,
                state.part_count,
            )
        finally:
            if completed:
                saver.finish()
            else:
                saver.save(force=True)
        return dict(state.media) or {"id": state.media_id}

    async def _list_parts(self) -> tuple[dict[int, str], dict[int, str]]:
        state = self.state
        count = state.part_count
        page_length = min(count, _PARTS_PAGE)
        path = format_path(_PARTS, upload_id=state.upload_id)
        links: dict[int, str] = {}
        etags: dict[int, str] = {}
        for page in range(1, -(-count // page_length) + 1):
            data = await self.host._call(
                "GET",
                path,
                params={"page": page, "page_length": page_length},
                token=state.upload_token,
            )
            items = data.get("parts") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise InvalidResponseError(
                    f"GET {path}: no 'parts' list", status=200, method="GET", path=path
                )
            for item in items:
                number = item.get("id") if isinstance(item, dict) else None
                if isinstance(number, str) and number.isdigit():
                    number = int(number)
                if not isinstance(number, int) or not 1 <= number <= count:
                    continue
                links[number] = item.get("upload_link")
                etag = item.get("etag")
                if isinstance(etag, str) and etag:
                    etags[number] = etag.strip().strip('"').lower()
            if not items:
                break
        if len(links) < count:
            raise UploadError(f"the API listed {len(links)} of {count} part links")
        return links, etags

    def _plan(self, etags: dict[int, str], verify: bool) -> list[tuple[int, bool]]:
        """Return (part, check only) for each part to read; settle trusted parts."""
        state = self.state
        trusted = not verify and _same_file(state.source, self.src.identity)
        plan: list[tuple[int, bool]] = []
        for number in range(1, state.part_count + 1):
            server = etags.get(number)
            saved = state.parts.get(number)
            if server is None:
                state.parts.pop(number, None)
                plan.append((number, False))
            elif saved is not None and trusted:
                if saved != server:
                    raise IntegrityError(
                        f"part {number}: the server holds other bytes than this "
                        "upload sent (its ETag differs from the saved MD5)",
                        part=number,
                    )
                self.done_bytes += self._length(number)
            else:
                plan.append((number, True))
        sends = sum(1 for _, check in plan if not check)
        logger.info(
            "media %s: %d of %d parts to send, %d to check",
            state.media_id,
            sends,
            state.part_count,
            len(plan) - sends,
        )
        return plan

    def _length(self, number: int) -> int:
        size, part_size = self.state.size, self.state.part_size
        return min(part_size, size - (number - 1) * part_size)

    async def _send(
        self,
        plan: list[tuple[int, bool]],
        links: dict[int, str],
        etags: dict[int, str],
        saver: _StateSaver,
    ) -> None:
        urls = {n: check_link(links[n], f"part {n}") for n, check in plan if not check}
        queue = iter(plan)
        reading = asyncio.Lock()  # parts are read in file order, one at a time

        async def worker() -> None:
            while True:
                async with reading:
                    item = next(queue, None)
                    if item is None:
                        return
                    number, check_only = item
                    offset = (number - 1) * self.state.part_size
                    data = await self.src.read_at(offset, self.state.part_size)
                digest = await asyncio.to_thread(md5_hex, data)
                if check_only:
                    if digest != etags[number]:
                        raise IntegrityError(
                            f"part {number}: the server holds other bytes than the "
                            "local file (ETag and MD5 differ); the file changed "
                            "since the upload began",
                            part=number,
                        )
                else:
                    await self.sender.put_part(urls[number], number, data, digest)
                length = len(data)
                del data
                self.state.parts[number] = digest
                self.done_bytes += length
                if self.progress is not None:
                    self.progress(self.done_bytes, self.state.size)
                saver.save()

        await _run_workers(worker, min(self.concurrency, len(plan)))


async def _run_workers(worker: Callable[[], Any], count: int) -> None:
    """Run ``count`` workers; the first failure cancels the rest and is raised."""
    if count == 0:
        return
    tasks = [asyncio.create_task(worker()) for _ in range(count)]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


class _StateSaver:
    """Writes the state to its file and callback, at most once per interval."""

    def __init__(
        self,
        state: UploadState,
        path: str | os.PathLike[str] | None,
        callback: Callable[[UploadState], object] | None,
    ) -> None:
        self.state = state
        self.path = path
        self.callback = callback
        self.last = -float("inf")

    def save(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < _SAVE_INTERVAL:
            return
        self.last = now
        if self.path is not None:
            self.state.save(self.path)
        if self.callback is not None:
            self.callback(self.state)

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.state)
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


# -- helpers ---------------------------------------------------------------------------


def public_media(created: Mapping[str, Any]) -> dict[str, Any]:
    """The media object of a create answer without the fields that grant uploads."""
    return {k: v for k, v in created.items() if k not in _CREDENTIALS}


def _sender(host: UploadHost, retry: PartRetry | None) -> Sender:
    if retry is not None and not isinstance(retry, PartRetry):
        raise TypeError("retry must be a PartRetry")
    return Sender(
        host._http_session(),
        retry or PartRetry(),
        user_agent=host.user_agent,
        sleep=host._sleep,
        rng=host._rng,
    )


def _new_state(
    site_id: str,
    media_id: str | None,
    created: dict[str, Any],
    src: Source,
    part_size: int,
) -> UploadState:
    upload_id, token = created.get("upload_id"), created.get("upload_token")
    if not isinstance(upload_id, str) or not isinstance(token, str) or not token:
        raise UploadError("the API's answer has no upload_id and upload_token")
    return UploadState(
        site_id=site_id,
        media_id=str(created["id"]),
        upload_id=check_id(upload_id, "upload_id"),
        upload_token=token,
        size=src.size,
        part_size=part_size,
        source=src.identity,
        media=public_media(created),
    )


def _load_state(path: str | os.PathLike[str]) -> UploadState | None:
    try:
        return UploadState.load(path)
    except FileNotFoundError:
        return None


def _check_arguments(
    *,
    site_id: str,
    method: str,
    media_id: str | None,
    metadata: Mapping[str, Any] | None,
    mime_type: str | None,
    part_size: int | None,
    concurrency: int,
    multipart_threshold: int,
    upload_fields: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Check what needs no I/O; return the upload fields and the metadata."""
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(_METHODS))}")
    check_id(site_id, "site_id")
    if media_id is not None:
        check_id(media_id, "media_id")
        if metadata:
            raise ValueError(
                "a reupload replaces the file only; change metadata with media.update()"
            )
    _check_int(concurrency, "concurrency", 1, MAX_CONCURRENCY)
    _check_int(multipart_threshold, "multipart_threshold", 1, None)
    if part_size is not None:
        _check_int(part_size, "part_size", 1, MAX_PART_SIZE)
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError("metadata must be a mapping")
    meta = dict(metadata) if metadata is not None else None
    return _upload_fields(upload_fields, mime_type), meta


def _check_int(value: object, name: str, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bound}")


def _upload_fields(
    extra: Mapping[str, Any] | None, mime_type: str | None
) -> dict[str, Any]:
    fields = dict(extra or {})
    reserved = {"method", "download_url", "source_url"} & fields.keys()
    if reserved:
        raise ValueError(f"upload_fields must not set {', '.join(sorted(reserved))}")
    if mime_type is not None:
        if not isinstance(mime_type, str) or not mime_type.isprintable():
            raise ValueError("mime_type must be a printable string")
        fields["mime_type"] = mime_type
    elif "mime_type" in fields and not isinstance(fields["mime_type"], str):
        raise ValueError("mime_type must be a printable string")
    return fields


def _part_size_for(size: int, part_size: int | None) -> int:
    if part_size is not None:
        if -(-size // part_size) > MAX_PARTS:
            raise ValueError(
                f"part_size {part_size} cuts the file into more than {MAX_PARTS} parts"
            )
        return part_size
    chunk = DEFAULT_PART_SIZE
    while -(-size // chunk) > MAX_PARTS:
        chunk *= 2
    return chunk


def _same_file(saved: dict[str, Any] | None, current: dict[str, Any] | None) -> bool:
    if not saved or not current:
        return False
    return all(saved.get(k) == current.get(k) for k in ("size", "mtime_ns"))


def _check_resumable(
    state: UploadState, site_id: str, media_id: str | None, src: Source
) -> None:
    if media_id is not None and media_id != state.media_id:
        raise ValueError(
            f"the saved upload is for media {state.media_id!r}, not {media_id!r}"
        )
    if state.site_id != site_id:
        raise ValueError(
            f"the saved upload belongs to site {state.site_id!r}, not {site_id!r}"
        )
    if state.size != src.size:
        raise ValueError(
            f"the saved upload is of {state.size} bytes but the source holds "
            f"{src.size}: it is another file, or it changed"
        )
    if state.part_count > MAX_PARTS:
        raise ValueError("the saved upload has more parts than the API allows")


def media_uploads(client: Caller) -> MediaUploads:
    """Return the upload methods for a client (``client.media`` once it has them)."""
    media: object = getattr(client, "media", None)
    if isinstance(media, MediaUploads):
        return media
    return MediaUploads(client)  # until resources.Media inherits MediaUploads
