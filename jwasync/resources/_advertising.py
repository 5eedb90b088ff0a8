"""Ad schedules, VPB and player-bidding configs (jw-api.md §3.6)."""

from __future__ import annotations

from ._base import JSON, Body, SiteCollection

__all__ = ["AdSchedules", "PlayerBiddingConfigs", "VpbConfigs"]


class AdSchedules(SiteCollection):
    """A site's ad schedules: ``/v2/sites/{site_id}/advertising/schedules/``.

    Also holds the two bulk actions that attach a bidding config to schedules.
    """

    accessor = "ad_schedules"

    async def get(self, site_id: str, ad_schedule_id: str) -> JSON:
        """Return one ad schedule."""
        ids = {"site_id": site_id, "ad_schedule_id": ad_schedule_id}
        return await self._object("get", ids)

    async def update(self, site_id: str, ad_schedule_id: str, body: Body) -> JSON:
        """PATCH an ad schedule."""
        ids = {"site_id": site_id, "ad_schedule_id": ad_schedule_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, ad_schedule_id: str) -> None:
        """Delete an ad schedule."""
        ids = {"site_id": site_id, "ad_schedule_id": ad_schedule_id}
        await self._delete("delete", ids)

    async def update_schedules_vpb_config(
        self, site_id: str, body: Body
    ) -> JSON | None:
        """Attach a VPB config to schedules: ``PUT …/update_schedules_vpb_config/``."""
        return await self._action(
            "update_schedules_vpb_config", {"site_id": site_id}, body
        )

    async def update_schedules_player_bidding_configs(
        self, site_id: str, body: Body
    ) -> JSON | None:
        """Attach a player-bidding config to schedules.

        ``PUT …/advertising/update_schedules_player_bidding_configs/`` with, for
        example, ``{"schedule_ids": [...]}``.
        """
        return await self._action(
            "update_schedules_player_bidding_configs", {"site_id": site_id}, body
        )


class _BiddingConfigs(SiteCollection):
    """Bidding configs under ``/v2/sites/{site_id}/advertising/``."""

    async def get(self, site_id: str, config_id: str) -> JSON:
        """Return one config."""
        return await self._object("get", {"site_id": site_id, "config_id": config_id})

    async def update(self, site_id: str, config_id: str, body: Body) -> JSON:
        """PATCH a config."""
        ids = {"site_id": site_id, "config_id": config_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, config_id: str) -> None:
        """Delete a config."""
        await self._delete("delete", {"site_id": site_id, "config_id": config_id})


class VpbConfigs(_BiddingConfigs):
    """A site's VPB configs: ``/v2/sites/{site_id}/advertising/vpb_configs/``."""

    accessor = "vpb_configs"


class PlayerBiddingConfigs(_BiddingConfigs):
    """Player-bidding configs: ``…/advertising/player_bidding_configs/``."""

    accessor = "player_bidding_configs"
