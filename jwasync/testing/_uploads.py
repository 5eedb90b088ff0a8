"""Uploads for the fake: presigned S3-style PUT targets, multipart parts and faults.

Presigned links point at the fake itself (``{url}/_s3/direct/{upload_id}`` and
``{url}/_s3/parts/{upload_id}/{n}``) and carry an ``X-Amz-Signature`` that must
come back unchanged. Like S3, those PUTs take no ``Authorization`` header, and a
``Content-Type`` is allowed only where the signature covered one: exactly the
``mime_type`` given for a direct upload, none otherwise. Failures answer with an
S3-style XML body.

Multipart part links are created lazily: asking for page ``p`` of length ``k``
returns parts ``(p-1)k+1 .. pk`` (up to ``max_parts``), since the real API is not
told the file size. ``complete`` assembles parts ``1..N`` where ``N`` is the
highest uploaded part.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from ._http import ApiError

__all__ = ["Upload", "Uploads"]

JSON = dict[str, Any]

UploadMethod = Literal["direct", "multipart"]

_AMZ_FIXED = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=FAKEAKIAEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
)
_READ_CHUNK = 1 << 20


@dataclass(eq=False)
class Upload:
    """One pending or finished upload of a media's file."""

    upload_id: str
    site_id: str
    media_id: str
    method: UploadMethod
    token: str | None
    mime_type: str | None
    salt: str
    parts: dict[int, bytes] = field(default_factory=dict)
    etags: dict[int, str] = field(default_factory=dict)
    puts: Counter[int] = field(default_factory=Counter)
    completed: bool = False


@dataclass
class _PartFaults:
    stalls: list[float] = field(default_factory=list)
    resets: int = 0
    failures: list[int] = field(default_factory=list)


def _s3_error(status: int, code: str, message: str) -> web.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return web.Response(text=body, status=status, content_type="application/xml")


