"""The store: the database tables (SQLite or PostgreSQL, migrated by Alembic) and the archive of every
received file as it came.

Nothing is lost and nothing is stored twice. `models` declares the tables and `database` opens an engine
on them (migrations applied); `archive` keeps each received file's bytes under its sha256; `deliveries`
stores a package (a new version of a file supersedes the older rows, which are kept); `in_force` reads
what a biennium holds now; `versions` lists every file version and what it changed; `builds` keeps each
build of the report to compare the next one with.
"""
