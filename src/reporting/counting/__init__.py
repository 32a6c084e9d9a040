"""Counting: which CPO results are reportable and how many member States each indicator reaches, per
region and against its targets; traced back to the rows that make each figure. The rule itself is
written once, in `reporting.domain.rule` (validation reads it too); `aggregate` applies it."""
