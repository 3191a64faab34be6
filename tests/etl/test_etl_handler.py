"""The ETL function end to end: events name objects on a loopback S3 server, rows land in chDB."""

from __future__ import annotations

import gzip
import logging

import pytest

from olap.core.errors import ConfigError
from olap.ingest import split_jsonl, transform_lines
from xapi_etl import settings as etl_settings
from xapi_etl.events import EventFormatError
from xapi_etl.handler import ObjectsFailed, handler

from .conftest import jsonl, s3_event, s3_record, sns_envelope, sns_event, sqs_event

TEST_EVENT = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-02-10T15:42:07.000Z", "Bucket": "xapi", "RequestId": "R1", "HostId": "H1"}


def test_direct_event_ingests_rows_and_rejects(etl_env, s3, bucket, counts, clickhouse):
    s3.put_object(Bucket=bucket, Key="bundles/one.jsonl", Body=jsonl(5, 2))
    etag = s3.head_object(Bucket=bucket, Key="bundles/one.jsonl")["ETag"].strip('"')

    response = handler(s3_event(bucket, "bundles/one.jsonl"))

    assert counts() == (5, 2)
    [report] = response["objects"]
    assert report["lines"] == 7
    assert report["inserted"] == 5
    assert report["rejected"] == 2
    assert report["reasons"] == {"invalid_json": 2}
    sources = clickhouse.query("SELECT DISTINCT source_file, source_etag FROM raw_events").rows
    assert sources == [(f"s3://{bucket}/bundles/one.jsonl", etag)]
    reject_lines = clickhouse.query("SELECT source_line FROM raw_events_rejected ORDER BY source_line").rows
    assert reject_lines == [(6,), (7,)]


def test_sns_event_ingests_every_record(etl_env, s3, bucket, counts):
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl(3, 1, user_base=1000))
    s3.put_object(Bucket=bucket, Key="b.jsonl", Body=jsonl(4, 0, user_base=2000))

    response = handler(sns_event(s3_event(bucket, "a.jsonl"), s3_event(bucket, "b.jsonl")))

    assert counts() == (7, 1)
    assert [report["object"] for report in response["objects"]] == [f"s3://{bucket}/a.jsonl", f"s3://{bucket}/b.jsonl"]


def test_sqs_event_with_raw_and_sns_bodies(etl_env, s3, bucket, counts):
    s3.put_object(Bucket=bucket, Key="raw.jsonl", Body=jsonl(2, 1, user_base=1000))
    s3.put_object(Bucket=bucket, Key="wrapped.jsonl", Body=jsonl(6, 2, user_base=2000))
    event = sqs_event(("m-raw", s3_event(bucket, "raw.jsonl")), ("m-sns", sns_envelope(s3_event(bucket, "wrapped.jsonl"))))

    response = handler(event)

    assert response == {"batchItemFailures": []}
    assert counts() == (8, 3)


def test_gzip_object_named_jsonl(etl_env, s3, bucket, counts):
    s3.put_object(Bucket=bucket, Key="gz/plain-name.jsonl", Body=gzip.compress(jsonl(9, 1)))

    response = handler(s3_event(bucket, "gz/plain-name.jsonl"))

    assert counts() == (9, 1)
    assert response["objects"][0]["gzip"] is True


def test_plain_object_named_gz_is_read_as_text(etl_env, s3, bucket, counts):
    s3.put_object(Bucket=bucket, Key="plain.jsonl.gz", Body=jsonl(2))

    handler(s3_event(bucket, "plain.jsonl.gz"))

    assert counts() == (2, 0)


def test_key_with_space_plus_equals_unicode(etl_env, s3, bucket, counts, clickhouse):
    key = "year=2026/month=02/bundle one+two ü 東京.jsonl"
    s3.put_object(Bucket=bucket, Key=key, Body=jsonl(3))
    record = s3_record(bucket, key)
    assert record["s3"]["object"]["key"] == "year%3D2026/month%3D02/bundle+one%2Btwo+%C3%BC+%E6%9D%B1%E4%BA%AC.jsonl"

    handler({"Records": [record]})

    assert counts() == (3, 0)
    assert clickhouse.query("SELECT DISTINCT source_file FROM raw_events").scalar() == f"s3://{bucket}/{key}"


def test_sqs_missing_object_fails_only_its_message(etl_env, s3, bucket, counts):
    s3.put_object(Bucket=bucket, Key="present.jsonl", Body=jsonl(4, 1))
    event = sqs_event(("m-present", s3_event(bucket, "present.jsonl")), ("m-missing", s3_event(bucket, "missing.jsonl")))

    response = handler(event)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-missing"}]}
    assert counts() == (4, 1)


