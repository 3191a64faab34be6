"""Backfill plans: normalise an S3 URL or glob, list the matching objects, and describe them.

A plan is made with boto3 before anything is inserted: files, bytes, the date span
found in the keys, and each file's compression judged by its magic bytes. A pattern
that matches nothing is an error, never a run of zero rows.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from botocore.exceptions import BotoCoreError, ClientError

from olap.core.errors import UserInputError
from olap.core.s3 import GZIP_MAGIC

AWS_HOST = re.compile(r"^(?:(?P<bucket>[a-z0-9][a-z0-9.-]*)\.)?s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
KEY_DATE = re.compile(r"(?<!\d)(20\d\d)[-/]?(0[1-9]|1[0-2])[-/]?(0[1-9]|[12]\d|3[01])(?!\d)")
GLOB_CHARACTERS = set("*?{")
SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson", ".ndjson.gz", ".gz")
MAX_FILES = 100_000


def normalise_url(text: str) -> tuple[str, str]:
    """Return (bucket, key pattern) of an `s3://` URL or an https S3 URL (virtual-hosted or path style)."""
    text = text.strip()
    parsed = urlparse(text)
    if parsed.scheme == "s3":
        bucket, key = parsed.netloc, parsed.path.lstrip("/")
    elif parsed.scheme == "https" and parsed.hostname and AWS_HOST.match(parsed.hostname):
        match = AWS_HOST.match(parsed.hostname)
        if match.group("bucket"):
            bucket, key = match.group("bucket"), unquote(parsed.path.lstrip("/"))
        else:
            bucket, _, key = unquote(parsed.path.lstrip("/")).partition("/")
    else:
        raise UserInputError(f"{text!r} is not an S3 URL; use s3://bucket/prefix/**/*.jsonl or https://bucket.s3.<region>.amazonaws.com/prefix/file.jsonl.")
    if not BUCKET.match(bucket or ""):
        raise UserInputError(f"{bucket!r} is not a valid bucket name in {text!r}.")
    if not key:
        raise UserInputError(f"{text!r} names no key or pattern; add one such as /prefix/**/*.jsonl.")
    return bucket, key


def glob_regex(pattern: str) -> re.Pattern:
    """Compile a key glob the way ClickHouse's s3() reads it: `*`, `**`, `?`, `{a,b}`, `{1..9}`."""
    out = []
    position = 0
    while position < len(pattern):
        character = pattern[position]
        if pattern.startswith("**", position):
            out.append(".*")
            position += 2
            continue
        if character == "*":
            out.append("[^/]*")
        elif character == "?":
            out.append("[^/]")
        elif character == "{":
            end = pattern.find("}", position)
            if end < 0:
                raise UserInputError(f"The pattern {pattern!r} has an unclosed '{{'.")
            body = pattern[position + 1 : end]
            numbers = re.fullmatch(r"(\d+)\.\.(\d+)", body)
            if numbers:
                low, high = sorted((int(numbers.group(1)), int(numbers.group(2))))
                options = [str(number) for number in range(low, high + 1)]
            else:
                options = body.split(",")
            out.append("(?:" + "|".join(re.escape(option) for option in options) + ")")
            position = end
        else:
            out.append(re.escape(character))
        position += 1
    return re.compile("^" + "".join(out) + "$")


def literal_prefix(pattern: str) -> str:
    """Return the part of the key pattern before its first glob character."""
    for index, character in enumerate(pattern):
        if character in GLOB_CHARACTERS:
            return pattern[:index]
    return pattern


@dataclass
class PlannedFile:
    """One object a backfill reads."""

    key: str
    size: int
    etag: str
    compression: str  # gzip or none, from the first bytes
    named_compression: str  # gzip or none, from the key's suffix
    day: str = ""


@dataclass
class Plan:
    """The objects a pattern matches, with what a dry run shows."""

    bucket: str
    pattern: str
    files: list[PlannedFile] = field(default_factory=list)
    skipped_empty: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.pattern}"

    @property
    def bytes_total(self) -> int:
        return sum(planned.size for planned in self.files)

    @property
    def date_span(self) -> tuple[str, str] | None:
        days = sorted(planned.day for planned in self.files if planned.day)
        return (days[0], days[-1]) if days else None

    @property
    def mismatched(self) -> list[PlannedFile]:
        """Files whose content is compressed differently from what their name says."""
        return [planned for planned in self.files if planned.compression != planned.named_compression]

    def as_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "pattern": self.pattern, "files": [asdict(planned) for planned in self.files], "skipped_empty": self.skipped_empty}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> "Plan":
        return cls(stored["bucket"], stored["pattern"], [PlannedFile(**planned) for planned in stored["files"]], list(stored.get("skipped_empty", [])))


def _day_of(key: str) -> str:
    match = KEY_DATE.search(key)
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else ""


def _describe_error(err: Exception, bucket: str) -> str:
    if isinstance(err, ClientError):
        code = err.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404"):
            return f"The bucket {bucket!r} does not exist; check its name and AWS_REGION."
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "ExpiredToken"):
            return f"S3 refused access to bucket {bucket!r} ({code}); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket policy."
        return f"S3 answered {code or 'an error'} for bucket {bucket!r}: {err}"
    return f"S3 could not be reached for bucket {bucket!r} ({err}); check AWS_ENDPOINT_URL and the network."


def make_plan(client: Any, url: str) -> Plan:
    """List the objects matching `url` and sniff their compression; raise UserInputError when none match."""
    bucket, pattern = normalise_url(url)
    matcher = glob_regex(pattern)
    plan = Plan(bucket, pattern)
    try:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=literal_prefix(pattern)):
            for entry in page.get("Contents", []):
                key = entry["Key"]
                if not matcher.match(key):
                    continue
                if entry["Size"] == 0:
                    plan.skipped_empty.append(key)
                    continue
                plan.files.append(PlannedFile(key, entry["Size"], entry["ETag"].strip('"'), "", "gzip" if key.endswith(".gz") else "none", _day_of(key)))
                if len(plan.files) > MAX_FILES:
                    raise UserInputError(f"The pattern {url!r} matches more than {MAX_FILES} objects; use an S3 Inventory backfill for sets this large.")
        for planned in plan.files:
            head = client.get_object(Bucket=bucket, Key=planned.key, Range="bytes=0-1")["Body"].read()
            planned.compression = "gzip" if head[:2] == GZIP_MAGIC else "none"
    except (ClientError, BotoCoreError) as err:
        raise UserInputError(_describe_error(err, bucket)) from err
    if not plan.files:
        empty = f" ({len(plan.skipped_empty)} empty objects skipped)" if plan.skipped_empty else ""
        raise UserInputError(f"The pattern {url!r} matches no objects{empty}; check the prefix and the wildcard.")
    return plan
