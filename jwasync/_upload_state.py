"""A multipart upload's resumable state, and how it is kept on disk.

The state names the upload (site, media, upload id and token), how the file was cut
(size, part size), what identifies the file (path, size, mtime), and the MD5 of each
part the server confirmed. It is JSON, so another process can pick the upload up::

    {"version": 1, "site_id": "Abc12345", "media_id": "Ny05CEfj",
     "upload_id": "...", "upload_token": "...", "size": 734003200,
     "part_size": 8388608, "source": {"path": "/v/a.mp4", "size": 734003200,
     "mtime_ns": 1700000000000000000}, "parts": {"1": "<md5 hex>", ...},
     "media": {...the media object, without upload credentials...}}

The token lets anyone holding it upload into this media item, so the file is written
with mode 0600 (owner read/write only), atomically (a temporary file renamed over
the old one), and a warning is logged when a state file readable by others is loaded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STATE_VERSION", "UploadState", "write_private_json"]

logger = logging.getLogger(__name__)

STATE_VERSION = 1


@dataclass
class UploadState:
    """What is needed to resume a multipart upload, in this process or another.

    Attributes:
        site_id: The site (property) id.
        media_id: The media item the file is uploaded into.
        upload_id: The multipart upload's id.
        upload_token: The bearer token for the upload's API calls. Secret: it is
            never shown in ``repr``.
        size: The file's size in bytes.
        part_size: Bytes per part (the last part may be shorter).
        parts: Part number → MD5 hex of the parts the server confirmed.
        source: The file's identity (absolute path, size, ``mtime_ns``), or None
            for a stream.
        media: The media object the create call returned, without its upload
            credentials.
    """

    site_id: str
    media_id: str
    upload_id: str
    upload_token: str = field(repr=False)
    size: int
    part_size: int
    parts: dict[int, str] = field(default_factory=dict)
    source: dict[str, Any] | None = None
    media: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (
            f"UploadState(site_id={self.site_id!r}, media_id={self.media_id!r}, "
            f"upload_id={self.upload_id!r}, upload_token=[secure], size={self.size}, "
            f"part_size={self.part_size}, parts={len(self.parts)}/{self.part_count})"
        )

    @property
    def part_count(self) -> int:
        """How many parts the file is cut into."""
        return -(-self.size // self.part_size)

    def to_json(self) -> dict[str, Any]:
        """Return the state as JSON-ready data (it includes the upload token)."""
        return {
            "version": STATE_VERSION,
            "site_id": self.site_id,
            "media_id": self.media_id,
            "upload_id": self.upload_id,
            "upload_token": self.upload_token,
            "size": self.size,
            "part_size": self.part_size,
            "source": self.source,
            "parts": {str(n): md5 for n, md5 in sorted(self.parts.items())},
            "media": self.media,
        }

    @classmethod
    def from_json(cls, data: Any) -> UploadState:
        """Rebuild a state from :meth:`to_json` data.

        Raises:
            ValueError: The data is not a state this version understands.
        """
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError("not a jwasync upload state (or from another version)")
        try:
            strings = {
                key: data[key]
                for key in ("site_id", "media_id", "upload_id", "upload_token")
            }
            size, part_size = data["size"], data["part_size"]
            parts = {int(n): md5 for n, md5 in dict(data.get("parts") or {}).items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"upload state is incomplete ({exc!s:.60})") from None
        if not all(isinstance(v, str) and v for v in strings.values()):
            raise ValueError("upload state has an empty or non-text id or token")
        for number in (size, part_size):
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ValueError("upload state has an invalid size or part size")
        if not all(isinstance(m, str) and len(m) == 32 for m in parts.values()):
            raise ValueError("upload state has an invalid part checksum")
        source = data.get("source")
        media = data.get("media") or {}
        return cls(
            site_id=strings["site_id"],
            media_id=strings["media_id"],
            upload_id=strings["upload_id"],
            upload_token=strings["upload_token"],
            size=size,
            part_size=part_size,
            parts=parts,
            source=source if isinstance(source, dict) else None,
            media=media if isinstance(media, dict) else {},
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state to ``path`` atomically with mode 0600."""
        write_private_json(path, self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> UploadState:
        """Read a state written by :meth:`save`.

        Raises:
            FileNotFoundError: There is no such file.
            ValueError: The file is not a valid upload state.
        """
        return cls.from_json(read_private_json(path))


def write_private_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write JSON to ``path`` atomically, readable and writable by the owner only."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    temp = os.path.join(
        directory, f".{os.path.basename(target)}.{secrets.token_hex(4)}.tmp"
    )
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)  # whatever the umask says
            json.dump(data, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def read_private_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON state file, warning when others may read its secrets."""
    target = os.fspath(path)
    with open(target, encoding="utf-8") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            logger.warning(
                "upload state file %s is readable by other users; it holds an "
                "upload token (chmod 600 it)",
                os.path.basename(target),
            )
        try:
            return json.load(handle)
        except ValueError:
            raise ValueError(f"{os.path.basename(target)!r} is not JSON") from None
