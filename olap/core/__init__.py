"""Core of olap: configuration, storage, plugins, web shell, auth, jobs and CLI."""
