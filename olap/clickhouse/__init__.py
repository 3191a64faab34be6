"""Numbered ClickHouse migrations (NNNN_name.sql), rendered for one node or a cluster."""
