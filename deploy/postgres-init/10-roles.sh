#!/bin/sh
# First start of the database container: the application logs in as portalgov_app, which does not own
# the audit tables (see docs/audit-log.md), so it can only read and append to them.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE portalgov_app LOGIN PASSWORD '${PORTALGOV_APP_PASSWORD}';
GRANT CONNECT ON DATABASE ${POSTGRES_DB} TO portalgov_app;
GRANT USAGE, CREATE ON SCHEMA public TO portalgov_app;
SQL
