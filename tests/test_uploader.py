"""Direct uploader: producer keys, POST /xapi/statements, S3 bundles and `olap ingest`."""

from __future__ import annotations

import base64
import gzip
import json
import uuid

import pytest
from click.testing import CliRunner

from olap.core.cli import main
from olap.core.migrations import Migrator
from olap.ingest import split_jsonl
from olap.uploader.producers import authenticate_key, create_producer, revoke_producer
from olap.uploader.statements import split_statements

PAGE_VIEW = (
    '{"actor":{"account":{"homePage":"lms.example.edu","name":%d},"objectType":"Agent"},'
    '"context":{"extensions":{"http://oli.cmu.edu/extensions/page_id":40915,"http://oli.cmu.edu/extensions/project_id":318,'
    '"http://oli.cmu.edu/extensions/section_id":2051}},"object":{"definition":{"type":"http://oli.cmu.edu/extensions/types/page"},'
    '"id":"lms.example.edu/page/40915}","objectType":"Page"},"timestamp":"2026-02-10T15:21:%02d.031552Z",'
    '"verb":{"display":{"en-US":"viewed"},"id":"http://id.tincanapi.com/verb/viewed"}}'
)


def page_views(count: int, first_user: int = 1) -> list[str]:
    return [PAGE_VIEW % (first_user + number, number % 60) for number in range(count)]


@pytest.fixture
def uploader(app, instance):
    """The app with migrated ClickHouse and one producer; yields (client, API key, store)."""
    Migrator(instance.config.clickhouse_admin).up()
    session = instance.db.session
    _producer, key = create_producer(session, "lms")
    session.commit()
    return app.test_client(), key, instance.clickhouse_admin


def post(client, key: str, body: str | bytes, auth: str = "bearer"):
    headers = {"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"}
    if auth == "bearer":
        headers["Authorization"] = f"Bearer {key}"
    elif auth == "basic":
        headers["Authorization"] = "Basic " + base64.b64encode(f"lms:{key}".encode()).decode()
    return client.post("/xapi/statements", data=body, headers=headers)


def count(store, table: str = "raw_events") -> int:
    return store.query(f"SELECT count() FROM {table} FINAL").scalar()


def test_split_keeps_exact_bytes():
    body = b' [ {"a": 1,  "b":"\xc3\xa9"} ,\n{"c":[1,{"d":2}]} ] '

    assert split_statements(body) == [b'{"a": 1,  "b":"\xc3\xa9"}', b'{"c":[1,{"d":2}]}']
    assert split_statements(b'{"a":1}') == [b'{"a":1}']


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"", "empty"), (b"[1, 2]", "Statement 1 of the array is not a JSON object"), (b'[{"a":1} {"b":2}]', "expected ',' or ']'"), (b"[]", "holds no statements"), (b'{"a":1} x', "text after the end"), (b'{"a":', "not valid JSON"), (b"\xff", "not valid UTF-8")],
    ids=["empty", "not-object", "missing-comma", "empty-array", "trailing", "truncated", "utf8"],
)
def test_split_rejects_malformed_body(body, message):
    from olap.core.errors import UserInputError

    with pytest.raises(UserInputError, match=message):
        split_statements(body)


def test_producer_key_authenticates_until_revoked(instance):
    session = instance.db.session
    producer, key = create_producer(session, "LMS-1")
    session.commit()

    assert producer.name == "lms-1"
    assert key not in producer.key_hash
    assert authenticate_key(session, key).id == producer.id
    assert authenticate_key(session, key + "x") is None
    assert authenticate_key(session, "olap_nothing") is None
    revoke_producer(session, "lms-1")
    session.commit()
    assert authenticate_key(session, key) is None


def test_post_array_returns_ids_and_stores_rows(uploader):
    client, key, store = uploader
    statements = page_views(3)

    response = post(client, key, "[" + ",".join(statements) + "]")

    assert response.status_code == 200
    ids = response.get_json()
    assert len(ids) == 3
    assert len(set(ids)) == 3
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert count(store) == 3
    stored = dict(store.query("SELECT event_id, user_id FROM raw_events").rows)
    assert [stored[event_id] for event_id in ids] == ["1", "2", "3"]


def test_resent_statements_change_no_count(uploader):
    client, key, store = uploader
    body = "[" + ",".join(page_views(4)) + "]"

    first = post(client, key, body).get_json()
    second = post(client, key, body, auth="basic").get_json()

    assert first == second
    assert count(store) == 4


