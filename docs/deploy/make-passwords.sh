#!/bin/sh
# Creates the broker accounts for docker-compose.yml: a random password per account, the
# Mosquitto password file (hashed) and one file per account holding its password for the client.
#
#   docs/deploy/make-passwords.sh [DEVICE_ID ...]        (default device: compose-bus-1)
#
# Needs mosquitto_passwd (Debian/Raspberry Pi OS: apt install mosquitto), or Docker:
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD/docs/deploy:/deploy" eclipse-mosquitto:2 \
#     sh /deploy/make-passwords.sh --in-container
# Re-running replaces every password (restart the broker and the clients afterwards).
set -eu
if [ "${1:-}" = "--in-container" ]; then shift; base=/deploy; else base=$(cd "$(dirname "$0")" && pwd); fi
devices=${*:-compose-bus-1}
passwd="$base/mosquitto/passwd"
secrets="$base/secrets"
mkdir -p "$secrets"
umask 077
: > "$passwd"
for user in backend operator monitor $devices; do
  pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-24)
  mosquitto_passwd -b "$passwd" "$user" "$pw"
  printf '%s' "$pw" > "$secrets/$user.password"
done
# The broker (uid 1883 in eclipse-mosquitto) and the faregate containers (uid 1000) must read them.
chmod 0644 "$passwd" "$secrets"/*.password
echo "accounts: backend operator monitor $devices"
echo "password file: $passwd; client passwords: $secrets/<account>.password"
