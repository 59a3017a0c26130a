"""How a failure is told to people: one line, the underlying error's own message, secrets masked."""
