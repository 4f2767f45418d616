-- Waymark PostgreSQL set-up: one schema per service, each owned by that service's own login
-- role, so a service can neither read nor write another's events, views or keys.
--
-- Run once, as a superuser, with psql 15 or newer, connected to the Waymark database:
--   VISITS_DB_PASSWORD=... CASES_DB_PASSWORD=... \
--   NOTIFICATIONS_DB_PASSWORD=... psql -v ON_ERROR_STOP=1 -d waymark -f init.sql
-- The postgres container in docker-compose.yml runs it on its first start (an empty data
-- volume) from /docker-entrypoint-initdb.d, with those variables set.
--
-- The passwords are NOT in this file: psql reads them from the environment (\getenv) and the
-- script stops when one is missing. The values in docker-compose.yml are development
-- placeholders: replace them (and the matching WAYMARK_DATABASE_URL of each service) before
-- any real use. Letters and digits only keep them safe inside a postgresql:// URL.
-- Running it again is safe: it creates what is missing and resets the three passwords.

\set ON_ERROR_STOP on

\getenv visits_password VISITS_DB_PASSWORD
\getenv cases_password CASES_DB_PASSWORD
\getenv notifications_password NOTIFICATIONS_DB_PASSWORD

\if :{?visits_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'VISITS_DB_PASSWORD is not set'; END $$;
\endif
\if :{?cases_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'CASES_DB_PASSWORD is not set'; END $$;
\endif
\if :{?notifications_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'NOTIFICATIONS_DB_PASSWORD is not set'; END $$;
\endif

-- Roles (created when missing; the password is set every time).
SELECT format('CREATE ROLE %I LOGIN', name)
FROM (VALUES ('visits'), ('cases'), ('notifications')) AS wanted(name)
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = wanted.name)
\gexec

ALTER ROLE visits WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'visits_password';
ALTER ROLE cases WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'cases_password';
ALTER ROLE notifications WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
    PASSWORD :'notifications_password';

-- One schema per service (WAYMARK_POSTGRES_SCHEMA defaults to the service name), owned by its
-- role: eventsourcing creates its tables and functions there on start-up.
CREATE SCHEMA IF NOT EXISTS visits AUTHORIZATION visits;
CREATE SCHEMA IF NOT EXISTS cases AUTHORIZATION cases;
CREATE SCHEMA IF NOT EXISTS notifications AUTHORIZATION notifications;
ALTER SCHEMA visits OWNER TO visits;
ALTER SCHEMA cases OWNER TO cases;
ALTER SCHEMA notifications OWNER TO notifications;

ALTER ROLE visits SET search_path = visits;
ALTER ROLE cases SET search_path = cases;
ALTER ROLE notifications SET search_path = notifications;

-- The services look for their schema before creating it, so they need no CREATE right on the
-- database itself: each can only ever write inside its own schema.
SELECT format('GRANT CONNECT ON DATABASE %I TO visits, cases, notifications',
              current_database())
\gexec
-- No one else connects or makes temporary tables unless granted.
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database())
\gexec
