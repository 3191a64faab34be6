"""Lambda entry point: ingest the xAPI JSONL objects named by S3 event notifications.

Deployed with the handler setting `xapi_etl.handler.handler`. Events arrive directly from
S3, through SNS, or through SQS (with or without an SNS envelope). With SQS the function
returns the ids of the messages whose objects failed (partial batch response), so only
those are retried. With direct or SNS delivery it raises when any object failed, so Lambda
retries the whole event.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from olap.core.errors import OlapError

from xapi_etl.events import Message, delivery_of, messages_of
from xapi_etl.objects import ObjectReport, ingest_object
from xapi_etl.settings import Runtime, runtime

logger = logging.getLogger(__name__)

DRY_RUN_FIELD = "dry_run"
# S3 errors (such as NoSuchKey or AccessDenied), ClickHouse errors, and a corrupt or
# truncated gzip stream (BadGzipFile is an OSError, a cut stream an EOFError).
EXPECTED_ERRORS = (ClientError, BotoCoreError, OlapError, OSError, EOFError, zlib.error)


class ObjectsFailed(OlapError):
    """One or more objects of a direct or SNS event failed; Lambda retries the whole event."""


@dataclass
class MessageResult:
    """Outcome of one message: a report per ingested object and a sentence per failed object."""

    message: Message
    reports: list[ObjectReport] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.failures or self.message.error)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Ingest every object the event names; see the module docstring for the response.

    A top-level `"dry_run": true` in the event, or XAPI_ETL_DRY_RUN=true, transforms and
    counts without inserting.
    """
    current = runtime()
    delivery = delivery_of(event)
    dry_run = current.settings.dry_run or event.get(DRY_RUN_FIELD) is True
    results = [process_message(current, message, dry_run) for message in messages_of(event)]

    failed = [result for result in results if result.failed]
    logger.info(
        "event from %s: %d messages, %d objects ingested, %d messages failed%s",
        delivery, len(results), sum(len(result.reports) for result in results), len(failed), " (dry run)" if dry_run else "",
    )
    if delivery == "sqs":
        return {"batchItemFailures": [{"itemIdentifier": result.message.message_id} for result in failed]}
    if failed:
        reasons = "; ".join(failure for result in failed for failure in result.failures)
        raise ObjectsFailed(f"{sum(len(result.failures) for result in failed)} object(s) failed and the event will be retried: {reasons}")
    return {"objects": [report.as_dict() for result in results for report in result.reports]}


def process_message(current: Runtime, message: Message, dry_run: bool) -> MessageResult:
    """Ingest each object of one message; an object that fails does not stop the others."""
    result = MessageResult(message)
    label = f"message {message.message_id}" if message.message_id else "record"
    if message.error:
        logger.error("%s: invalid body, reported as a batch item failure so SQS retries it: %s", label, message.error)
        return result
    for ignored in message.ignored:
        logger.info("%s: ignored %s", label, ignored)

    for s3_object in message.objects:
        try:
            result.reports.append(ingest_object(current, s3_object, dry_run))
        except EXPECTED_ERRORS as err:
            result.failures.append(f"{s3_object.url}: {err}")
            logger.error("s3 object bucket=%s key=%s: failed (%s): %s", s3_object.bucket, s3_object.key, type(err).__name__, err)
        except Exception as err:  # one broken object must not fail the other messages of an SQS batch
            result.failures.append(f"{s3_object.url}: {type(err).__name__}: {err}")
            logger.exception("s3 object bucket=%s key=%s: failed unexpectedly", s3_object.bucket, s3_object.key)
    return result
