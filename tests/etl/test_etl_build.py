"""The build script: a Lambda zip with the handler, olap.ingest and lean dependencies.

The build downloads wheels from PyPI for the Lambda platform, so it needs network access
to PyPI and takes about 20 seconds.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import jsonl, s3_event

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "cloud" / "xapi_etl" / "build.sh"


def run_build(output: Path, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, **environment}
    return subprocess.run([str(BUILD_SCRIPT), str(output)], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory) -> tuple[Path, str]:
    output = tmp_path_factory.mktemp("build") / "xapi_etl.zip"
    result = run_build(output)
    assert result.returncode == 0, f"build.sh failed (it needs network access to PyPI):\n{result.stdout}\n{result.stderr}"
    return output, result.stdout


def test_build_zip_contains_handler_and_ingest(built_zip):
    output, _ = built_zip
    names = set(zipfile.ZipFile(output).namelist())

    for required in (
        "xapi_etl/handler.py",
        "xapi_etl/events.py",
        "xapi_etl/objects.py",
        "xapi_etl/settings.py",
        "olap/__init__.py",
        "olap/core/clickhouse.py",
        "olap/core/config.py",
        "olap/core/errors.py",
        "olap/ingest/__init__.py",
        "olap/ingest/loader.py",
        "olap/ingest/transform.py",
        "pyarrow/__init__.py",
        "orjson/__init__.py",
        "clickhouse_connect/__init__.py",
    ):
        assert required in names, f"{required} is missing from the zip"


def test_build_zip_leaves_out_web_app_and_chdb(built_zip):
    output, _ = built_zip
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(output).namelist()}
    names = set(zipfile.ZipFile(output).namelist())

    for unwanted in ("chdb", "flask", "pluggy", "sqlalchemy", "numpy", "boto3", "botocore"):
        assert unwanted not in top_level, f"{unwanted} is in the zip"
    for unwanted in ("olap/core/app.py", "olap/core/plugins.py", "olap/core/cli.py"):
        assert unwanted not in names, f"{unwanted} is in the zip"
    assert not [name for name in names if "/tests/" in name or name.endswith(".pyc")]


def test_build_checks_handler_imports_from_zip(built_zip):
    output, stdout = built_zip

    assert "handler imports, transform works" in stdout
    assert output.stat().st_size < 50 * 1024 * 1024


def test_build_rejects_unknown_architecture(tmp_path):
    result = run_build(tmp_path / "x.zip", LAMBDA_ARCH="sparc")

    assert result.returncode == 2
    assert "LAMBDA_ARCH=sparc is invalid" in result.stderr
    assert not (tmp_path / "x.zip").exists()


DRY_RUN_SCRIPT = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from xapi_etl.handler import handler
event = json.loads(sys.argv[3])
print(json.dumps(handler(event)))
import pyarrow
print(pyarrow.__file__)
"""


def test_zip_dry_run_reads_loopback_s3(built_zip, tmp_path, s3, bucket, aws_env):
    output, _ = built_zip
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(output).extractall(unpacked)
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir()
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six"):
        module = importlib.import_module(name)
        path = Path(module.__file__)
        source = path.parent if path.name == "__init__.py" else path
        (runtime_dir / source.name).symlink_to(source)
    s3.put_object(Bucket=bucket, Key="zip check.jsonl", Body=jsonl(3, 1))
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CLICKHOUSE_", "OLAP_"))}
    env["XAPI_ETL_DRY_RUN"] = "true"

    result = subprocess.run(
        [sys.executable, "-S", "-c", DRY_RUN_SCRIPT, str(unpacked), str(runtime_dir), json.dumps(s3_event(bucket, "zip check.jsonl"))],
        capture_output=True, text=True, env=env, timeout=120,
    )

    assert result.returncode == 0, result.stderr
    response_line, pyarrow_file = result.stdout.strip().splitlines()[-2:]
    [report] = json.loads(response_line)["objects"]
    assert (report["lines"], report["inserted"], report["rejected"]) == (4, 3, 1)
    assert pyarrow_file.startswith(str(unpacked))
