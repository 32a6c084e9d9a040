"""The Prefect processes the CLI manages for a data folder: its local server and workers."""

BIENNIAL_REPORT_FLOW = "biennial-report"
"""The name of the flow that builds the report (the UI, deployments and run records use it)."""
