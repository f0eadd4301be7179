#!/bin/sh
# Creates the PostgreSQL password of docker-compose.yml's `postgres` service and its backend: one
# random password in two 0600 files (umask 077) under docs/deploy/secrets/, one for the database
# container and one for the backend container. An existing password is kept (running it again
# changes nothing); to change it, change the role's password in the database first
# (ALTER ROLE faregate PASSWORD '...'), then write it into both files.
#
#   docs/deploy/make-db-password.sh [--chown]
#
# --chown (as root): postgres.db-password to the postgres image's user (uid 999), and
# backend.db-password to the faregate containers' user (uid 1000).
set -eu
umask 077
base=$(cd "$(dirname "$0")" && pwd)
chown_files=no
case "${1:-}" in
  --chown) chown_files=yes ;;
  "") ;;
  *) echo "make-db-password.sh: unknown option $1" >&2; exit 2 ;;
esac
secrets="$base/secrets"
mkdir -p "$secrets"
chmod 0700 "$secrets"
db="$secrets/postgres.db-password"
backend="$secrets/backend.db-password"
if [ -s "$db" ]; then
  echo "kept the PostgreSQL password in $db"
else
  head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-24 > "$db"
  echo "made a PostgreSQL password in $db"
fi
cp "$db" "$backend"
chmod 0600 "$db" "$backend"
if [ "$chown_files" = yes ]; then
  chown 999:999 "$db"
  chown 1000:1000 "$backend"
fi
echo "backend copy: $backend (0600)"
