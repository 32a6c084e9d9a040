"""The report's templates (edited in Word and in a text editor; no Python here). Shipped as package data
and found through `reporting.resources.templates_dir()`."""
