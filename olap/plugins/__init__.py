"""Bundled plugins. Each loads through the `olap.plugins` entry point group, like a third-party one."""
