"""The warehouse: SQLAlchemy Core schema, migrations and set-based partition writes.

The same code runs on SQLite (the embedded default) and PostgreSQL.
"""
