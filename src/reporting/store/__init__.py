"""The store: the database tables (SQLite or PostgreSQL, migrated by Alembic) and the archive of every
received file as it came."""