def test_direct_event_with_missing_object_raises(etl_env, s3, bucket, counts):
    s3.put_object(Bucket=bucket, Key="present.jsonl", Body=jsonl(2))

    with pytest.raises(ObjectsFailed, match="missing.jsonl"):
        handler(s3_event(bucket, "present.jsonl", "missing.jsonl"))

    assert counts() == (2, 0)


def test_corrupt_gzip_fails_only_its_message(etl_env, s3, bucket, counts):
    s3.put_object(Bucket=bucket, Key="good.jsonl", Body=jsonl(2))
    s3.put_object(Bucket=bucket, Key="cut.jsonl.gz", Body=gzip.compress(jsonl(50))[:200])
    event = sqs_event(("m-good", s3_event(bucket, "good.jsonl")), ("m-cut", s3_event(bucket, "cut.jsonl.gz")))

    response = handler(event)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-cut"}]}
    assert counts() == (2, 0)


def test_malformed_sqs_body_fails_only_its_message(etl_env, s3, bucket, counts):
    s3.put_object(Bucket=bucket, Key="good.jsonl", Body=jsonl(2))
    event = sqs_event(("m-good", s3_event(bucket, "good.jsonl")), ("m-odd", {"hello": "world"}))
    event["Records"].append({"messageId": "m-text", "body": "not json", "eventSource": "aws:sqs"})

    response = handler(event)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-odd"}, {"itemIdentifier": "m-text"}]}
    assert counts() == (2, 0)


@pytest.mark.parametrize("wrap", ["direct", "sns", "sqs"], ids=["direct", "sns", "sqs"])
def test_rerun_changes_no_count(etl_env, s3, bucket, counts, wrap):
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl(6, 2, user_base=1000))
    s3.put_object(Bucket=bucket, Key="b.jsonl.gz", Body=gzip.compress(jsonl(5, 1, user_base=2000)))
    body = s3_event(bucket, "a.jsonl", "b.jsonl.gz")
    event = {"direct": body, "sns": sns_event(body), "sqs": sqs_event(("m-1", body))}[wrap]

    handler(event)
    first = counts()
    etl_settings.reset_runtime()  # a cold container retries the same event
    second_response = handler(event)

    assert first == (11, 3)
    assert counts() == first
    if wrap != "sqs":
        assert [report["duplicates"] for report in second_response["objects"]] == [6, 5]
        assert [report["inserted"] for report in second_response["objects"]] == [0, 0]


def test_same_key_new_content_adds_rows(etl_env, s3, bucket, counts, clickhouse):
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl(3, user_base=1000))
    handler(s3_event(bucket, "a.jsonl"))
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl(3, user_base=2000))

    handler(s3_event(bucket, "a.jsonl"))

    assert counts() == (6, 0)
    assert clickhouse.query("SELECT uniqExact(source_etag) FROM raw_events").scalar() == 2


def test_event_version_id_reads_that_version(etl_env, s3, bucket, counts):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first_version = s3.put_object(Bucket=bucket, Key="v.jsonl", Body=jsonl(2, 1))["VersionId"]
    s3.put_object(Bucket=bucket, Key="v.jsonl", Body=jsonl(7))
    record = s3_record(bucket, "v.jsonl")
    record["s3"]["object"]["versionId"] = first_version

    handler({"Records": [record]})

    assert counts() == (2, 1)


@pytest.mark.parametrize("switch", ["event_field", "environment"], ids=["event-field", "environment"])
def test_dry_run_inserts_nothing(etl_env, s3, bucket, counts, monkeypatch, switch):
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=gzip.compress(jsonl(4, 3)))
    event = s3_event(bucket, "a.jsonl")
    if switch == "event_field":
        event["dry_run"] = True
    else:
        monkeypatch.setenv("XAPI_ETL_DRY_RUN", "true")

    response = handler(event)

    assert counts() == (0, 0)
    [report] = response["objects"]
    assert report["dry_run"] is True
    assert (report["lines"], report["inserted"], report["rejected"]) == (7, 4, 3)


def test_dry_run_needs_no_clickhouse_url(aws_env, s3, bucket, monkeypatch):
    for name in ("CLICKHOUSE_URL", "CLICKHOUSE_ADMIN_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XAPI_ETL_DRY_RUN", "true")
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl(2, 1))
    etl_settings.reset_runtime()
    try:
        response = handler(s3_event(bucket, "a.jsonl"))
    finally:
        etl_settings.reset_runtime()

    assert response["objects"][0]["inserted"] == 2
    assert response["objects"][0]["rejected"] == 1