class Uploads:
    """Every upload of one fake, its stored bytes and its scheduled faults."""

    def __init__(
        self,
        *,
        rng: random.Random,
        base_url: Callable[[], str],
        on_complete: Callable[[Upload, bytes], None],
        min_part_size: int,
        max_parts: int,
        part_latency: float,
    ) -> None:
        """Create an empty registry.

        Args:
            rng: Seeded source for ids, tokens and signatures.
            base_url: Returns the fake's base URL for building links.
            on_complete: Called with the assembled bytes once an upload is whole.
            min_part_size: Smallest size allowed for a multipart part but the last.
            max_parts: Highest part number.
            part_latency: Seconds to wait before answering each presigned PUT.
        """
        self._rng = rng
        self._base_url = base_url
        self._on_complete = on_complete
        self._min_part_size = min_part_size
        self._max_parts = max_parts
        self._part_latency = part_latency
        self._by_id: dict[str, Upload] = {}
        self._by_token: dict[str, Upload] = {}
        self._by_media: dict[str, Upload] = {}
        self._bytes: dict[str, bytes] = {}
        self._faults: dict[tuple[str | None, int], _PartFaults] = {}

    # --- creation and lookup ---------------------------------------------------

    def create(
        self, site_id: str, media_id: str, method: UploadMethod, mime_type: str | None
    ) -> Upload:
        """Start a new upload for a media, replacing any earlier one."""
        upload = Upload(
            upload_id=self._hex(16),
            site_id=site_id,
            media_id=media_id,
            method=method,
            token=self._hex(32) if method == "multipart" else None,
            mime_type=mime_type,
            salt=self._hex(32),
        )
        self._by_id[upload.upload_id] = upload
        self._by_media[media_id] = upload
        if upload.token is not None:
            self._by_token[upload.token] = upload
        return upload

    def _hex(self, length: int) -> str:
        return f"{self._rng.getrandbits(length * 4):0{length}x}"

    def by_token(self, token: str) -> Upload | None:
        """Return the multipart upload an ``upload_token`` belongs to."""
        return self._by_token.get(token)

    def resolve(self, target: str) -> Upload:
        """Find an upload by its upload id or by its media's id (latest upload).

        Raises:
            KeyError: When neither matches.
        """
        found = self._by_id.get(target) or self._by_media.get(target)
        if found is None:
            raise KeyError(f"no upload for {target!r}")
        return found

    def link(self, upload: Upload, part: int) -> str:
        """Return the presigned URL for one part (part 1 for a direct upload)."""
        base = self._base_url()
        signature = self._signature(upload, part)
        if upload.method == "direct":
            path = f"/_s3/direct/{upload.upload_id}"
            extra = ""
        else:
            path = f"/_s3/parts/{upload.upload_id}/{part}"
            extra = f"&partNumber={part}&uploadId={upload.upload_id}"
        return f"{base}{path}?{_AMZ_FIXED}{extra}&X-Amz-Signature={signature}"

    @staticmethod
    def _signature(upload: Upload, part: int) -> str:
        return hashlib.sha256(f"{upload.salt}:{part}".encode()).hexdigest()

    def uploaded_bytes(self, media_id: str) -> bytes | None:
        """Return the assembled file of a media, or None before it is complete."""
        return self._bytes.get(media_id)

    def total_bytes(self, site_id: str) -> int:
        """Return the size of every completed file in a site."""
        return sum(
            len(self._bytes.get(upload.media_id, b""))
            for upload in self._by_media.values()
            if upload.site_id == site_id
        )

    # --- faults ----------------------------------------------------------------

    def _fault_slot(self, target: str | None, part: int) -> _PartFaults:
        key = (None if target is None else self.resolve(target).upload_id, part)
        return self._faults.setdefault(key, _PartFaults())

    def add_failure(
        self, target: str | None, part: int, times: int, status: int
    ) -> None:
        """Answer the next ``times`` PUTs of a part with ``status``."""
        self._fault_slot(target, part).failures.extend([status] * times)

    def add_reset(self, target: str | None, part: int, times: int) -> None:
        """Drop the connection of the next ``times`` PUTs of a part mid-body."""
        self._fault_slot(target, part).resets += times

    def add_stall(
        self, target: str | None, part: int, seconds: float, times: int
    ) -> None:
        """Hold the next ``times`` PUTs of a part for ``seconds`` before reading."""
        self._fault_slot(target, part).stalls.extend([seconds] * times)

    def put_count(self, target: str | None, part: int | None) -> int:
        """Count PUTs received for one upload (or all, for None), one part or all."""
        uploads = self._by_id.values() if target is None else [self.resolve(target)]
        return sum(
            count
            for upload in uploads
            for number, count in upload.puts.items()
            if part is None or number == part
        )

    def _pending_faults(self, upload: Upload, part: int) -> list[_PartFaults]:
        keys = ((upload.upload_id, part), (None, part))
        return [self._faults[key] for key in keys if key in self._faults]

    # --- presigned PUTs --------------------------------------------------------

    async def handle_put(self, request: web.Request) -> web.StreamResponse:
        """Serve a PUT to a presigned link, as S3 would."""
        located = self._locate(request.path)
        if located is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        upload, part = located
        if request.method != "PUT":
            return _s3_error(405, "MethodNotAllowed", "Only PUT is allowed here.")
        upload.puts[part] += 1
        refused = self._refuse(request, upload, part)
        if refused is not None:
            return refused
        faulted = await self._apply_faults(request, upload, part)
        if faulted is not None:
            return faulted
        return await self._store(request, upload, part)

    def _locate(self, path: str) -> tuple[Upload, int] | None:
        parts = path.removeprefix("/_s3/").split("/")
        if len(parts) == 2 and parts[0] == "direct":
            upload = self._by_id.get(parts[1])
            return None if upload is None or upload.method != "direct" else (upload, 1)
        if len(parts) == 3 and parts[0] == "parts" and parts[2].isdigit():
            upload = self._by_id.get(parts[1])
            if upload is None or upload.method != "multipart":
                return None
            return upload, int(parts[2])
        return None

    def _refuse(
        self, request: web.Request, upload: Upload, part: int
    ) -> web.Response | None:
        if "Authorization" in request.headers:
            return _s3_error(
                403, "AccessDenied", "Presigned URLs take no Authorization header."
            )
        if request.query.get("X-Amz-Signature") != self._signature(upload, part):
            return _s3_error(403, "SignatureDoesNotMatch", "The signature is wrong.")
        expected = upload.mime_type if upload.method == "direct" else None
        if request.headers.get("Content-Type") != expected:
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "Content-Type must match the signed value"
                + ("." if expected else " (none was signed)."),
            )
        if upload.method == "multipart" and upload.completed:
            return _s3_error(404, "NoSuchUpload", "The upload was already completed.")
        if not 1 <= part <= self._max_parts:
            return _s3_error(400, "InvalidArgument", "Part number out of range.")
        return None

    async def _apply_faults(
        self, request: web.Request, upload: Upload, part: int
    ) -> web.StreamResponse | None:
        for faults in self._pending_faults(upload, part):
            if faults.stalls:
                await asyncio.sleep(faults.stalls.pop(0))
            if faults.resets:
                faults.resets -= 1
                return await _reset(request)
            if faults.failures:
                status = faults.failures.pop(0)
                await _drain(request)
                return _s3_error(status, "InternalError", "Injected failure.")
        return None

    async def _store(
        self, request: web.Request, upload: Upload, part: int
    ) -> web.Response:
        digest = hashlib.md5(usedforsecurity=False)
        chunks: list[bytes] = []
        async for chunk in request.content.iter_chunked(_READ_CHUNK):
            digest.update(chunk)
            chunks.append(chunk)
        data = b"".join(chunks)
        del chunks
        etag = digest.hexdigest()
        upload.etags[part] = etag
        if upload.method == "direct":
            self._finish(upload, data)
        else:
            upload.parts[part] = data
        if self._part_latency > 0:
            await asyncio.sleep(self._part_latency)
        return web.Response(status=200, headers={"ETag": f'"{etag}"'})

    def _finish(self, upload: Upload, data: bytes) -> None:
        upload.completed = True
        self._bytes[upload.media_id] = data
        self._on_complete(upload, data)

    # --- multipart API ---------------------------------------------------------

    def list_parts(self, upload: Upload, page: int, page_length: int) -> JSON:
        """Return one page of part links in the standard envelope (key ``parts``).

        ``total`` is ``max_parts``: the server does not know how many the client
        needs.
        """
        first = (page - 1) * page_length + 1
        last = min(page * page_length, self._max_parts)
        parts: list[JSON] = []
        for number in range(first, last + 1):
            entry: JSON = {"id": number, "upload_link": self.link(upload, number)}
            if number in upload.etags:
                entry["etag"] = upload.etags[number]
            parts.append(entry)
        return {
            "parts": parts,
            "page": page,
            "page_length": page_length,
            "total": self._max_parts,
        }

    def complete(self, upload: Upload) -> None:
        """Assemble parts ``1..N``; repeating it after success is harmless.

        Raises:
            ApiError: 400 when no part is uploaded, one is missing, or a part
                other than the last is smaller than ``min_part_size``.
        """
        if upload.completed:
            return
        if not upload.parts:
            raise ApiError(400, "upload_incomplete", "No part has been uploaded.")
        count = max(upload.parts)
        missing = [n for n in range(1, count + 1) if n not in upload.parts]
        if missing:
            raise ApiError(400, "upload_incomplete", f"Parts missing: {missing[:10]}.")
        small = [
            n for n in range(1, count) if len(upload.parts[n]) < self._min_part_size
        ]
        if small:
            raise ApiError(
                400,
                "part_too_small",
                f"Parts smaller than {self._min_part_size} bytes: {small[:10]}.",
            )
        data = b"".join(upload.parts[n] for n in range(1, count + 1))
        # The assembled copy replaces the parts so a big upload is held once.
        upload.parts.clear()
        self._finish(upload, data)


async def _drain(request: web.Request) -> None:
    async for _ in request.content.iter_chunked(_READ_CHUNK):
        pass


async def _reset(request: web.Request) -> web.Response:
    # Take part of the body first so the client is mid-send, then drop the socket;
    # unread bytes make the kernel answer with a reset, as a dying proxy would.
    await request.content.readany()
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)
