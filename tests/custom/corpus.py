"""Reading the SQL corpus files: named cases with an expectation and, for honest queries, a query written by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Case:
    """One corpus entry: its name, its header lines (`-- key: value`) and its SQL."""

    name: str
    headers: dict
    sql: str
    by_hand: str = ""


def read_cases(file_name: str) -> list[Case]:
    """Split a corpus file on `-- name:` lines; header comments follow the name, SQL follows them."""
    cases = []
    blocks = (CORPUS / file_name).read_text().split("\n-- name: ")[1:]
    for block in blocks:
        name, _, rest = block.partition("\n")
        headers = {}
        lines = rest.split("\n")
        while lines and lines[0].startswith("-- ") and ": " in lines[0] and lines[0][3:].split(": ", 1)[0] in ("expect", "scope"):
            key, value = lines.pop(0)[3:].split(": ", 1)
            headers[key] = value
        text = "\n".join(lines).strip("\n")
        sql, _, by_hand = text.partition("\n-- by hand:\n")
        cases.append(Case(name.strip(), headers, sql.rstrip() + "\n", by_hand.strip()))
    return cases


def expectation(case: Case) -> tuple[str, object]:
    """Return ('rejected', rule), ('rows', rows) or ('limit', None) for a hostile case."""
    kind, _, argument = case.headers["expect"].partition(" ")
    if kind == "rows":
        return kind, json.loads(argument)
    return kind, argument or None
