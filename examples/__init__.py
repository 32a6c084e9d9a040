"""Sample submission packages transcribed from published reports. Shipped as package data and found
through `reporting.resources.examples_dir()`."""
