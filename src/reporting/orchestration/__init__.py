"""The Prefect processes the CLI manages for a data folder: its local server and workers."""