def test_missing_clickhouse_url_is_a_config_error(aws_env, monkeypatch):
    for name in ("CLICKHOUSE_URL", "CLICKHOUSE_ADMIN_URL"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(ConfigError, match="CLICKHOUSE_ADMIN_URL"):
        etl_settings.EtlSettings.from_environment({})


@pytest.mark.parametrize(
    "name, value",
    [("XAPI_ETL_MAX_LINE_BYTES", "0"), ("XAPI_ETL_CHUNK_LINES", "many"), ("XAPI_ETL_DRY_RUN", "maybe")],
    ids=["line-bytes-zero", "chunk-not-number", "dry-run-not-boolean"],
)
def test_invalid_setting_names_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        etl_settings.EtlSettings.from_environment({"CLICKHOUSE_ADMIN_URL": "http://etl:secret@127.0.0.1:8123/olap", name: value})


def test_admin_url_sets_target_and_database():
    settings = etl_settings.EtlSettings.from_environment({"CLICKHOUSE_ADMIN_URL": "https://etl:secret@ch.example.edu:8443/xapi"})

    assert settings.target.kind == "http"
    assert settings.target.username == "etl"
    assert settings.target.database == "xapi"
    assert settings.target.secure is True


def test_max_line_bytes_setting_rejects_long_lines(etl_env, s3, bucket, counts, clickhouse, monkeypatch):
    monkeypatch.setenv("XAPI_ETL_MAX_LINE_BYTES", "100")
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl(3))

    handler(s3_event(bucket, "a.jsonl"))

    assert counts() == (0, 3)
    assert clickhouse.query("SELECT DISTINCT reason FROM raw_events_rejected").scalar() == "line_too_large"


def test_small_chunks_give_same_counts(etl_env, s3, bucket, counts, monkeypatch):
    monkeypatch.setenv("XAPI_ETL_CHUNK_LINES", "4")
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl(10, 3))

    handler(s3_event(bucket, "a.jsonl"))

    assert counts() == (10, 3)


@pytest.mark.parametrize("wrap", ["direct", "sns", "sqs"], ids=["direct", "sns", "sqs"])
def test_s3_test_event_is_ignored(etl_env, counts, wrap):
    event = {"direct": TEST_EVENT, "sns": sns_event(TEST_EVENT), "sqs": sqs_event(("m-test", TEST_EVENT))}[wrap]
    if wrap == "direct":
        # S3 never sends its test event straight to Lambda; a bare one has no Records.
        event = dict(TEST_EVENT)

    response = handler(event)

    assert response in ({"batchItemFailures": []}, {"objects": []})
    assert counts() == (0, 0)


def test_object_removed_record_is_ignored(etl_env, s3, bucket, counts):
    record = s3_record(bucket, "gone.jsonl", event_name="ObjectRemoved:Delete")

    response = handler(sqs_event(("m-removed", {"Records": [record]})))

    assert response == {"batchItemFailures": []}
    assert counts() == (0, 0)


def test_connection_is_built_once_per_container(etl_env, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl(1))

    handler(s3_event(bucket, "a.jsonl"))
    first_runtime = etl_settings.runtime()
    first_store = first_runtime.store()
    handler(s3_event(bucket, "a.jsonl"))

    assert etl_settings.runtime() is first_runtime
    assert first_runtime.store() is first_store


def test_object_log_has_counts_not_contents(etl_env, s3, bucket, caplog):
    s3.put_object(Bucket=bucket, Key="logs/a.jsonl", Body=jsonl(3, 1, user_base=777000))
    caplog.set_level(logging.INFO)

    handler(s3_event(bucket, "logs/a.jsonl"))

    [line] = [record.getMessage() for record in caplog.records if record.name == "xapi_etl.objects"]
    assert f"bucket={bucket}" in line
    assert "key=logs/a.jsonl" in line
    assert "4 lines, 3 inserted, 0 duplicates, 1 rejected" in line
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "777000" not in logged
    assert "actor" not in logged


def test_torus_profile_object_matches_transform(etl_env, s3, bucket, counts, shared_data):
    content = (shared_data / "xapi" / "torus-profile.jsonl").read_bytes()
    expected = transform_lines(split_jsonl(content), "expected")
    s3.put_object(Bucket=bucket, Key="torus/profile.jsonl.gz", Body=gzip.compress(content))

    handler(sqs_event(("m-torus", s3_event(bucket, "torus/profile.jsonl.gz"))))

    assert counts() == (expected.rows.num_rows, expected.rejects.num_rows)
    assert expected.rows.num_rows > 0


def test_unknown_record_source_raises(etl_env):
    with pytest.raises(EventFormatError, match="aws:dynamodb"):
        handler({"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {}}]})


def test_sns_message_not_json_raises(etl_env, counts):
    event = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "not json"}}]}

    with pytest.raises(EventFormatError, match="SNS Message is not valid JSON"):
        handler(event)

    assert counts() == (0, 0)
