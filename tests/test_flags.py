"""Feature flags in embedded mode: defaults written to the flags file, switches read back."""

from __future__ import annotations

import json
import os

from olap.core.flags import Flags, set_flag
from olap.core.plugins import build_registry, create_plugin_manager


def declared_flags():
    return build_registry(create_plugin_manager()).flags


def test_missing_file_is_written_from_defaults(tmp_path):
    flags_file = tmp_path / "flags.json"
    flags = Flags(declared_flags(), flags_file, cache_dir=tmp_path / "cache")

    assert flags.enabled("clickhouse-olap") is True
    assert flags.enabled("instructor_dashboard_analytics", section_id=2051) is False
    written = {feature["name"]: feature["enabled"] for feature in json.loads(flags_file.read_text())["features"]}
    assert written["clickhouse-olap"] is True
    assert written["project_dashboard_analytics"] is False
    flags.close()


def test_switched_flag_is_read_without_restart(tmp_path):
    flags_file = tmp_path / "flags.json"
    declared = declared_flags()
    flags = Flags(declared, flags_file, cache_dir=tmp_path / "cache")
    assert flags.enabled("project_dashboard_analytics", project_id=318) is False

    set_flag(flags_file, declared, "project_dashboard_analytics", True)
    # Make the change visible even on file systems with coarse modification times.
    os.utime(flags_file, (1, 1))

    assert flags.enabled("project_dashboard_analytics", project_id=318) is True
    assert flags.enabled("clickhouse-olap") is True
    flags.close()


def test_undeclared_flag_is_off(tmp_path):
    flags = Flags(declared_flags(), tmp_path / "flags.json", cache_dir=tmp_path / "cache")

    assert flags.enabled("no-such-flag") is False
    flags.close()
