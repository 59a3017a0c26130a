"""The warehouse, storage only: the SQLAlchemy Core schema and its column docs, Alembic migrations,
engines, reads, exact column types, portable SQL and bulk writes.

The same code runs on SQLite (the embedded default) and PostgreSQL; dialect.py is the one place
that tells them apart.
"""
