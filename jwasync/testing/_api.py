"""The fake's request handlers: generic CRUD over the store, plus the special routes.

One generic handler per operation (list, create, get, update, delete) serves every
collection of the route table; only media (uploads, status) and a few actions have
code of their own. Handlers raise :class:`ApiError` for JW-style errors.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from ._analytics import answer_query
from ._http import ApiError, json_response, read_json_body
from ._query import QueryError, canonical_time, parse_sort
from ._routes import RESOURCES, Op, Resource
from ._store import Collection, Scope, Store, merge_patch, new_object
from ._uploads import Upload, Uploads

__all__ = ["Api", "Call", "clone_media"]

JSON = dict[str, Any]

_BY_KEY = {resource.key: resource for resource in RESOURCES}
_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})
_UPLOAD_METHODS = frozenset({"direct", "multipart", "fetch", "external"})


@dataclass(frozen=True, slots=True)
class Call:
    """Everything a handler needs about one request."""

    op: Op
    params: Mapping[str, str]
    body: JSON
    query: Mapping[str, str]
    upload: Upload | None = None


def _not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"The requested {what} could not be found.")


def _copy(item: JSON) -> JSON:
    # Handlers hand out snapshots so later store changes never alter a reply.
    copied: JSON = json.loads(json.dumps(item))
    return copied


def clone_media(item: JSON) -> JSON:
    """Copy a media object deeply enough that the caller cannot change the store."""
    metadata = dict(item["metadata"])
    metadata["tags"] = list(metadata.get("tags") or [])
    metadata["custom_params"] = dict(metadata.get("custom_params") or {})
    return {**item, "metadata": metadata, "relationships": dict(item["relationships"])}


def _media_metadata(created: str, given: Mapping[str, Any]) -> JSON:
    defaults: JSON = {
        "title": "",
        "description": "",
        "author": None,
        "permalink": "",
        "category": None,
        "publish_start_date": created,
        "publish_end_date": None,
        "tags": [],
        "custom_params": {},
        "external_id": None,
        "language": None,
    }
    return {**defaults, **given}


def _media_fields(metadata: Mapping[str, Any], status: str) -> JSON:
    return {
        "status": status,
        "error_message": None,
        "duration": 0.0,
        "external_id": metadata.get("external_id"),
        "trim_in_point": None,
        "trim_out_point": None,
        "mime_type": "video/mp4",
        "media_type": "video",
        "hosting_type": "hosted",
        "source_url": None,
    }


class Api:
    """Handlers for every ``/v2/`` route, sharing one store and upload registry."""

    def __init__(
        self,
        *,
        store: Store,
        uploads: Uploads,
        rng: random.Random,
        clock: Callable[[], float],
        result_cap: int | None,
        max_page_length: int,
        processing_delay: float,
        analytics_rows: int,
    ) -> None:
        """Wire the handlers to the fake's state and options."""
        self._store = store
        self._uploads = uploads
        self._rng = rng
        self._clock = clock
        self._result_cap = result_cap
        self._max_page_length = max_page_length
        self._processing_delay = processing_delay
        self._analytics_rows = analytics_rows
        self._processing: dict[tuple[str, str], float] = {}

    # --- entry point -----------------------------------------------------------

    async def dispatch(
        self,
        request: web.Request,
        op: Op,
        params: Mapping[str, str],
        upload: Upload | None = None,
    ) -> web.Response:
        """Run the handler for ``op`` and turn :class:`ApiError` into a reply."""
        try:
            body = (
                await read_json_body(request) if request.method in _BODY_METHODS else {}
            )
            call = Call(op, params, body, request.query, upload)
            handler: Callable[[Call], web.Response] = getattr(self, f"_op_{op.name}")
            return handler(call)
        except ApiError as error:
            return error.response()

    # --- media lifecycle ---------------------------------------------------------

    def promote(self) -> None:
        """Turn media whose processing time is over from ``processing`` to ``ready``."""
        now = self._clock()
        for key, ready_at in list(self._processing.items()):
            if ready_at <= now:
                del self._processing[key]
                self._mark(key, status="ready")

    def _mark(self, key: tuple[str, str], *, status: str) -> None:
        site, media_id = key
        collection = self._store.collection((site, "media", ()))
        media = collection.get(media_id)
        if media is None:
            return
        media["status"] = status
        if status == "ready" and not media.get("duration"):
            media["duration"] = round(self._rng.uniform(10.0, 3600.0), 3)
        media["last_modified"] = self._store.now()
        collection.changed()

    def _start_processing(self, site: str, media_id: str) -> None:
        self._mark((site, media_id), status="processing")
        self._processing[(site, media_id)] = self._clock() + self._processing_delay

    def upload_finished(self, upload: Upload, data: bytes) -> None:
        """Mark an upload's media as processing once its bytes are all in."""
        self._start_processing(upload.site_id, upload.media_id)

    def seed_media(
        self,
        site: str,
        count: int,
        *,
        start: datetime,
        spacing: float,
        per_timestamp: int,
        title_prefix: str,
        tags: list[str],
    ) -> list[JSON]:
        """Insert ``count`` ready media directly, ``created`` spaced from ``start``."""
        made: list[JSON] = []
        created = ""
        for index in range(count):
            if index % per_timestamp == 0:
                step = timedelta(seconds=spacing * (index // per_timestamp))
                created = canonical_time(start + step)
            metadata = _media_metadata(
                created, {"title": f"{title_prefix} {index}", "tags": list(tags)}
            )
            fields = _media_fields(metadata, "ready")
            fields["duration"] = round(self._rng.uniform(10.0, 3600.0), 3)
            made.append(
                {
                    "id": self._store.new_id(),
                    "type": "media",
                    "created": created,
                    "last_modified": created,
                    "metadata": metadata,
                    "relationships": {},
                    **fields,
                }
            )
        self._store.collection((site, "media", ())).add_many(made)
        return made

    # --- scopes and lookups ----------------------------------------------------

    def scope(self, resource: Resource, params: Mapping[str, str]) -> Scope:
        """Return the store scope of a route, checking that its parent exists.

        Raises:
            ApiError: 404 when the parent object is missing.
        """
        site = "" if resource.account else params["site"]
        if resource.parent is None:
            return (site, resource.key, ())
        parent = self._store.collection((site, resource.parent, ())).get(
            params["parent"]
        )
        if parent is None:
            raise _not_found(_BY_KEY[resource.parent].kind)
        return (site, resource.key, (params["parent"],))

    def _collection(self, call: Call) -> tuple[Resource, Collection]:
        resource = _resource(call.op)
        return resource, self._store.collection(self.scope(resource, call.params))

    def _item(self, call: Call) -> tuple[Collection, JSON]:
        resource, collection = self._collection(call)
        item = collection.get(call.params["id"])
        # On the typed playlist routes ``arg`` names the type the item must have.
        typed = resource.key == "playlists" and call.op.arg
        if item is None or (typed and item.get("playlist_type") != call.op.arg):
            raise _not_found(resource.kind)
        return collection, item

    # --- generic CRUD ----------------------------------------------------------

    def _paging(self, query: Mapping[str, str]) -> tuple[int, int]:
        page = _int_param(query, "page", 1, 1, 10**9)
        page_length = _int_param(query, "page_length", 10, 1, self._max_page_length)
        return page, page_length

    def _op_list(self, call: Call) -> web.Response:
        resource, collection = self._collection(call)
        page, page_length = self._paging(call.query)
        sort = call.query.get("sort", "created:dsc")
        try:
            parse_sort(sort)
        except QueryError as error:
            raise ApiError(400, "invalid_parameter", str(error)) from None
        try:
            view = collection.select(call.query.get("q", ""), sort)
        except QueryError as error:
            raise ApiError(400, "invalid_query", str(error)) from None
        # Only media searches are capped; the total still counts every match so a
        # client can tell that it must split its query.
        cap = self._result_cap if resource.key == "media" else None
        reachable = view if cap is None else view[:cap]
        start = (page - 1) * page_length
        return json_response(
            {
                resource.key: reachable[start : start + page_length],
                "page": page,
                "page_length": page_length,
                "total": len(view),
            }
        )

    def _op_create(self, call: Call) -> web.Response:
        resource = _resource(call.op)
        scope = self.scope(resource, call.params)
        if resource.key == "media":
            return self._create_media(scope[0], call.body)
        item = new_object(
            self._store.new_id(),
            resource.kind,
            self._store.now(),
            call.body,
            **self._extras(resource, call),
        )
        self._store.collection(scope).add(item)
        reply = _copy(item)
        if resource.key == "webhooks":
            # Shown once, like JW: the stored object never carries it.
            reply["secret"] = f"{self._rng.getrandbits(160):040x}"
        return json_response(reply, status=201)

    def _extras(self, resource: Resource, call: Call) -> JSON:
        if resource.key == "playlists":
            return {"playlist_type": call.op.arg}
        if resource.key == "channels":
            return {
                "status": "idle",
                "stream_key": f"{self._rng.getrandbits(64):016x}",
                "recent_events": [],
            }
        if resource.key == "imports":
            return {"total_items_ingested": 0, "last_import": None}
        if resource.key == "text_tracks":
            upload = call.body.get("upload")
            auto = isinstance(upload, dict) and bool(upload.get("auto_publish"))
            return {"status": "ready", "published": auto}
        if resource.key == "events":
            return {
                "status": "idle",
                "media_id": None,
                "master_access": {"status": "not_requested", "expiration": None},
            }
        if resource.key in ("thumbnails", "media_renditions", "originals"):
            return {"status": "ready"}
        return {}

    def _op_get(self, call: Call) -> web.Response:
        _, item = self._item(call)
        return json_response(item)

    def _op_update(self, call: Call) -> web.Response:
        collection, item = self._item(call)
        merge_patch(item, call.body, self._store.now())
        collection.changed()
        return json_response(item)

    def _op_delete(self, call: Call) -> web.Response:
        collection, item = self._item(call)
        collection.remove(item["id"])
        if _resource(call.op).key == "media":
            self._processing.pop((call.params["site"], item["id"]), None)
        return web.Response(status=204)

    # --- media and uploads -----------------------------------------------------

    def _create_media(self, site: str, body: JSON) -> web.Response:
        spec = _upload_spec(body)
        created = self._store.now()
        given = body.get("metadata")
        metadata = _media_metadata(created, given if isinstance(given, dict) else {})
        item = new_object(
            self._store.new_id(),
            "media",
            created,
            {**body, "metadata": metadata},
            **_media_fields(metadata, "created"),
        )
        self._store.collection((site, "media", ())).add(item)
        extra = self._begin_upload(site, item, spec)
        return json_response({**_copy(item), **extra}, status=201)

    def _begin_upload(self, site: str, media: JSON, spec: JSON) -> JSON:
        method = spec["method"]
        for field in ("trim_in_point", "trim_out_point"):
            if field in spec:
                media[field] = spec[field]
        if spec.get("mime_type"):
            media["mime_type"] = spec["mime_type"]
        if method == "external":
            media.update(hosting_type="external", source_url=spec["source_url"])
            media["status"] = "ready"
            return {}
        media.update(hosting_type="hosted", source_url=None)
        if method == "fetch":
            self._start_processing(site, media["id"])
            return {}
        media["status"] = "created"
        upload = self._uploads.create(site, media["id"], method, spec.get("mime_type"))
        if method == "direct":
            return {"upload_link": self._uploads.link(upload, 1)}
        return {"upload_id": upload.upload_id, "upload_token": upload.token}

    def _op_action(self, call: Call) -> web.Response:
        action = call.op.arg
        collection, item = self._item(call)
        if action == "reupload":
            spec = _upload_spec(call.body)
            extra = self._begin_upload(call.params["site"], item, spec)
            item["last_modified"] = self._store.now()
            collection.changed()
            return json_response({**_copy(item), **extra})
        if action in ("publish", "unpublish"):
            item["published"] = action == "publish"
        elif action == "request_master":
            item["master_access"] = {"status": "requested", "expiration": None}
        item["last_modified"] = self._store.now()
        collection.changed()
        return json_response(item)

    def _op_upload_parts(self, call: Call) -> web.Response:
        page, page_length = self._paging(call.query)
        return json_response(self._uploads.list_parts(_upload(call), page, page_length))

    def _op_upload_complete(self, call: Call) -> web.Response:
        self._uploads.complete(_upload(call))
        return json_response({}, status=202)

    # --- site-wide actions -----------------------------------------------------

    def _op_singleton_get(self, call: Call) -> web.Response:
        return json_response(self._site_rule(call.params["site"]))

    def _op_singleton_update(self, call: Call) -> web.Response:
        rule = self._site_rule(call.params["site"])
        merge_patch(rule, call.body, self._store.now())
        return json_response(rule)

    def _site_rule(self, site: str) -> JSON:
        collection = self._store.collection((site, "site_protection_rule", ()))
        for rule in collection:
            return rule
        rule = new_object(
            self._store.new_id(), "site_protection_rule", self._store.now(), {}
        )
        return collection.add(rule)

    def _op_bulk_attach(self, call: Call) -> web.Response:
        site = call.params["site"]
        ids = call.body.get("schedule_ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ApiError(400, "invalid_body", "schedule_ids must be a list of ids.")
        configs = self._store.collection((site, f"{call.op.arg}s", ()))
        config_id = call.body.get(f"{call.op.arg}_id", call.body.get("config_id"))
        if config_id is not None and configs.get(str(config_id)) is None:
            raise _not_found(call.op.arg)
        schedules = self._store.collection((site, "schedules", ()))
        found = [schedules.get(i) for i in ids]
        if any(schedule is None for schedule in found):
            raise _not_found("ad_schedule")
        linked = [] if config_id is None else [{"id": str(config_id)}]
        for schedule in found:
            if schedule is not None:
                schedule["relationships"][call.op.arg] = linked
                schedule["last_modified"] = self._store.now()
        schedules.changed()
        return json_response({})

    def _op_remove_tag(self, call: Call) -> web.Response:
        tag = _required_text(call.body, "tag")
        self._retag(call.params["site"], lambda tags: [t for t in tags if t != tag])
        return json_response({}, status=202)

    def _op_rename_tag(self, call: Call) -> web.Response:
        old = _required_text(call.body, "old_tag")
        new = _required_text(call.body, "new_tag")

        def rename(tags: list[str]) -> list[str]:
            renamed = [new if t == old else t for t in tags]
            return list(dict.fromkeys(renamed))

        self._retag(call.params["site"], rename)
        return json_response({}, status=202)

    def _retag(self, site: str, change: Callable[[list[str]], list[str]]) -> None:
        collection = self._store.collection((site, "media", ()))
        stamp = self._store.now()
        for media in collection:
            tags = list(media["metadata"].get("tags") or [])
            changed = change(tags)
            if changed != tags:
                media["metadata"]["tags"] = changed
                media["last_modified"] = stamp
        collection.changed()

    def _op_query_usage(self, call: Call) -> web.Response:
        site = call.params.get("site")
        sites = [site] if site else self._store.sites("media")
        rows = [
            {
                "site_id": s,
                "media_count": len(self._store.collection((s, "media", ()))),
                "storage_bytes": self._uploads.total_bytes(s),
            }
            for s in sites
        ]
        return json_response({"usage": rows})

    def _op_analytics(self, call: Call) -> web.Response:
        media = self._store.collection((call.params["site"], "media", ()))
        return answer_query(
            call.body,
            call.query,
            total_rows=self._analytics_rows,
            media_ids=[item["id"] for item in media],
            today=datetime.now(UTC).date(),
        )


def _resource(op: Op) -> Resource:
    if op.resource is None:
        raise RuntimeError(f"route op {op.name} has no resource")
    return op.resource


def _upload(call: Call) -> Upload:
    if call.upload is None:
        raise RuntimeError("upload route dispatched without its upload")
    return call.upload


def _int_param(
    query: Mapping[str, str], name: str, default: int, low: int, high: int
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400, "invalid_parameter", f"{name} must be an integer."
        ) from None
    if not low <= value <= high:
        raise ApiError(
            400, "invalid_parameter", f"{name} must be from {low} to {high}."
        )
    return value


def _required_text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(400, "invalid_body", f"{name} is required.")
    return value


def _upload_spec(body: Mapping[str, Any]) -> JSON:
    spec = body.get("upload")
    if not isinstance(spec, dict):
        raise ApiError(
            400, "invalid_body", "An upload object with a method is required."
        )
    method = spec.get("method")
    if method not in _UPLOAD_METHODS:
        raise ApiError(400, "invalid_body", f"Unknown upload method {method!r}.")
    required = {"fetch": "download_url", "external": "source_url"}.get(method)
    if required is not None and not (
        isinstance(spec.get(required), str) and spec[required]
    ):
        raise ApiError(
            400, "invalid_body", f"upload.{required} is required for {method}."
        )
    return spec
