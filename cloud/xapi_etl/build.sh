#!/usr/bin/env bash
# Build the deployable zip of the xAPI ETL function (Lambda handler xapi_etl.handler.handler).
#
# Usage: cloud/xapi_etl/build.sh [OUTPUT_ZIP]      (default: dist/xapi_etl.zip)
# Environment:
#   PYTHON          interpreter that runs pip (default: .venv/bin/python, else python3)
#   LAMBDA_PYTHON   Python version of the Lambda runtime (default: 3.11)
#   LAMBDA_ARCH     x86_64 or aarch64, the function's architecture (default: x86_64)
#   INCLUDE_BOTO3   1 to bundle boto3 instead of using the runtime's copy (default: 0)
#
# Wheels are fetched from PyPI for the Lambda platform, never built from source. Only the
# olap modules the ingest path imports are copied: olap.core.{clickhouse,config,errors}
# and olap.ingest, under an olap/__init__.py that loads no plugins, Flask or chdb.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
output="${1:-$repo/dist/xapi_etl.zip}"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    if [[ -x "$repo/.venv/bin/python" ]]; then python="$repo/.venv/bin/python"; else python="python3"; fi
fi
lambda_python="${LAMBDA_PYTHON:-3.11}"
lambda_arch="${LAMBDA_ARCH:-x86_64}"
case "$lambda_arch" in
    x86_64|aarch64) ;;
    *) echo "build.sh: LAMBDA_ARCH=$lambda_arch is invalid; use x86_64 or aarch64." >&2; exit 2 ;;
esac

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT

echo "build.sh: installing runtime dependencies for Python $lambda_python on $lambda_arch"
# Amazon Linux 2 (the Python 3.11 runtime) has glibc 2.26, Amazon Linux 2023 (3.12 and
# later) glibc 2.34, so only the newer runtimes load manylinux_2_28 wheels.
platforms=(--platform "manylinux2014_$lambda_arch")
if [[ "$lambda_python" != "3.11" ]]; then
    platforms+=(--platform "manylinux_2_28_$lambda_arch")
fi
requirements=(-r "$here/requirements.txt")
if [[ "${INCLUDE_BOTO3:-0}" == "1" ]]; then
    requirements+=(boto3)
fi
"$python" -m pip install --quiet --disable-pip-version-check --no-compile \
    --target "$staging" \
    "${platforms[@]}" --implementation cp --python-version "$lambda_python" \
    --only-binary=:all: "${requirements[@]}"

echo "build.sh: copying olap.core.{clickhouse,config,errors}, olap.ingest and xapi_etl"
mkdir -p "$staging/olap/core" "$staging/olap/ingest" "$staging/xapi_etl"
cat > "$staging/olap/__init__.py" <<'PY'
"""olap, reduced to what the ETL function imports: olap.core.{clickhouse,config,errors} and olap.ingest."""
PY
cp "$repo/olap/core/__init__.py" "$repo/olap/core/clickhouse.py" "$repo/olap/core/config.py" "$repo/olap/core/errors.py" "$staging/olap/core/"
cp "$repo"/olap/ingest/*.py "$staging/olap/ingest/"
cp "$here"/*.py "$staging/xapi_etl/"

# Test suites of the packages, and pyarrow's C++ headers and Cython sources, are not
# needed at run time.
find "$staging" -mindepth 2 -maxdepth 2 -type d -name tests -prune -exec rm -rf {} +
rm -rf "$staging"/pyarrow/include "$staging"/pyarrow/src "$staging"/bin
find "$staging" -name '__pycache__' -type d -prune -exec rm -rf {} +
find "$staging/pyarrow" \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.cc' \) -delete

echo "build.sh: checking that the handler imports from the staging folder"
if [[ "$lambda_arch" == "$(uname -m)" ]] && "$python" -c "import sys; sys.exit(sys.version.startswith('$lambda_python.') is False)"; then
    # The check imports only from the staging folder, the standard library (-S) and, when boto3
    # is not bundled, links to this interpreter's boto3 and its pure-Python dependencies,
    # which stand in for the copy the Lambda runtime provides.
    runtime_dir="$staging.runtime"
    mkdir -p "$runtime_dir"
    trap 'rm -rf "$staging" "$runtime_dir"' EXIT
    if [[ "${INCLUDE_BOTO3:-0}" != "1" ]]; then
        "$python" - "$runtime_dir" <<'PY'
import importlib
import os
import sys

for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six"):
    module = importlib.import_module(name)
    path = os.path.dirname(module.__file__) if module.__file__.endswith("__init__.py") else module.__file__
    os.symlink(path, os.path.join(sys.argv[1], os.path.basename(path)))
PY
    fi
    "$python" -S - "$staging" "$runtime_dir" <<'PY'
import os
import sys
import sysconfig

staging, runtime_dir = sys.argv[1], sys.argv[2]
sys.path[:0] = [staging, runtime_dir]
import xapi_etl.handler  # noqa: F401
import olap.ingest
import pyarrow, orjson, clickhouse_connect

allowed = [os.path.realpath(path) for path in (staging, runtime_dir, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])]
for name, module in list(sys.modules.items()):
    origin = getattr(module, "__file__", None)
    if origin and os.path.isabs(origin) and not any(os.path.abspath(origin).startswith(folder) or os.path.realpath(origin).startswith(folder) for folder in allowed):
        sys.exit(f"build.sh: {name} was imported from {origin}; add it to requirements.txt so the zip contains it")
for unwanted in ("chdb", "flask", "pluggy", "numpy", "olap.core.plugins"):
    if unwanted in sys.modules:
        sys.exit(f"build.sh: importing the handler also imported {unwanted}; the zip must not need it")

statement = b'{"actor":{"mbox":"mailto:a@example.edu"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"x"},"timestamp":"2026-02-10T15:42:07Z"}'
transformed = olap.ingest.transform_lines([statement, b"not json"], "build-check")
if (transformed.rows.num_rows, transformed.rejects.num_rows) != (1, 1):
    sys.exit(f"build.sh: the zip's transform made {transformed.rows.num_rows} rows and {transformed.rejects.num_rows} rejects from 1 good and 1 bad line")
print(f"build.sh: handler imports, transform works with pyarrow {pyarrow.__version__}, orjson {orjson.__version__}, clickhouse-connect {clickhouse_connect.__version__}")
PY
else
    echo "build.sh: skipping the import check, because this interpreter is not Python $lambda_python on $lambda_arch"
fi

mkdir -p "$(dirname "$output")"
rm -f "$output"
(cd "$staging" && find . -type f | LC_ALL=C sort | sed 's|^\./||' | zip -q -X -9 "$output" -@)
size_bytes=$(stat -c %s "$output")
echo "build.sh: wrote $output ($((size_bytes / 1024 / 1024)) MiB; handler xapi_etl.handler.handler)"
if (( size_bytes > 50 * 1024 * 1024 )); then
    echo "build.sh: the zip exceeds 50 MiB, so upload it through S3 (--s3-bucket/--s3-key) rather than directly" >&2
fi
