-- The application's role on PostgreSQL: it reads and writes the store's rows and appends to the audit
-- trail, and it can neither change the schema nor drop or disable a trigger (only the tables' owner
-- can, and the application never connects as the owner). Run it as the owner, after the migrations and
-- again after each later migration (a new table needs its grants):
--   psql "postgresql://reporting_owner@HOST/reporting" -v app=reporting_app -f scripts/postgres-app-role.sql
GRANT USAGE ON SCHEMA public TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
-- the trail is only appended to; the schema's revision is only read
REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM :"app";
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM :"app";
