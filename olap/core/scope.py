"""Scopes of analytics: one section or one project, and the raw_events predicate for each.

raw_events is sorted by (project_id, section_id, …). A section predicate names the
section's project too, so the primary key selects the section's own granules; it also
accepts project_id 0, the value of statements whose producer could not name a project.
A project predicate likewise adds its sections' rows that carry project_id 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ScopeKind = Literal["section", "project"]


@dataclass(frozen=True)
class Scope:
    """The section or project a query is limited to."""

    kind: ScopeKind
    id: int
    project_id: int
    section_ids: tuple[int, ...] = field(default=())

    @classmethod
    def section(cls, section_id: int, project_id: int) -> "Scope":
        return cls("section", int(section_id), int(project_id))

    @classmethod
    def project(cls, project_id: int, section_ids: tuple[int, ...] | list[int] = ()) -> "Scope":
        return cls("project", int(project_id), int(project_id), tuple(sorted(int(s) for s in section_ids)))

    def predicate(self) -> str:
        """Return the SQL condition on raw_events columns, with bound parameter placeholders."""
        if self.kind == "section":
            return "(project_id IN ({scope_project_id:UInt64}, 0) AND section_id = {scope_section_id:UInt64})"
        return "(project_id = {scope_project_id:UInt64} OR (project_id = 0 AND section_id IN {scope_section_ids:Array(UInt64)}))"

    def parameters(self) -> dict[str, Any]:
        """Return the values bound to the placeholders of predicate()."""
        if self.kind == "section":
            return {"scope_project_id": self.project_id, "scope_section_id": self.id}
        return {"scope_project_id": self.project_id, "scope_section_ids": list(self.section_ids)}

    def describe(self) -> str:
        return f"{self.kind} {self.id}"
