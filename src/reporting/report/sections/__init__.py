"""The report's sections, one builder each, as plain data for the templates (report/context.py
composes them with the narrative of report/narrative.py): figures.py (Table 1, Table 2's cells and
links, the chart, the earlier biennium), results.py (results by indicator: the CPO blocks),
submitted.py (outputs, country examples and lessons as offices wrote them), annex.py (member States
counted, results not reportable, rows set aside); plain.py makes values fit for Word."""
