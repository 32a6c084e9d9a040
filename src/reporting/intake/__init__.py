"""Intake: where a submission package is read (`readers`) and checked (`validate`) before anything is
stored; also the files submitters get back (the Excel template, the findings workbook)."""
