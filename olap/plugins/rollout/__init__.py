"""Plugin rollout: the admin page and `olap flags` commands that move flags through their rollout stages."""

from __future__ import annotations

from olap import hookimpl
from olap.core.hookspecs import MenuItem


@hookimpl
def register_blueprints():
    from olap.plugins.rollout.views import bp

    return [bp]


@hookimpl
def register_menu_items():
    return [MenuItem("Flags", "rollout.flags_page", permission="admin", order=890)]
