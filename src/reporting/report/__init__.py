"""The report: the context (plain data, one builder per section) and its renderings (the Word document
from the template, report.md, the summary CSV, the charts, the build manifest)."""
