"""Prefect flows: thin orchestration over the reporting library."""
