"""What the organisation's words mean, for every stage: member States and their regions, CPO codes and
the counting rule. Intake, the contracts (`reporting.schemas`) and counting all read it; it imports no
stage, so the dependencies point one way (intake → store → counting → report)."""
