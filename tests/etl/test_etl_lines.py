"""Line splitting of S3 objects: streamed blocks split exactly like olap.ingest.split_jsonl."""

from __future__ import annotations

import io

import pytest

from olap.ingest import split_jsonl
from xapi_etl import objects

CASES = [
    b"",
    b"\n",
    b"\n\n",
    b"one",
    b"one\n",
    b"one\ntwo",
    b"one\ntwo\n",
    b"one\r\ntwo\r\n",
    b"one\n\n\nfour\n",
    b"\xef\xbb\xbf{}\n{\"a\":1}",
    b"caf\xc3\xa9\n\xff\xfe\n",
]


@pytest.mark.parametrize("content", CASES, ids=[repr(case)[2:-1] or "empty" for case in CASES])
@pytest.mark.parametrize("block_bytes", [1, 2, 3, 8 * 1024 * 1024], ids=["block-1", "block-2", "block-3", "block-8mib"])
def test_iter_lines_matches_split_jsonl(content, block_bytes, monkeypatch):
    monkeypatch.setattr(objects, "BLOCK_BYTES", block_bytes)

    assert list(objects.iter_lines(io.BytesIO(content))) == split_jsonl(content)
