"""Rollout stages in the local flags file: strategies, stickiness, internal users, rollback and export."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest

from olap.core.errors import UserInputError
from olap.core.flags import STAGES, Flags, feature_for_stage, set_flag, stage_of
from olap.plugins.rollout.service import FileFlagStore, import_document, previous_stage

INSTRUCTOR_FLAG = "instructor_dashboard_analytics"


def internal_user(internal: bool = True):
    return SimpleNamespace(id=3, is_authenticated=True, is_internal=internal, is_admin=False)


def reload(flags_file) -> None:
    # Make each rewrite visible even on file systems with coarse modification times.
    reload.tick = getattr(reload, "tick", 1) + 1
    os.utime(flags_file, (reload.tick, reload.tick))


@pytest.mark.parametrize("name", ["clickhouse-olap", INSTRUCTOR_FLAG, "project_dashboard_analytics"], ids=str)
def test_every_stage_reads_back(declared, name):
    flag = declared[name]
    stages = STAGES if flag.scope != "global" else ("off", "internal_only", "full")

    read_back = [stage_of(feature_for_stage(flag, stage)) for stage in stages]

    assert read_back == list(stages)


def test_global_flag_rejects_percent_stage(declared):
    with pytest.raises(UserInputError, match="five_percent"):
        feature_for_stage(declared["clickhouse-olap"], "five_percent")


def test_hand_edited_feature_reads_as_custom():
    feature = {"name": "x", "enabled": True, "strategies": [{"name": "userWithId", "parameters": {"userIds": "1"}, "constraints": []}]}

    assert stage_of(feature) == "custom"


def test_five_percent_in_file_is_sticky(declared, tmp_path):
    flags_file = tmp_path / "flags.json"
    store = FileFlagStore(flags_file, declared)
    store.apply_stage(declared[INSTRUCTOR_FLAG], "five_percent")
    flags = Flags(declared, flags_file)

    first = {section_id for section_id in range(1, 2001) if flags.enabled(INSTRUCTOR_FLAG, section_id=section_id)}
    second = {section_id for section_id in range(1, 2001) if flags.enabled(INSTRUCTOR_FLAG, section_id=section_id)}
    flags.close()

    assert 70 <= len(first) <= 130, f"{len(first)} of 2000 sections are on"
    assert first == second


def test_internal_only_in_file(declared, tmp_path):
    flags_file = tmp_path / "flags.json"
    FileFlagStore(flags_file, declared).apply_stage(declared[INSTRUCTOR_FLAG], "internal_only")
    flags = Flags(declared, flags_file)

    internal = flags.enabled(INSTRUCTOR_FLAG, user=internal_user(), section_id=2051)
    external = flags.enabled(INSTRUCTOR_FLAG, user=internal_user(False), section_id=2051)
    flags.close()

    assert internal is True
    assert external is False


def test_set_flag_still_switches_fully(declared, tmp_path):
    flags_file = tmp_path / "flags.json"
    flags = Flags(declared, flags_file)
    set_flag(flags_file, declared, INSTRUCTOR_FLAG, True)
    reload(flags_file)

    on = flags.enabled(INSTRUCTOR_FLAG, section_id=77)
    stage = stage_of(FileFlagStore(flags_file, declared).features()[INSTRUCTOR_FLAG])
    flags.close()

    assert on is True
    assert stage == "full"


@pytest.mark.parametrize(
    ("name", "current", "expected"),
    [
        (INSTRUCTOR_FLAG, "full", "fifty_percent"),
        (INSTRUCTOR_FLAG, "fifty_percent", "five_percent"),
        (INSTRUCTOR_FLAG, "five_percent", "internal_only"),
        (INSTRUCTOR_FLAG, "internal_only", "off"),
        (INSTRUCTOR_FLAG, "custom", "off"),
        ("clickhouse-olap", "full", "internal_only"),
        ("clickhouse-olap", "off", "off"),
    ],
    ids=lambda value: str(value),
)
def test_previous_stage(declared, name, current, expected):
    assert previous_stage(declared[name], current) == expected


def test_import_document_lists_every_declared_flag(declared):
    document = import_document(declared, {INSTRUCTOR_FLAG: "five_percent", "clickhouse-olap": "full"})

    features = [feature["name"] for feature in document["data"]["features"]]
    environments = {row["featureName"]: row["enabled"] for row in document["data"]["featureEnvironments"]}
    rollouts = [strategy["parameters"]["rollout"] for strategy in document["data"]["featureStrategies"] if strategy["featureName"] == INSTRUCTOR_FLAG]
    assert features == sorted(declared)
    assert environments["clickhouse-olap"] is True
    assert environments["project_dashboard_analytics"] is False
    assert rollouts == ["100", "5"]
    assert {field["name"] for field in document["data"]["contextFields"]} == {"sectionId", "projectId", "internal"}
    json.dumps(document)