def test_same_statement_gets_same_id_by_api_and_file(uploader, tmp_path, olap_env, database_url, monkeypatch):
    client, key, store = uploader
    statement = page_views(1, first_user=77)[0]

    [api_id] = post(client, key, statement).get_json()
    (tmp_path / "one.jsonl").write_text(statement + "\n")
    for name, value in {**olap_env, "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "one.jsonl")], catch_exceptions=False)

    assert json.loads(result.stdout)["duplicates"] == 1
    assert store.query("SELECT groupArray(event_id) FROM raw_events").scalar() == [api_id]


def test_array_with_bad_statement_stores_nothing(uploader):
    client, key, store = uploader
    statements = page_views(2) + ['{"actor":{"mbox":"mailto:a@example.edu"},"verb":{"id":"x"},"object":{"id":"y"}}']

    response = post(client, key, "[" + ",".join(statements) + "]")

    assert response.status_code == 400
    assert "Statement 3 cannot be stored (missing_timestamp)" in response.get_json()["error"]
    assert count(store) == 0
    assert count(store, "raw_events_rejected") == 0


def test_conflicting_id_is_rejected_with_409(uploader):
    client, key, store = uploader
    statement_id = str(uuid.uuid4())
    first = json.loads(page_views(1)[0])
    first["id"] = statement_id
    second = dict(first, timestamp="2026-03-01T00:00:00Z")

    assert post(client, key, json.dumps(first)).status_code == 200
    response = post(client, key, json.dumps([json.loads(page_views(1, 5)[0]), second]))

    assert response.status_code == 409
    assert statement_id in response.get_json()["error"]
    assert count(store) == 1


@pytest.mark.parametrize(("headers", "status"), [({}, 401), ({"Authorization": "Bearer olap_abcdefabcdef_wrongwrongwrongwrongwrong"}, 401)], ids=["missing", "wrong"])
def test_missing_or_wrong_key_is_401(uploader, headers, status):
    client, _key, store = uploader

    response = client.post("/xapi/statements", data=page_views(1)[0], headers=headers)

    assert response.status_code == status
    assert "WWW-Authenticate" in response.headers
    assert count(store) == 0


def test_oversized_body_is_413(app, instance, olap_env, database_url):
    from olap.core.app import create_app

    small = create_app({**olap_env, "DATABASE_URL": database_url, "XAPI_MAX_BODY_BYTES": "1024"}, start_workers=False)
    small_instance = small.extensions["olap"]
    _producer, key = create_producer(small_instance.db.session, "lms")
    small_instance.db.session.commit()
    try:
        response = post(small.test_client(), key, "[" + ",".join(page_views(10)) + "]")

        assert response.status_code == 413
    finally:
        small_instance.close()


def test_s3_mode_writes_bundle(app, s3, bucket, olap_env, database_url):
    from olap.core.app import create_app

    bundled = create_app({**olap_env, "DATABASE_URL": database_url, "XAPI_ETL_MODE": "s3", "XAPI_S3_BUCKET": bucket, "XAPI_S3_PREFIX": "incoming/"}, start_workers=False)
    bundled_instance = bundled.extensions["olap"]
    _producer, key = create_producer(bundled_instance.db.session, "lms")
    bundled_instance.db.session.commit()
    statements = page_views(3)
    try:
        response = post(bundled.test_client(), key, "[\n" + ",\n".join(statements) + "\n]")

        assert response.status_code == 200
        objects = s3.list_objects_v2(Bucket=bucket, Prefix="incoming/")["Contents"]
        assert len(objects) == 1
        assert "/lms/" in objects[0]["Key"]
        assert objects[0]["Key"].endswith(".jsonl")
        body = s3.get_object(Bucket=bucket, Key=objects[0]["Key"])["Body"].read()
        assert split_jsonl(body) == [statement.encode() for statement in statements]
    finally:
        bundled_instance.close()


@pytest.fixture
def run_cli(olap_env, database_url, monkeypatch, config):
    for name, value in {**olap_env, "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    assert runner.invoke(main, ["migrate", "up"], catch_exceptions=False).exit_code == 0

    def invoke(*arguments: str, input: bytes | None = None):
        return runner.invoke(main, list(arguments), input=input, catch_exceptions=False)

    return invoke


def test_ingest_files_folder_gzip_and_stdin(run_cli, tmp_path):
    folder = tmp_path / "bundles"
    folder.mkdir()
    (folder / "a.jsonl").write_text("\n".join(page_views(5, 1)) + "\nnot json\n")
    (folder / "b.jsonl").write_bytes(gzip.compress(("\n".join(page_views(4, 100)) + "\n").encode()))
    stdin_lines = "\n".join(page_views(2, 200)) + "\n"

    first = json.loads(run_cli("ingest", str(folder)).stdout)
    again = json.loads(run_cli("ingest", str(folder)).stdout)
    piped = json.loads(run_cli("ingest", "-", input=stdin_lines.encode()).stdout)

    assert first == {"files": 2, "lines": 10, "inserted": 9, "duplicates": 0, "rejected": 1, "untimezoned": 0, "reject_reasons": {"invalid_json": 1}}
    assert again["inserted"] == 0
    assert again["duplicates"] == 9
    assert again["lines"] == again["duplicates"] + again["rejected"]
    assert (piped["lines"], piped["inserted"]) == (2, 2)


def test_ingest_from_s3_with_special_key(run_cli, s3, bucket):
    key = "2026/date=02-10/part one+two é.jsonl"
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(("\n".join(page_views(6)) + "\n").encode()))

    result = run_cli("ingest", f"s3://{bucket}/{key}")

    assert json.loads(result.stdout)["inserted"] == 6


@pytest.mark.parametrize(("arguments", "message"), [(("ingest", "/nonexistent.jsonl"), "does not exist"), (("ingest", "s3://no-such-bucket-here/none.jsonl"), "Cannot read s3://no-such-bucket-here/none.jsonl")], ids=["file", "s3"])
def test_ingest_missing_input_exits_2(run_cli, s3, arguments, message):
    result = run_cli(*arguments)

    assert result.exit_code == 2
    assert message in result.output


def test_producers_create_prints_key_once(run_cli, instance):
    result = run_cli("producers", "create", "canvas")
    duplicate = run_cli("producers", "create", "canvas")

    key = result.output.strip().rsplit(" ", 1)[1]
    assert key.startswith("olap_")
    assert duplicate.exit_code == 2
    assert "already exists" in duplicate.output
