"""Rewrite the settings table of docs/configuration.md from olap.core.config.SETTINGS."""

from __future__ import annotations

import re
from pathlib import Path

from olap.core.config import SETTINGS

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def table() -> str:
    rows = ["| Setting | Default | Description |", "|---|---|---|"]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else ""
        rows.append(f"| `{setting.name}` | {default} | {setting.description} |")
    return "\n".join(rows) + "\n"


def main() -> None:
    text = DOC.read_text()
    updated = re.sub(r"\| Setting \| Default \| Description \|\n(?:\|.*\|\n)+", table(), text, count=1)
    DOC.write_text(updated)


if __name__ == "__main__":
    main()
