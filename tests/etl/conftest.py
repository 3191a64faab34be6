"""Fixtures of the ETL function tests: a moto S3 server on loopback, buckets, events and counts."""

from __future__ import annotations

import copy
import json
import sys
import uuid
from pathlib import Path
from urllib.parse import quote_plus

import boto3
import pytest
from moto.server import ThreadedMotoServer

CLOUD = Path(__file__).resolve().parents[2] / "cloud"
if str(CLOUD) not in sys.path:
    sys.path.insert(0, str(CLOUD))

from xapi_etl import settings as etl_settings  # noqa: E402

OLI = "http://oli.cmu.edu/extensions/"
AWS_NAMES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "XAPI_ETL_DRY_RUN")

PART_ATTEMPT = {
    "actor": {"account": {"homePage": "https://lms.example.edu", "name": 48213}, "objectType": "Agent"},
    "context": {
        "extensions": {
            OLI + "section_id": 2051,
            OLI + "project_id": 318,
            OLI + "publication_id": 1427,
            OLI + "page_id": 40915,
            OLI + "activity_id": 41207,
            OLI + "part_id": "1",
            OLI + "part_attempt_number": 1,
        }
    },
    "object": {
        "definition": {"type": "http://adlnet.gov/expapi/activities/question"},
        "id": "https://lms.example.edu/part_attempt/d25fa12f}",
        "objectType": "Activity",
    },
    "result": {"completion": True, "score": {"max": 1.0, "min": 0, "raw": 1.0, "scaled": 1.0}, "success": True},
    "timestamp": "2026-02-10T15:42:07Z",
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
}


def jsonl(accepted: int, rejected: int = 0, *, user_base: int = 48000) -> bytes:
    """JSONL of `accepted` distinct Torus part attempts, then `rejected` lines that are not JSON."""
    lines = []
    for index in range(accepted):
        statement = copy.deepcopy(PART_ATTEMPT)
        statement["actor"]["account"]["name"] = user_base + index
        statement["context"]["extensions"][OLI + "part_attempt_guid"] = str(uuid.UUID(int=user_base * 1000 + index))
        lines.append(json.dumps(statement, separators=(",", ":")).encode())
    lines += [b"{not json " + str(index).encode() for index in range(rejected)]
    return b"\n".join(lines) + b"\n"


def encode_key(key: str) -> str:
    """Encode a key the way S3 writes it into event notifications: URL-encoded, `+` for a space."""
    return quote_plus(key, safe="/")


def s3_record(bucket: str, key: str, event_name: str = "ObjectCreated:Put") -> dict:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventName": event_name,
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}, "object": {"key": encode_key(key), "size": 1}},
    }


def s3_event(bucket: str, *keys: str) -> dict:
    """An S3 event notification naming `keys` as created objects."""
    return {"Records": [s3_record(bucket, key) for key in keys]}


def sns_event(*s3_events: dict) -> dict:
    """A Lambda event from SNS, one record per S3 event."""
    return {
        "Records": [
            {"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()), "Message": json.dumps(body)}}
            for body in s3_events
        ]
    }


def sqs_event(*bodies: tuple[str, dict]) -> dict:
    """A Lambda event from SQS; each body is (messageId, S3 event or SNS envelope)."""
    return {
        "Records": [
            {"messageId": message_id, "receiptHandle": "handle-" + message_id, "body": json.dumps(body), "eventSource": "aws:sqs", "awsRegion": "us-east-1"}
            for message_id, body in bodies
        ]
    }


def sns_envelope(s3_body: dict) -> dict:
    """An S3 event as SNS delivers it to an SQS queue without raw message delivery."""
    return {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": "arn:aws:sns:us-east-1:123456789012:xapi", "Message": json.dumps(s3_body)}


@pytest.fixture(scope="session")
def s3_server():
    """A moto S3 server on 127.0.0.1 at a free port, for the whole test process."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(s3_server, monkeypatch) -> str:
    """Point boto3 at the loopback S3 server with dummy credentials; return the endpoint URL."""
    for name in AWS_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return s3_server


@pytest.fixture
def s3(aws_env):
    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def bucket(s3) -> str:
    """A new, empty bucket on the loopback server."""
    name = f"xapi-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def etl_env(aws_env, olap_env, clickhouse, monkeypatch):
    """Environment of the function: the test's migrated database, a fresh runtime before and after."""
    monkeypatch.setenv("CLICKHOUSE_ADMIN_URL", olap_env["CLICKHOUSE_URL"])
    monkeypatch.setenv("CLICKHOUSE_DATABASE", olap_env["CLICKHOUSE_DATABASE"])
    monkeypatch.setenv("OLAP_HOME", olap_env["OLAP_HOME"])
    etl_settings.reset_runtime()
    yield
    etl_settings.reset_runtime()


@pytest.fixture
def counts(clickhouse):
    """Return (raw_events rows, raw_events_rejected rows) of the test's database."""

    def read() -> tuple[int, int]:
        rows = clickhouse.query("SELECT count() FROM raw_events FINAL").scalar()
        rejects = clickhouse.query("SELECT count() FROM raw_events_rejected FINAL").scalar()
        return rows, rejects

    return read
