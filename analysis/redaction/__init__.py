"""The one judge of secrets: what is redacted before anything is stored, shown or sent."""
