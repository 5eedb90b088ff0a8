"""Players, content protection and DRM policies (jw-api.md §3.4)."""

from __future__ import annotations

from ._base import JSON, Body, Resource, SiteCollection

__all__ = ["DrmPolicies", "MediaProtectionRules", "Players", "SiteProtectionRule"]


class Players(SiteCollection):
    """A site's player configurations: ``/v2/sites/{site_id}/players/``.

    (jwplatform-py sends these calls to ``/v2/players/``, which answers 404.)
    """

    accessor = "players"

    async def get(self, site_id: str, player_id: str) -> JSON:
        """Return one player."""
        return await self._object("get", {"site_id": site_id, "player_id": player_id})

    async def update(self, site_id: str, player_id: str, body: Body) -> JSON:
        """PATCH a player, e.g. ``{"metadata": {"name": "Main"}}``."""
        ids = {"site_id": site_id, "player_id": player_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, player_id: str) -> None:
        """Delete a player."""
        await self._delete("delete", {"site_id": site_id, "player_id": player_id})


class MediaProtectionRules(SiteCollection):
    """Per-media protection rules: ``/v2/sites/{site_id}/media_protection_rules/``."""

    accessor = "media_protection_rules"

    async def get(self, site_id: str, protection_rule_id: str) -> JSON:
        """Return one protection rule."""
        ids = {"site_id": site_id, "protection_rule_id": protection_rule_id}
        return await self._object("get", ids)

    async def update(self, site_id: str, protection_rule_id: str, body: Body) -> JSON:
        """PATCH a protection rule."""
        ids = {"site_id": site_id, "protection_rule_id": protection_rule_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, protection_rule_id: str) -> None:
        """Delete a protection rule."""
        ids = {"site_id": site_id, "protection_rule_id": protection_rule_id}
        await self._delete("delete", ids)


class SiteProtectionRule(Resource):
    """The site-wide protection rule, one per site: ``…/site_protection_rule/``."""

    accessor = "site_protection_rule"

    async def get(self, site_id: str) -> JSON:
        """Return the site's protection rule."""
        return await self._object("get", {"site_id": site_id})

    async def update(self, site_id: str, body: Body) -> JSON:
        """PATCH the site's protection rule."""
        return await self._object("update", {"site_id": site_id}, body)


class DrmPolicies(SiteCollection):
    """A site's DRM policies: ``/v2/sites/{site_id}/drm_policies/``."""

    accessor = "drm_policies"

    async def get(self, site_id: str, drm_policy_id: str) -> JSON:
        """Return one DRM policy."""
        ids = {"site_id": site_id, "drm_policy_id": drm_policy_id}
        return await self._object("get", ids)

    async def update(self, site_id: str, drm_policy_id: str, body: Body) -> JSON:
        """PATCH a DRM policy, e.g. ``{"metadata": {"max_width": 1920}}``."""
        ids = {"site_id": site_id, "drm_policy_id": drm_policy_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, drm_policy_id: str) -> None:
        """Delete a DRM policy."""
        ids = {"site_id": site_id, "drm_policy_id": drm_policy_id}
        await self._delete("delete", ids)
