#!/bin/sh
# Least privilege for iro-disputes on PostgreSQL (docs/security.md, "The database's own
# rights"): the owner role owns the database and is used only by `db upgrade` and
# `retention run`; the service role (web, worker, mail receiver) may only read and write
# rows. The postgres image runs this once, on an empty data directory, from
# /docker-entrypoint-initdb.d (compose.yaml mounts deploy/postgres-init there). It can
# also be run by hand as a superuser: PGHOST=... POSTGRES_USER=postgres sh this-file.
#
# Settings (environment): IRO_DISPUTES_OWNER_PASSWORD and IRO_DISPUTES_APP_PASSWORD
# (required), IRO_DISPUTES_DB_NAME (iro_disputes), IRO_DISPUTES_OWNER_ROLE (iro_owner),
# IRO_DISPUTES_APP_ROLE (iro_app). Passwords reach psql through \getenv, never its
# command line.
set -eu
: "${IRO_DISPUTES_OWNER_PASSWORD:?set IRO_DISPUTES_OWNER_PASSWORD}"
: "${IRO_DISPUTES_APP_PASSWORD:?set IRO_DISPUTES_APP_PASSWORD}"
export IRO_DISPUTES_OWNER_PASSWORD IRO_DISPUTES_APP_PASSWORD
export IRO_DISPUTES_DB_NAME="${IRO_DISPUTES_DB_NAME:-iro_disputes}"
export IRO_DISPUTES_OWNER_ROLE="${IRO_DISPUTES_OWNER_ROLE:-iro_owner}"
export IRO_DISPUTES_APP_ROLE="${IRO_DISPUTES_APP_ROLE:-iro_app}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres <<'SQL'
\getenv db IRO_DISPUTES_DB_NAME
\getenv owner IRO_DISPUTES_OWNER_ROLE
\getenv app IRO_DISPUTES_APP_ROLE
\getenv owner_password IRO_DISPUTES_OWNER_PASSWORD
\getenv app_password IRO_DISPUTES_APP_PASSWORD
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
\connect :"db"
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";
SQL
