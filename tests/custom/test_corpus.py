"""The hostile and honest corpora run for real on the embedded engine, with three sections of data."""

from __future__ import annotations

import pytest

from olap.plugins.custom.runner import query_limits, run_custom_sql

from .conftest import PROJECT, REJECTED_MARKER, SECTION
from .corpus import expectation, read_cases

HOSTILE = read_cases("hostile.sql")
HONEST = read_cases("honest.sql")
SCOPES = {"section": SECTION, "project": PROJECT}
LIMITS = query_limits({})


def normalised(rows) -> list[list]:
    """Return rows as sorted lists of JSON-like values, so tuples and lists compare equal."""
    return sorted([list(row) for row in rows], key=repr)


def test_corpus_sizes():
    assert len(HOSTILE) >= 60
    assert len(HONEST) >= 30
    assert len({case.name for case in HOSTILE}) == len(HOSTILE)
    assert len({case.name for case in HONEST}) == len(HONEST)


@pytest.mark.parametrize("case", HOSTILE, ids=[case.name for case in HOSTILE])
def test_hostile_query_is_rejected_or_scoped(events_store, case):
    kind, expected = expectation(case)

    run = run_custom_sql(events_store, case.sql, SECTION, LIMITS, "test")

    assert REJECTED_MARKER not in repr(run.rows)
    if kind == "rejected":
        assert run.outcome == "rejected", f"ran with rows {run.rows[:5]}"
        assert run.rule == expected, run.error
    elif kind == "limit":
        assert run.outcome == "limit", run.error
    else:
        assert run.outcome == "ok", run.error
        assert normalised([row.values() for row in run.rows]) == normalised(expected)


@pytest.mark.parametrize("case", HONEST, ids=[case.name for case in HONEST])
def test_honest_query_matches_hand_filter(events_store, case):
    scope = SCOPES[case.headers["scope"]]

    run = run_custom_sql(events_store, case.sql, scope, LIMITS, "test")
    by_hand = events_store.query(case.by_hand)

    assert run.outcome == "ok", f"{run.error}\n{run.guarded.sql if run.guarded else ''}"
    assert run.rows, "an honest query of the corpus must return rows, or the comparison proves nothing"
    assert list(run.column_names) == list(by_hand.column_names)
    assert [tuple(row.values()) for row in run.rows] == by_hand.rows
