"""Helpers shared by test modules: signing in through the form, installing a plugin distribution."""

from __future__ import annotations

import re
from pathlib import Path


def sign_in(client, email: str, password: str = "password1"):
    """Sign in through the login form, taking the CSRF token from the page."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def install_distribution(site: Path, name: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    """Install a distribution the way pip does: modules plus a dist-info folder with entry points."""
    dist_info = site / f"{name}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "\n".join(f"{key} = {value}" for key, value in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[olap.plugins]\n{lines}\n")
    for module_name, source in modules.items():
        (site / f"{module_name}.py").write_text(source)
