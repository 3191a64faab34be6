"""Parse Lambda events into the S3 objects they name: direct S3, SNS- or SQS-wrapped.

S3 writes object keys URL-encoded with `+` for a space, so every key is decoded with
`unquote_plus` before use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote_plus

Delivery = Literal["s3", "sns", "sqs", "empty"]


@dataclass(frozen=True)
class S3Object:
    """One object named by an `ObjectCreated` record, with its key already decoded."""

    bucket: str
    key: str
    version_id: str | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Message:
    """One unit of retry: an SQS message, or one direct or SNS record.

    `message_id` is the SQS message id, None for direct and SNS records. `error` names why
    the message could not be read; such a message fails as a whole.
    """

    message_id: str | None
    objects: tuple[S3Object, ...] = ()
    error: str = ""
    ignored: tuple[str, ...] = field(default=())


class EventFormatError(ValueError):
    """A record that is not an S3, SNS or SQS record, or whose body is not an S3 event."""


def delivery_of(event: dict[str, Any]) -> Delivery:
    """Name how the event was delivered, from the source of its first record."""
    records = event.get("Records") or []
    if not records:
        return "empty"
    first = records[0]
    if first.get("eventSource") == "aws:sqs":
        return "sqs"
    if first.get("EventSource") == "aws:sns":
        return "sns"
    if first.get("eventSource") == "aws:s3" or "s3" in first:
        return "s3"
    raise EventFormatError(f"record source {first.get('eventSource') or first.get('EventSource')!r} is not aws:s3, aws:sns or aws:sqs")


def messages_of(event: dict[str, Any]) -> list[Message]:
    """Split an event into messages, each with the created objects it names.

    A malformed direct or SNS record raises EventFormatError, so Lambda retries the
    invocation. A malformed SQS message becomes a Message with `error` set, so only that
    message is retried and then moved to the dead-letter queue.
    """
    delivery = delivery_of(event)
    records = event.get("Records") or []
    if delivery == "sqs":
        return [_sqs_message(record) for record in records]
    if delivery == "sns":
        return [_message(None, _loads(record.get("Sns", {}).get("Message"), "SNS Message")) for record in records]
    if delivery == "s3":
        return [_message(None, {"Records": [record]}) for record in records]
    return []


def _sqs_message(record: dict[str, Any]) -> Message:
    message_id = record.get("messageId")
    try:
        body = _loads(record.get("body"), "SQS body")
        if body.get("Type") == "Notification" and "Message" in body:
            body = _loads(body["Message"], "SNS Message in the SQS body")
        return _message(message_id, body)
    except EventFormatError as err:
        return Message(message_id, error=str(err))


def _message(message_id: str | None, s3_event: dict[str, Any]) -> Message:
    """Build a Message from an S3 event notification body (`Records`, or the test event)."""
    if s3_event.get("Event") == "s3:TestEvent":
        return Message(message_id, ignored=("s3:TestEvent",))
    records = s3_event.get("Records")
    if not isinstance(records, list):
        raise EventFormatError("the message is neither an S3 event notification with Records nor an s3:TestEvent")

    objects: list[S3Object] = []
    ignored: list[str] = []
    for record in records:
        event_name = str(record.get("eventName", ""))
        if not event_name.startswith("ObjectCreated:"):
            ignored.append(event_name or "a record without eventName")
            continue
        objects.append(_s3_object(record))
    return Message(message_id, tuple(objects), ignored=tuple(ignored))


def _s3_object(record: dict[str, Any]) -> S3Object:
    try:
        bucket = record["s3"]["bucket"]["name"]
        encoded_key = record["s3"]["object"]["key"]
    except (KeyError, TypeError):
        raise EventFormatError("an ObjectCreated record lacks s3.bucket.name or s3.object.key") from None
    version_id = record["s3"]["object"].get("versionId") or None
    return S3Object(bucket, unquote_plus(encoded_key), version_id)


def _loads(text: Any, description: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise EventFormatError(f"the {description} is missing or not a string")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise EventFormatError(f"the {description} is not valid JSON ({err.msg} at position {err.pos})") from None
    if not isinstance(value, dict):
        raise EventFormatError(f"the {description} is JSON but not an object")
    return value
