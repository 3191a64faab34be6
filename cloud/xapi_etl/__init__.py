"""ETL function: ingest xAPI JSONL objects named by S3 event notifications into ClickHouse."""
