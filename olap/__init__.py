"""olap: learning analytics on ClickHouse."""

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__"]


def __getattr__(name: str):
    # Imported on first use, so olap.ingest works where pluggy is not installed, such as
    # in the ETL function's zip.
    if name == "hookimpl":
        from olap.core.plugins import hookimpl

        return hookimpl
    raise AttributeError(f"module 'olap' has no attribute {name!r}")
