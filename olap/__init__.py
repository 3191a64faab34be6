"""olap: learning analytics on ClickHouse."""

__version__ = "0.1.0"

from olap.core.plugins import hookimpl

__all__ = ["hookimpl", "__version__"]
