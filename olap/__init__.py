"""olap: learning analytics on ClickHouse."""

__version__ = "0.1.0"
