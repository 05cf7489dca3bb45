#!/bin/sh
# First start of the postgres container (it runs /docker-entrypoint-initdb.d/*.sh; roles.psql beside this file is
# not run by the image on its own, it needs the passwords): creates PortalGov's roles with deploy/postgres-init/roles.psql.
# The migrator runs migrations; web, worker and beat log in as portalgov_app, which owns nothing and may only read
# and append to the audit tables (docs/audit-log.md).
set -eu
here="$(dirname "${BASH_SOURCE:-$0}")"
[ -f "$here/roles.psql" ] || here=/docker-entrypoint-initdb.d
: "${PORTALGOV_MIGRATOR_PASSWORD:?PORTALGOV_MIGRATOR_PASSWORD is not set (docker-compose.yml passes POSTGRES_MIGRATOR_PASSWORD)}"
: "${PORTALGOV_APP_PASSWORD:?PORTALGOV_APP_PASSWORD is not set (docker-compose.yml passes POSTGRES_APP_PASSWORD)}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname "$POSTGRES_DB" \
  --set db="$POSTGRES_DB" --set migrator_password="$PORTALGOV_MIGRATOR_PASSWORD" \
  --set app_password="$PORTALGOV_APP_PASSWORD" -f "$here/roles.psql"
