"""Import projects, sections and resources (page and activity titles) from JSON or CSV files.

Imports are upserts keyed by id, so running the same file twice changes nothing. A bad
row stops the whole import before anything is written, with its row number and field.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from olap.core.errors import ImportFileError
from olap.core.models import RESOURCE_KINDS, Project, Resource, Section

logger = logging.getLogger(__name__)

KINDS = ("projects", "sections", "resources")


@dataclass
class ImportSummary:
    """Rows read, and how many were created, updated or unchanged."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rows": self.rows, "created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Read a JSON array of objects, a JSON object with one list, or a CSV file with a header."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportFileError(f"Import file {path} does not exist; check the path.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ImportFileError(f"Import file {path} cannot be read as UTF-8 text ({err}).") from err
    if path.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as err:
            raise ImportFileError(f"Import file {path} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}.") from err
        if isinstance(document, dict) and len(document) == 1 and isinstance(next(iter(document.values())), list):
            document = next(iter(document.values()))
        if not isinstance(document, list) or not all(isinstance(row, dict) for row in document):
            raise ImportFileError(f"Import file {path} must hold a JSON array of objects.")
        return document
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames:
            raise ImportFileError(f"Import file {path} has no header row; start it with the column names.")
        return [dict(row) for row in reader]
    raise ImportFileError(f"Import file {path} must end in .json or .csv.")


def _required(row: dict, field: str, number: int) -> Any:
    value = row.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ImportFileError(f"Row {number}: field {field!r} is missing.")
    return value.strip() if isinstance(value, str) else value


def _integer(row: dict, field: str, number: int) -> int:
    value = _required(row, field, number)
    try:
        parsed = int(value)
    except (TypeError, ValueError):
        raise ImportFileError(f"Row {number}: {field}={value!r} is not a whole number.") from None
    if parsed < 0:
        raise ImportFileError(f"Row {number}: {field}={value!r} is negative.")
    return parsed


def _optional_date(row: dict, field: str, number: int) -> date | None:
    value = row.get(field)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ImportFileError(f"Row {number}: {field}={value!r} is not a date; use YYYY-MM-DD.") from None


def _time_zone(row: dict, number: int) -> str:
    value = (row.get("time_zone") or "UTC").strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportFileError(f"Row {number}: time_zone={value!r} is not an IANA time zone such as Europe/Paris.") from None
    return value


def _project_values(row: dict, number: int, session) -> tuple[Any, dict]:
    return _integer(row, "id", number), {"title": str(_required(row, "title", number))}


def _section_values(row: dict, number: int, session) -> tuple[Any, dict]:
    values = {
        "project_id": _integer(row, "project_id", number),
        "title": str(_required(row, "title", number)),
        "time_zone": _time_zone(row, number),
        "start_date": _optional_date(row, "start_date", number),
        "end_date": _optional_date(row, "end_date", number),
    }
    if values["start_date"] and values["end_date"] and values["end_date"] < values["start_date"]:
        raise ImportFileError(f"Row {number}: end_date {values['end_date']} is before start_date {values['start_date']}.")
    if session.get(Project, values["project_id"]) is None:
        raise ImportFileError(f"Row {number}: project_id {values['project_id']} does not exist; import the project first.")
    return _integer(row, "id", number), values


def _resource_values(row: dict, number: int, session) -> tuple[Any, dict]:
    kind = str(_required(row, "kind", number)).lower()
    if kind not in RESOURCE_KINDS:
        raise ImportFileError(f"Row {number}: kind={kind!r} is unknown; use page or activity.")
    project_id = _integer(row, "project_id", number)
    if session.get(Project, project_id) is None:
        raise ImportFileError(f"Row {number}: project_id {project_id} does not exist; import the project first.")
    key = (project_id, kind, _integer(row, "resource_id", number))
    return key, {"title": str(_required(row, "title", number))}


def _find_resource(session, key: tuple) -> Resource | None:
    project_id, kind, resource_id = key
    return session.scalar(select(Resource).where(Resource.project_id == project_id, Resource.kind == kind, Resource.resource_id == resource_id))


def _make_resource(key: tuple, values: dict) -> Resource:
    project_id, kind, resource_id = key
    return Resource(project_id=project_id, kind=kind, resource_id=resource_id, **values)


IMPORTERS: dict[str, tuple[Callable, Callable, Callable]] = {
    "projects": (_project_values, lambda session, key: session.get(Project, key), lambda key, values: Project(id=key, **values)),
    "sections": (_section_values, lambda session, key: session.get(Section, key), lambda key, values: Section(id=key, **values)),
    "resources": (_resource_values, _find_resource, _make_resource),
}


def import_file(session, kind: str, path: Path) -> ImportSummary:
    """Upsert every row of `path` as `kind`; write nothing when any row is invalid."""
    if kind not in IMPORTERS:
        raise ImportFileError(f"Import kind {kind!r} is unknown; use one of: {', '.join(KINDS)}.")
    parse, find, make = IMPORTERS[kind]
    rows = read_rows(path)
    summary = ImportSummary(kind=kind, rows=len(rows))
    seen: set = set()
    try:
        for number, row in enumerate(rows, start=1):
            key, values = parse(row, number, session)
            if key in seen:
                raise ImportFileError(f"Row {number}: id {key} appears twice in the file.")
            seen.add(key)
            existing = find(session, key)
            if existing is None:
                session.add(make(key, values))
                summary.created += 1
            elif all(getattr(existing, field) == value for field, value in values.items()):
                summary.unchanged += 1
            else:
                for field, value in values.items():
                    setattr(existing, field, value)
                summary.updated += 1
            session.flush()
    except ImportFileError as err:
        session.rollback()
        raise ImportFileError(f"{path}: {err}") from None
    session.commit()
    logger.info("import %s: %d rows from %s, %d created, %d updated", kind, summary.rows, path, summary.created, summary.updated)
    return summary
