"""Plugin custom: SQL and Vega-Lite editors that run guarded queries scoped to a section or project."""

from __future__ import annotations

from olap import hookimpl
from olap.core.hookspecs import Category
from olap.plugins.custom import models  # noqa: F401  (registers SavedQuery on the metadata Base)
from olap.plugins.custom.views import CATEGORY, custom_blueprint


@hookimpl
def register_categories():
    return [Category(CATEGORY, "Custom", order=90)]


@hookimpl
def register_blueprints():
    return [custom_blueprint()]
