"""Statement intake: producer API keys, POST /xapi/statements, S3 bundles and `olap ingest`."""
