"""The analysis engine: one report (`analyzer.analyze`) and follow-up answers
(`followup`), each compress -> prompt -> call -> validate -> retry, with the caller's
checkpoint deciding what is saved between steps."""
