"""Staged rollout against a real Unleash server: stages written through the admin API, read by UnleashClient."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest
import requests

from olap.core.flags import Flags, stage_of
from olap.plugins.rollout.service import UnleashFlagStore, exportable_stages, import_document, list_stages

from unleash_server import ADMIN_TOKEN, CLIENT_TOKEN, ENVIRONMENT

SECTION_IDS = range(1, 2001)
INSTRUCTOR_FLAG = "instructor_dashboard_analytics"
PROJECT_FLAG = "project_dashboard_analytics"


def apply_and_wait(server, admin, declared, name: str, stage: str) -> None:
    """Apply a stage, then wait until the client API serves it, because Unleash serves client features from a cache it refreshes on its own schedule."""
    UnleashFlagStore(admin, declared).apply_stage(declared[name], stage)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        served = requests.get(f"{server.api_url}/client/features", headers={"Authorization": CLIENT_TOKEN}, timeout=10).json()["features"]
        if stage_of(next((feature for feature in served if feature["name"] == name), None)) == stage:
            return
        time.sleep(0.25)
    pytest.fail(f"the Unleash client API did not serve {name} at stage {stage} within 30 s")


def server_flags(server, declared, cache_dir) -> Flags:
    return Flags(declared, cache_dir / "unused-flags.json", unleash_url=server.api_url, unleash_token=CLIENT_TOKEN, cache_dir=cache_dir, refresh_interval=3600)


def sections_on(flags: Flags, name: str = INSTRUCTOR_FLAG, user=None) -> set[int]:
    return {section_id for section_id in SECTION_IDS if flags.enabled(name, user=user, section_id=section_id)}


def user(internal: bool, admin: bool = False):
    return SimpleNamespace(id=7, is_authenticated=True, is_internal=internal, is_admin=admin)


@pytest.mark.parametrize("stage", ["off", "internal_only", "five_percent", "fifty_percent", "full"], ids=str)
def test_stage_round_trips_through_admin_api(unleash_admin, declared, stage):
    store = UnleashFlagStore(unleash_admin, declared)

    store.apply_stage(declared[INSTRUCTOR_FLAG], stage)

    assert stage_of(store.features()[INSTRUCTOR_FLAG]) == stage


def test_five_percent_is_sticky_across_calls_and_restarts(unleash_server, unleash_admin, declared, tmp_path):
    apply_and_wait(unleash_server, unleash_admin, declared, INSTRUCTOR_FLAG, "five_percent")

    flags = server_flags(unleash_server, declared, tmp_path / "first")
    first = sections_on(flags)
    second = sections_on(flags)
    flags.close()
    restarted = server_flags(unleash_server, declared, tmp_path / "second")
    after_restart = sections_on(restarted)
    restarted.close()

    assert 70 <= len(first) <= 130, f"{len(first)} of 2000 sections are on at five_percent"
    assert first == second
    assert first == after_restart


def test_fifty_percent_keeps_the_five_percent_on(unleash_server, unleash_admin, declared, tmp_path):
    apply_and_wait(unleash_server, unleash_admin, declared, INSTRUCTOR_FLAG, "five_percent")
    flags = server_flags(unleash_server, declared, tmp_path / "five")
    five = sections_on(flags)
    flags.close()

    apply_and_wait(unleash_server, unleash_admin, declared, INSTRUCTOR_FLAG, "fifty_percent")
    flags = server_flags(unleash_server, declared, tmp_path / "fifty")
    fifty = sections_on(flags)
    flags.close()

    assert 900 <= len(fifty) <= 1100, f"{len(fifty)} of 2000 sections are on at fifty_percent"
    assert five <= fifty


def test_full_turns_every_section_on(unleash_server, unleash_admin, declared, tmp_path):
    apply_and_wait(unleash_server, unleash_admin, declared, INSTRUCTOR_FLAG, "full")

    flags = server_flags(unleash_server, declared, tmp_path)
    on = sections_on(flags)
    flags.close()

    assert len(on) == 2000


def test_internal_users_see_internal_only_flags(unleash_server, unleash_admin, declared, tmp_path):
    apply_and_wait(unleash_server, unleash_admin, declared, PROJECT_FLAG, "internal_only")

    flags = server_flags(unleash_server, declared, tmp_path)
    internal = [flags.enabled(PROJECT_FLAG, user=user(True), project_id=project_id) for project_id in (318, 400, 9001)]
    external = [flags.enabled(PROJECT_FLAG, user=user(False), project_id=project_id) for project_id in (318, 400, 9001)]
    anonymous = flags.enabled(PROJECT_FLAG, project_id=318)
    flags.close()

    assert internal == [True, True, True]
    assert external == [False, False, False]
    assert anonymous is False


def test_cached_flags_apply_after_unleash_stops(unleash_server, unleash_admin, declared, tmp_path):
    apply_and_wait(unleash_server, unleash_admin, declared, INSTRUCTOR_FLAG, "five_percent")
    flags = server_flags(unleash_server, declared, tmp_path)
    before = sections_on(flags)
    flags.close()

    unleash_server.stop()
    try:
        offline = server_flags(unleash_server, declared, tmp_path)
        during_outage = sections_on(offline)
        offline.close()
    finally:
        unleash_server.start()
    restarted = server_flags(unleash_server, declared, tmp_path / "after-restart")
    after_server_restart = sections_on(restarted)
    restarted.close()

    assert len(before) > 0
    assert during_outage == before
    assert after_server_restart == before


def test_nothing_known_keeps_only_admin_console(declared, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    flags = Flags(declared, tmp_path / "unused.json", unleash_url=f"http://127.0.0.1:{closed_port}/api", unleash_token=CLIENT_TOKEN, cache_dir=tmp_path / "empty-cache")

    admin_console = flags.enabled("clickhouse-olap", user=user(False, admin=True))
    instructor_console = flags.enabled("clickhouse-olap", user=user(False))
    section_analytics = flags.enabled(INSTRUCTOR_FLAG, user=user(True, admin=True), section_id=5)
    flags.close()

    assert admin_console is True
    assert instructor_console is False
    assert section_analytics is False


def test_export_document_passes_unleash_validation(unleash_server, unleash_admin, declared):
    store = UnleashFlagStore(unleash_admin, declared)
    document = import_document(declared, exportable_stages(list_stages(store, declared)), environment=ENVIRONMENT)

    response = requests.post(f"{unleash_server.api_url}/admin/features-batch/validate", json=document, headers={"Authorization": ADMIN_TOKEN}, timeout=10)

    assert response.status_code == 200, response.text
    assert response.json()["errors"] == []
    assert sorted(feature["name"] for feature in document["data"]["features"]) == sorted(declared)
