"""S3 access through boto3, configured only by the standard AWS settings.

boto3 reads AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN itself; AWS_REGION is passed on because
botocore reads only AWS_DEFAULT_REGION.
"""

from __future__ import annotations

import gzip
import os
from urllib.parse import urlparse

import boto3
from botocore.config import Config as BotoConfig

from olap.core.errors import UserInputError

GZIP_MAGIC = b"\x1f\x8b"


def s3_client():
    """Return a boto3 S3 client for the endpoint and credentials of the environment."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.client("s3", region_name=region, config=BotoConfig(retries={"max_attempts": 3, "mode": "standard"}))


def parse_s3_url(url: str) -> tuple[str, str]:
    """Split `s3://bucket/key` into bucket and key."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise UserInputError(f"{url!r} is not an S3 URL; use s3://bucket/key.")
    return parsed.netloc, parsed.path.lstrip("/")


def maybe_gunzip(content: bytes) -> bytes:
    """Return `content` decompressed when it starts with the gzip magic bytes, whatever its name."""
    if content[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(content)
        except (OSError, EOFError) as err:
            raise UserInputError(f"The content starts like gzip but cannot be decompressed ({err}).") from err
    return content
