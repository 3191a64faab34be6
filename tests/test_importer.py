"""Imports of projects, sections and resources: JSON and CSV, idempotent, bad rows named."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from olap.core.errors import ImportFileError
from olap.core.importer import import_file
from olap.core.models import Project, Resource, Section


@pytest.fixture
def session(instance):
    return instance.db.session


def write(path, text: str):
    path.write_text(text)
    return path


def test_json_and_csv_imports_are_idempotent(session, tmp_path):
    projects = write(tmp_path / "projects.json", json.dumps([{"id": 318, "title": "Chemistry"}, {"id": 400, "title": "Physics"}]))
    sections = write(tmp_path / "sections.csv", "id,project_id,title,time_zone,start_date,end_date\n2051,318,Chem A,America/New_York,2026-01-12,2026-05-08\n3001,400,Physics A,,,\n")
    resources = write(tmp_path / "resources.json", json.dumps({"resources": [{"project_id": 318, "kind": "page", "resource_id": 40915, "title": "Enthalpy"}, {"project_id": 318, "kind": "activity", "resource_id": 41207, "title": "Quiz 1"}]}))

    first = [import_file(session, kind, path).as_dict() for kind, path in (("projects", projects), ("sections", sections), ("resources", resources))]
    second = [import_file(session, kind, path).as_dict() for kind, path in (("projects", projects), ("sections", sections), ("resources", resources))]

    assert [(row["created"], row["unchanged"]) for row in first] == [(2, 0), (2, 0), (2, 0)]
    assert [(row["created"], row["updated"], row["unchanged"]) for row in second] == [(0, 0, 2), (0, 0, 2), (0, 0, 2)]
    chem = session.get(Section, 2051)
    assert (chem.time_zone, chem.start_date, chem.end_date) == ("America/New_York", date(2026, 1, 12), date(2026, 5, 8))
    assert session.get(Section, 3001).time_zone == "UTC"
    assert session.scalar(select(Resource.title).where(Resource.resource_id == 40915)) == "Enthalpy"


def test_changed_title_is_updated(session, tmp_path):
    import_file(session, "projects", write(tmp_path / "a.json", json.dumps([{"id": 1, "title": "Old"}])))

    summary = import_file(session, "projects", write(tmp_path / "b.json", json.dumps([{"id": 1, "title": "New"}])))

    assert (summary.updated, summary.created) == (1, 0)
    assert session.get(Project, 1).title == "New"


@pytest.mark.parametrize(
    ("kind", "name", "text", "message"),
    [
        ("projects", "p.json", "[{\"id\": 1, \"title\": \"A\"}, {\"id\": \"x\", \"title\": \"B\"}]", "Row 2: id='x' is not a whole number"),
        ("projects", "p.json", "[{\"id\": 1}]", "Row 1: field 'title' is missing"),
        ("projects", "p.json", "[{\"id\": 1, \"title\": \"A\"}, {\"id\": 1, \"title\": \"B\"}]", "Row 2: id 1 appears twice"),
        ("projects", "p.json", "{not json", "is not valid JSON"),
        ("projects", "p.txt", "id,title", "must end in .json or .csv"),
        ("sections", "s.csv", "id,project_id,title\n5,999,X\n", "Row 1: project_id 999 does not exist"),
        ("sections", "s.csv", "id,project_id,title,time_zone\n5,318,X,Mars/Olympus\n", "Row 1: time_zone='Mars/Olympus' is not an IANA time zone"),
        ("sections", "s.csv", "id,project_id,title,start_date,end_date\n5,318,X,2026-05-01,2026-01-01\n", "Row 1: end_date 2026-01-01 is before start_date"),
        ("sections", "s.csv", "id,project_id,title,start_date\n5,318,X,May 1\n", "Row 1: start_date='May 1' is not a date"),
        ("resources", "r.csv", "project_id,kind,resource_id,title\n318,video,1,X\n", "Row 1: kind='video' is unknown"),
    ],
    ids=["id-type", "missing-title", "duplicate-id", "bad-json", "extension", "unknown-project", "time-zone", "date-order", "date-format", "resource-kind"],
)
def test_bad_row_is_named_and_nothing_written(session, tmp_path, kind, name, text, message):
    session.add(Project(id=318, title="Chemistry"))
    session.commit()
    before = session.scalar(select(func.count()).select_from(Project))

    with pytest.raises(ImportFileError) as caught:
        import_file(session, kind, write(tmp_path / name, text))

    assert message in str(caught.value)
    assert str(tmp_path) in str(caught.value)
    assert session.scalar(select(func.count()).select_from(Project)) == before
    assert session.scalar(select(func.count()).select_from(Section)) == 0


def test_missing_file_is_reported(session, tmp_path):
    with pytest.raises(ImportFileError, match="does not exist"):
        import_file(session, "projects", tmp_path / "none.json")
