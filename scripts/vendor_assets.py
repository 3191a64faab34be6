#!/usr/bin/env python3
"""Copy the front-end files that olap serves from node_modules into olap/static/vendor.

`npm ci` installs the packages pinned in package-lock.json. This script checks that each
installed package has the version the lockfile pins, copies a file only when its content
changed, bundles the editor scripts with esbuild (the native binary of the npm package
esbuild, so Node.js is not needed here), and writes vendor/manifest.json with the
versions served.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (npm package, file inside the package, name under olap/static/vendor)
ASSETS: tuple[tuple[str, str, str], ...] = (
    ("htmx.org", "dist/htmx.min.js", "htmx.min.js"),
    ("vega", "build/vega.min.js", "vega.min.js"),
    ("vega-lite", "build/vega-lite.min.js", "vega-lite.min.js"),
    ("vega-lite", "build/vega-lite.min.js.map", "vega-lite.min.js.map"),
    # vega-embed's browser bundle includes vega-interpreter, which renders specs without
    # `unsafe-eval` when embedded with the `ast: true` option.
    ("vega-embed", "build/vega-embed.min.js", "vega-embed.min.js"),
    ("vega-embed", "build/vega-embed.min.js.map", "vega-embed.min.js.map"),
)

# (entry module in the repository, name under olap/static/vendor, npm packages it imports).
# esbuild bundles each entry with the packages it imports into one minified script.
BUNDLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "olap/plugins/custom/assets/custom_editor.js",
        "custom-editor.min.js",
        ("codemirror", "@codemirror/view", "@codemirror/state", "@codemirror/lang-sql", "@codemirror/lang-json"),
    ),
)
ESBUILD = "esbuild/bin/esbuild"
BUNDLE_TIMEOUT_SECONDS = 120


class VendorError(Exception):
    """A package or file is missing or does not match the lockfile."""


def locked_versions(lockfile: Path) -> dict[str, str]:
    """Return {package path under node_modules: version} for every package in package-lock.json."""
    if not lockfile.is_file():
        raise VendorError(f"{lockfile} is missing; it is committed with the repository, so restore it with git.")
    lock = json.loads(lockfile.read_text())
    packages = lock.get("packages", {})
    return {path.removeprefix("node_modules/"): entry["version"] for path, entry in packages.items() if path.startswith("node_modules/") and "version" in entry}


def installed_version(node_modules: Path, package: str) -> str:
    manifest = node_modules / package / "package.json"
    if not manifest.is_file():
        raise VendorError(f"npm package {package} is not installed in {node_modules}; run `npm ci` first.")
    return json.loads(manifest.read_text())["version"]


def copy_if_changed(source: Path, target: Path) -> bool:
    """Copy `source` to `target` unless both contain the same bytes, and return whether it copied."""
    if target.is_file() and filecmp.cmp(source, target, shallow=False):
        return False
    shutil.copyfile(source, target)
    return True


def vendor(root: Path) -> list[str]:
    """Copy every asset into root/olap/static/vendor; and return the names that changed."""
    node_modules = root / "node_modules"
    target_folder = root / "olap" / "static" / "vendor"
    locked = locked_versions(root / "package-lock.json")

    versions: dict[str, str] = {}
    packages = [package for package, _source, _name in ASSETS] + [package for _entry, _name, imported in BUNDLES for package in imported] + ["esbuild"]
    for package in packages:
        version = installed_version(node_modules, package)
        if package not in locked:
            raise VendorError(f"npm package {package} is not in package-lock.json; add it to package.json and run `npm install`.")
        if version != locked[package]:
            raise VendorError(f"npm package {package} is installed at {version} but package-lock.json pins {locked[package]}; run `npm ci`.")
        versions[package] = version

    target_folder.mkdir(parents=True, exist_ok=True)
    changed = []
    for package, source, name in ASSETS:
        source_path = node_modules / package / source
        if not source_path.is_file():
            raise VendorError(f"{source_path} is missing from npm package {package} {versions[package]}; check the file list in scripts/vendor_assets.py.")
        if copy_if_changed(source_path, target_folder / name):
            changed.append(name)
    for entry, name, _imported in BUNDLES:
        if bundle(root, node_modules, root / entry, target_folder / name):
            changed.append(name)

    files = [name for _package, _source, name in ASSETS] + [name for _entry, name, _imported in BUNDLES]
    manifest = json.dumps({"packages": versions, "files": files}, indent=2, sort_keys=True) + "\n"
    manifest_path = target_folder / "manifest.json"
    if not manifest_path.is_file() or manifest_path.read_text() != manifest:
        manifest_path.write_text(manifest)
        changed.append("manifest.json")
    return changed


def bundle(root: Path, node_modules: Path, entry: Path, target: Path) -> bool:
    """Bundle `entry` and the npm packages it imports into `target`; return whether `target` changed."""
    esbuild = node_modules / ESBUILD
    if not esbuild.is_file():
        raise VendorError(f"{esbuild} is missing; run `npm ci` (esbuild is a devDependency in package.json).")
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / target.name
        command = [str(esbuild), str(entry), "--bundle", "--minify", "--format=iife", "--target=es2020", "--legal-comments=none", f"--outfile={output}"]
        try:
            completed = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=BUNDLE_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise VendorError(f"esbuild did not finish bundling {entry.name} within {BUNDLE_TIMEOUT_SECONDS} s.") from None
        if completed.returncode != 0:
            raise VendorError(f"esbuild failed to bundle {entry.name}: {completed.stderr.strip()}")
        return copy_if_changed(output, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="Repository folder (default: the one containing this script).")
    args = parser.parse_args(argv)
    try:
        changed = vendor(args.root.resolve())
    except VendorError as err:
        print(f"vendor_assets: {err}", file=sys.stderr)
        return 1
    if changed:
        print(f"vendor_assets: updated {', '.join(changed)} in olap/static/vendor")
    else:
        print("vendor_assets: olap/static/vendor is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
