"""Plugin loading through entry points, the registry's duplicate checks and the hook meta-test."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from support import install_distribution, sign_in
from olap.core import hookspecs
from olap.core.errors import PluginError
from olap.core.plugins import build_registry, create_plugin_manager

EXAMPLE = Path(__file__).parent / "example_plugin"
HOOK_NAMES = sorted(name for name, value in vars(hookspecs).items() if name.startswith("register_") and callable(value))


def test_bundled_platform_plugin_loads_through_entry_point():
    manager = create_plugin_manager()
    registry = build_registry(manager)

    assert manager.has_plugin("platform")
    assert registry.plugin_of("flags", "clickhouse-olap") == "platform"
    assert registry.flags["instructor_dashboard_analytics"].scope == "section"


def test_third_party_plugin_registers_every_kind(example_plugin):
    registry = build_registry(create_plugin_manager())

    assert registry.categories["completion"].title == "Completion"
    assert registry.queries["completion_by_page"].parameters[0].name == "limit"
    assert "LIMIT {limit:UInt64}" in registry.queries["completion_by_page"].sql()
    assert registry.charts["completion_by_page"].spec["mark"] == "bar"
    assert registry.flags["example_completion"].scope == "section"
    assert registry.jobs["example.count_to"].timeout_seconds == 30
    assert registry.backfill_sources["example_source"].title == "Example source"
    assert "example_completion" in registry.blueprints
    assert registry.plugin_of("queries", "completion_by_page") == "example"


def test_disabled_plugin_is_not_loaded(example_plugin):
    manager = create_plugin_manager(disabled=["example"])

    assert not manager.has_plugin("example")
    assert "completion" not in build_registry(manager).categories


def test_third_party_plugin_appears_in_app(example_plugin, olap_env, database_url):
    from olap.core.app import create_app

    app = create_app({**olap_env, "DATABASE_URL": database_url}, start_workers=False)
    instance = app.extensions["olap"]
    instance.db.upgrade()
    from olap.core.auth import create_user

    create_user(instance.db.session, "admin@example.edu", "password1", "admin")
    instance.db.session.commit()
    client = app.test_client()
    try:
        sign_in(client, "admin@example.edu")
        home = client.get("/").get_data(as_text=True)
        page = client.get("/example/completion").get_data(as_text=True)
        plugins_page = client.get("/admin/plugins").get_data(as_text=True)

        assert 'href="/example/completion">Completion</a>' in home
        assert "Completion by the example plugin" in page
        assert "completion_by_page" in plugins_page
        assert "olap_example_plugin" in plugins_page
        assert instance.flags.enabled("example_completion", section_id=2051) is True
    finally:
        instance.close()


def test_duplicate_flag_names_both_plugins(example_plugin):
    install_distribution(
        example_plugin,
        "olap_clash",
        {"clash": "olap_clash"},
        {"olap_clash": "from olap import hookimpl\nfrom olap.core.hookspecs import FeatureFlag\n\n@hookimpl\ndef register_flags():\n    return [FeatureFlag('example_completion', 'global', False, 'clash')]\n"},
    )

    with pytest.raises(PluginError) as caught:
        build_registry(create_plugin_manager())

    message = str(caught.value)
    assert "'example_completion'" in message
    assert "clash" in message
    assert "example" in message.replace("'example_completion'", "")


def test_misspelled_hook_stops_loading(site):
    install_distribution(site, "olap_typo", {"typo": "olap_typo"}, {"olap_typo": "from olap import hookimpl\n\n@hookimpl\ndef register_querys():\n    return []\n"})

    with pytest.raises(PluginError, match="typo.*register_querys|register_querys.*typo"):
        create_plugin_manager()


def test_plugin_import_failure_names_plugin(site):
    install_distribution(site, "olap_typo", {"typo": "olap_typo"}, {"olap_typo": "raise ImportError('missing dependency foo')\n"})

    with pytest.raises(PluginError, match="Plugin typo .* failed to import: missing dependency foo"):
        create_plugin_manager()


def test_query_with_unknown_category_is_rejected(site):
    install_distribution(
        site,
        "olap_typo",
        {"typo": "olap_typo"},
        {"olap_typo": "from pathlib import Path\nfrom olap import hookimpl\nfrom olap.core.hookspecs import AnalyticsQuery\n\n@hookimpl\ndef register_queries():\n    return [AnalyticsQuery('q1', 'nowhere', Path('q1.sql'), 'Q1')]\n"},
    )

    with pytest.raises(PluginError, match="query 'q1' names the unknown category 'nowhere'"):
        build_registry(create_plugin_manager())


def test_hook_returning_non_list_is_rejected(site):
    install_distribution(site, "olap_typo", {"typo": "olap_typo"}, {"olap_typo": "from olap import hookimpl\n\n@hookimpl\ndef register_jobs():\n    return 'job'\n"})

    with pytest.raises(PluginError, match="Plugin typo: register_jobs\\(\\) must return a list"):
        build_registry(create_plugin_manager())


@pytest.mark.parametrize("hook_name", HOOK_NAMES)
def test_every_hook_has_a_test_and_docs(hook_name):
    # The example plugin implements every hook and the tests above check what each
    # registers; the plugin reference documents each hook by name.
    example_source = (EXAMPLE / "olap_example_plugin.py").read_text()
    docs = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text()

    assert f"def {hook_name}(" in example_source
    assert f"`{hook_name}`" in docs
    assert inspect.getdoc(getattr(hookspecs, hook_name))
