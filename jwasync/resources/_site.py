"""One site's accessors, with the site id filled in: ``client.site("Abc12345")``.

Each bound accessor lists the methods of its resource through :class:`_InSite`, a
descriptor typed with ``Concatenate``/``ParamSpec``: ``SiteMedia.get`` *is*
``Media.get`` minus its ``self`` and ``site_id``, so type checkers and IDEs show
the real remaining parameters (``get(media_id: str)``) and a change to ``Media``
changes the bound signature with it. Nothing is restated but the method names.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from .._paths import check_id
from ._advertising import AdSchedules, PlayerBiddingConfigs, VpbConfigs
from ._analytics import Analytics
from ._base import Caller, Resource
from ._live import ChannelEvents, Channels
from ._media import Media, MediaRenditions, Originals, TextTracks, Thumbnails
from ._players import DrmPolicies, MediaProtectionRules, Players, SiteProtectionRule
from ._playlists import Playlists
from ._sites import Imports, Sites

__all__ = ["SiteBound", "SiteView"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T", bound=Resource)
T_co = TypeVar("T_co", bound=Resource, covariant=True)


class SiteBound(Generic[T_co]):
    """An accessor of one site; its methods take every argument but ``site_id``.

    Attributes:
        site_id: The site the calls go to.
    """

    __slots__ = ("_resource", "site_id")

    def __init__(self, resource: T_co, site_id: str) -> None:
        self._resource = resource
        self.site_id = site_id

    @property
    def resource(self) -> T_co:
        """The unbound accessor behind this one."""
        return self._resource

    def __repr__(self) -> str:
        return f"<{type(self).__name__} site_id={self.site_id!r}>"


class _InSite(Generic[T, P, R]):
    """Shows ``method(resource, site_id, *args)`` on a view as ``method(*args)``."""

    def __init__(self, method: Callable[Concatenate[T, str, P], R]) -> None:
        self._method = method
        signature = inspect.signature(method)
        rest = list(signature.parameters.values())[2:]
        self._signature = signature.replace(parameters=rest)

    @overload
    def __get__(self, view: None, owner: type[Any]) -> _InSite[T, P, R]: ...

    @overload
    def __get__(self, view: SiteBound[T], owner: type[Any]) -> Callable[P, R]: ...

    def __get__(
        self, view: SiteBound[T] | None, owner: type[Any]
    ) -> _InSite[T, P, R] | Callable[P, R]:
        if view is None:
            return self
        method, resource, site_id = self._method, view.resource, view.site_id

        @functools.wraps(method)
        def bound(*args: P.args, **kwargs: P.kwargs) -> R:
            return method(resource, site_id, *args, **kwargs)

        del bound.__wrapped__  # help() should show the bound signature below
        bound.__signature__ = self._signature  # type: ignore[attr-defined]
        return bound


class SiteMedia(SiteBound[Media]):
    """:class:`~jwasync.resources.Media` of one site."""

    list = _InSite(Media.list)
    iterate = _InSite(Media.iterate)
    get = _InSite(Media.get)
    create = _InSite(Media.create)
    update = _InSite(Media.update)
    delete = _InSite(Media.delete)
    reupload = _InSite(Media.reupload)
    upload = _InSite(Media.upload)


class SiteMediaRenditions(SiteBound[MediaRenditions]):
    """:class:`~jwasync.resources.MediaRenditions` of one site."""

    list = _InSite(MediaRenditions.list)
    iterate = _InSite(MediaRenditions.iterate)
    get = _InSite(MediaRenditions.get)
    create = _InSite(MediaRenditions.create)
    delete = _InSite(MediaRenditions.delete)


class SiteOriginals(SiteBound[Originals]):
    """:class:`~jwasync.resources.Originals` of one site."""

    list = _InSite(Originals.list)
    iterate = _InSite(Originals.iterate)
    get = _InSite(Originals.get)
    create = _InSite(Originals.create)
    update = _InSite(Originals.update)
    delete = _InSite(Originals.delete)


class SiteTextTracks(SiteBound[TextTracks]):
    """:class:`~jwasync.resources.TextTracks` of one site."""

    list = _InSite(TextTracks.list)
    iterate = _InSite(TextTracks.iterate)
    get = _InSite(TextTracks.get)
    create = _InSite(TextTracks.create)
    update = _InSite(TextTracks.update)
    delete = _InSite(TextTracks.delete)
    publish = _InSite(TextTracks.publish)
    unpublish = _InSite(TextTracks.unpublish)


class SiteThumbnails(SiteBound[Thumbnails]):
    """:class:`~jwasync.resources.Thumbnails` of one site."""

    list = _InSite(Thumbnails.list)
    iterate = _InSite(Thumbnails.iterate)
    get = _InSite(Thumbnails.get)
    create = _InSite(Thumbnails.create)
    update = _InSite(Thumbnails.update)
    delete = _InSite(Thumbnails.delete)


class SitePlaylists(SiteBound[Playlists]):
    """:class:`~jwasync.resources.Playlists` of one site."""

    list = _InSite(Playlists.list)
    iterate = _InSite(Playlists.iterate)
    get = _InSite(Playlists.get)
    create = _InSite(Playlists.create)
    update = _InSite(Playlists.update)
    delete = _InSite(Playlists.delete)


class SitePlayers(SiteBound[Players]):
    """:class:`~jwasync.resources.Players` of one site."""

    list = _InSite(Players.list)
    iterate = _InSite(Players.iterate)
    get = _InSite(Players.get)
    create = _InSite(Players.create)
    update = _InSite(Players.update)
    delete = _InSite(Players.delete)


class SiteMediaProtectionRules(SiteBound[MediaProtectionRules]):
    """:class:`~jwasync.resources.MediaProtectionRules` of one site."""

    list = _InSite(MediaProtectionRules.list)
    iterate = _InSite(MediaProtectionRules.iterate)
    get = _InSite(MediaProtectionRules.get)
    create = _InSite(MediaProtectionRules.create)
    update = _InSite(MediaProtectionRules.update)
    delete = _InSite(MediaProtectionRules.delete)


class SiteSiteProtectionRule(SiteBound[SiteProtectionRule]):
    """:class:`~jwasync.resources.SiteProtectionRule` of one site."""

    get = _InSite(SiteProtectionRule.get)
    update = _InSite(SiteProtectionRule.update)


class SiteDrmPolicies(SiteBound[DrmPolicies]):
    """:class:`~jwasync.resources.DrmPolicies` of one site."""

    list = _InSite(DrmPolicies.list)
    iterate = _InSite(DrmPolicies.iterate)
    get = _InSite(DrmPolicies.get)
    create = _InSite(DrmPolicies.create)
    update = _InSite(DrmPolicies.update)
    delete = _InSite(DrmPolicies.delete)


class SiteChannels(SiteBound[Channels]):
    """:class:`~jwasync.resources.Channels` of one site."""

    list = _InSite(Channels.list)
    iterate = _InSite(Channels.iterate)
    get = _InSite(Channels.get)
    create = _InSite(Channels.create)
    update = _InSite(Channels.update)
    delete = _InSite(Channels.delete)


class SiteChannelEvents(SiteBound[ChannelEvents]):
    """:class:`~jwasync.resources.ChannelEvents` of one site."""

    list = _InSite(ChannelEvents.list)
    iterate = _InSite(ChannelEvents.iterate)
    get = _InSite(ChannelEvents.get)
    request_master = _InSite(ChannelEvents.request_master)
    clip = _InSite(ChannelEvents.clip)


class SiteAdSchedules(SiteBound[AdSchedules]):
    """:class:`~jwasync.resources.AdSchedules` of one site."""

    list = _InSite(AdSchedules.list)
    iterate = _InSite(AdSchedules.iterate)
    get = _InSite(AdSchedules.get)
    create = _InSite(AdSchedules.create)
    update = _InSite(AdSchedules.update)
    delete = _InSite(AdSchedules.delete)
    update_schedules_vpb_config = _InSite(AdSchedules.update_schedules_vpb_config)
    update_schedules_player_bidding_configs = _InSite(
        AdSchedules.update_schedules_player_bidding_configs
    )


class SiteVpbConfigs(SiteBound[VpbConfigs]):
    """:class:`~jwasync.resources.VpbConfigs` of one site."""

    list = _InSite(VpbConfigs.list)
    iterate = _InSite(VpbConfigs.iterate)
    get = _InSite(VpbConfigs.get)
    create = _InSite(VpbConfigs.create)
    update = _InSite(VpbConfigs.update)
    delete = _InSite(VpbConfigs.delete)


class SitePlayerBiddingConfigs(SiteBound[PlayerBiddingConfigs]):
    """:class:`~jwasync.resources.PlayerBiddingConfigs` of one site."""

    list = _InSite(PlayerBiddingConfigs.list)
    iterate = _InSite(PlayerBiddingConfigs.iterate)
    get = _InSite(PlayerBiddingConfigs.get)
    create = _InSite(PlayerBiddingConfigs.create)
    update = _InSite(PlayerBiddingConfigs.update)
    delete = _InSite(PlayerBiddingConfigs.delete)


class SiteImports(SiteBound[Imports]):
    """:class:`~jwasync.resources.Imports` of one site."""

    list = _InSite(Imports.list)
    iterate = _InSite(Imports.iterate)
    get = _InSite(Imports.get)
    create = _InSite(Imports.create)
    update = _InSite(Imports.update)
    delete = _InSite(Imports.delete)


class SiteSites(SiteBound[Sites]):
    """The site-wide actions of :class:`~jwasync.resources.Sites` for one site."""

    remove_tag = _InSite(Sites.remove_tag)
    rename_tag = _InSite(Sites.rename_tag)
    query_usage = _InSite(Sites.query_usage)


class SiteAnalytics(SiteBound[Analytics]):
    """:class:`~jwasync.resources.Analytics` of one site."""

    query = _InSite(Analytics.query)
    iterate = _InSite(Analytics.iterate)


class SiteView:
    """The client's site-scoped accessors, with one site id filled in.

    ``await jw.site("Abc12345").media.get("Ny05CEfj")`` is
    ``await jw.media.get("Abc12345", "Ny05CEfj")``. Account-level calls
    (``webhooks``, ``sites.query_account_usage``) are not here: they take no site.

    Args:
        client: What sends the calls (the client).
        site_id: The site (property) id, checked at once.

    Raises:
        InvalidIdError: ``site_id`` is not a valid id.
    """

    def __init__(self, client: Caller, site_id: str) -> None:
        self.site_id = check_id(site_id, "site_id")
        self.media = SiteMedia(Media(client), site_id)
        self.media_renditions = SiteMediaRenditions(MediaRenditions(client), site_id)
        self.originals = SiteOriginals(Originals(client), site_id)
        self.text_tracks = SiteTextTracks(TextTracks(client), site_id)
        self.thumbnails = SiteThumbnails(Thumbnails(client), site_id)
        self.playlists = SitePlaylists(Playlists(client), site_id)
        self.players = SitePlayers(Players(client), site_id)
        self.media_protection_rules = SiteMediaProtectionRules(
            MediaProtectionRules(client), site_id
        )
        self.site_protection_rule = SiteSiteProtectionRule(
            SiteProtectionRule(client), site_id
        )
        self.drm_policies = SiteDrmPolicies(DrmPolicies(client), site_id)
        self.channels = SiteChannels(Channels(client), site_id)
        self.channel_events = SiteChannelEvents(ChannelEvents(client), site_id)
        self.ad_schedules = SiteAdSchedules(AdSchedules(client), site_id)
        self.vpb_configs = SiteVpbConfigs(VpbConfigs(client), site_id)
        self.player_bidding_configs = SitePlayerBiddingConfigs(
            PlayerBiddingConfigs(client), site_id
        )
        self.imports = SiteImports(Imports(client), site_id)
        self.sites = SiteSites(Sites(client), site_id)
        self.analytics = SiteAnalytics(Analytics(client), site_id)

    def __repr__(self) -> str:
        return f"<SiteView site_id={self.site_id!r}>"
