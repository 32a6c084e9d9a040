"""The review of CPO results before they count, the sign-off of the report and the locks of bienniums."""
