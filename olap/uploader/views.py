"""`POST /xapi/statements`: producers send one statement or an array, authenticated by API key.

The whole body is checked before anything is stored: a statement that cannot become a
row makes the request fail with 400 and nothing of it is inserted, as xAPI asks.
"""

from __future__ import annotations

import base64
import datetime
import logging
import uuid

from flask import Blueprint, current_app, jsonify, request

from olap.core.errors import UserInputError
from olap.ingest import ingest_lines, transform_lines
from olap.ingest.loader import stored_payload_hashes
from olap.uploader.producers import authenticate_key
from olap.uploader.statements import split_statements

logger = logging.getLogger(__name__)

bp = Blueprint("xapi", __name__, url_prefix="/xapi")
XAPI_VERSION = "1.0.3"


def _api_key() -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    if header.startswith("Basic "):
        try:
            _user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return ""
        return password
    return request.headers.get("X-API-Key", "")


def _error(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    response.headers["X-Experience-API-Version"] = XAPI_VERSION
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="olap xAPI"'
    return response


@bp.route("/statements", methods=["POST"])
def post_statements():
    instance = current_app.extensions["olap"]
    config = instance.config
    producer = authenticate_key(instance.db.session, _api_key())
    if producer is None:
        return _error(401, "Missing or invalid API key; send it as the Basic auth password or a Bearer token.")
    if request.content_length and request.content_length > config["XAPI_MAX_BODY_BYTES"]:
        return _error(413, f"The body is larger than {config['XAPI_MAX_BODY_BYTES']} bytes; send the statements in smaller arrays.")

    try:
        statements = split_statements(request.get_data(cache=False))
    except UserInputError as err:
        logger.info("xapi producer %s: rejected a malformed body: %s", producer.name, err)
        return _error(400, str(err))

    request_id = uuid.uuid4().hex
    source_file = f"xapi:{producer.name}:{request_id}"
    transformed = transform_lines(statements, source_file, max_line_bytes=config["XAPI_MAX_LINE_BYTES"])
    if transformed.rejects.num_rows:
        rejects = transformed.rejects.select(["source_line", "reason"]).to_pylist()
        first = rejects[0]
        logger.info("xapi producer %s: rejected %d of %d statements", producer.name, len(rejects), len(statements))
        return _error(400, f"Statement {first['source_line']} cannot be stored ({first['reason']}); nothing from this request was stored.")

    event_ids = transformed.rows.column("event_id").to_pylist()
    payload_hashes = transformed.rows.column("payload_hash").to_pylist()
    conflict = _first_conflict(instance, event_ids, payload_hashes)
    if conflict:
        return _error(409, f"Statement id {conflict} is already stored with different content; nothing from this request was stored.")

    if config["XAPI_ETL_MODE"] == "s3":
        key = write_bundle(config, producer.name, request_id, statements)
        logger.info("xapi producer %s: wrote %d statements to s3://%s/%s", producer.name, len(statements), config["XAPI_S3_BUCKET"], key)
    else:
        summary = ingest_lines(instance.clickhouse_admin, statements, source_file, max_line_bytes=config["XAPI_MAX_LINE_BYTES"])
        logger.info("xapi producer %s: %d statements, %d inserted, %d duplicates", producer.name, summary.lines, summary.inserted, summary.duplicates)
    response = jsonify(event_ids)
    response.headers["X-Experience-API-Version"] = XAPI_VERSION
    return response


def _first_conflict(instance, event_ids: list[str], payload_hashes: list[int]) -> str | None:
    """Return an id that is stored, or repeated in this request, with another payload."""
    seen: dict[str, int] = {}
    for event_id, payload_hash in zip(event_ids, payload_hashes):
        if seen.setdefault(event_id, payload_hash) != payload_hash:
            return event_id
    if instance.config["XAPI_ETL_MODE"] == "s3":
        return None
    stored = stored_payload_hashes(instance.clickhouse_admin, event_ids)
    for event_id, payload_hash in zip(event_ids, payload_hashes):
        if event_id in stored and payload_hash not in stored[event_id]:
            return event_id
    return None


def write_bundle(config, producer_name: str, request_id: str, statements: list[bytes]) -> str:
    """Write the statements as one JSONL object under XAPI_S3_PREFIX and return its key."""
    from olap.core.s3 import s3_client

    now = datetime.datetime.now(datetime.timezone.utc)
    key = f"{config['XAPI_S3_PREFIX'].rstrip('/')}/{now:%Y/%m/%d}/{producer_name}/{now:%H%M%S}-{request_id}.jsonl"
    body = b"\n".join(statements) + b"\n"
    s3_client().put_object(Bucket=config["XAPI_S3_BUCKET"], Key=key, Body=body, ContentType="application/x-ndjson")
    return key
