#!/bin/sh
# Creates the broker accounts for docker-compose.yml: a random password per account, the
# Mosquitto password file (hashed) and one file per account holding its password for the client.
# Every file is written 0600 (umask 077) and the secrets folder is 0700.
#
#   docs/deploy/make-passwords.sh [--chown] [DEVICE_ID ...]      (default device: compose-bus-1)
#
# Accounts backend, operator and monitor are always made; a second backend process needs its own
# account (the broker binds the client id to the account): add `backend-2` like a device id.
#
# Running it again ADDS accounts and keeps the existing ones: an account whose password file
# exists keeps that password and its entry in the password file (nothing is recreated), e.g.
#   docs/deploy/make-passwords.sh compose-bus-1 compose-bus-2
# adds compose-bus-2 only. To change one password: delete secrets/ACCOUNT.password and run it
# again (then restart the broker and that client).
#
# --chown (as root): gives the password file to the broker container's user (uid 1883) and the
# client password files to the faregate containers' user (uid 1000), so that they can read their
# 0600 files: `sudo docs/deploy/make-passwords.sh --chown`.
#
# Needs mosquitto_passwd (Debian/Raspberry Pi OS: apt install mosquitto), or Docker:
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD/docs/deploy:/deploy" eclipse-mosquitto:2 \
#     sh /deploy/make-passwords.sh --in-container
set -eu
umask 077
base=$(cd "$(dirname "$0")" && pwd)
chown_files=no
while [ $# -gt 0 ]; do
  case "$1" in
    --in-container) base=/deploy; shift ;;
    --chown) chown_files=yes; shift ;;
    --) shift; break ;;
    -*) echo "make-passwords.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
devices=${*:-compose-bus-1}
# Every name is checked before anything is written.
for user in $devices; do
  case "$user" in
    *[!A-Za-z0-9._-]*) echo "make-passwords.sh: account name \"$user\" may only hold letters, digits, '.', '_' and '-'" >&2; exit 2 ;;
  esac
done
passwd="$base/mosquitto/passwd"
secrets="$base/secrets"
command -v mosquitto_passwd >/dev/null 2>&1 || { echo "make-passwords.sh: mosquitto_passwd not found (apt install mosquitto, or run it in Docker: see the header)" >&2; exit 1; }
mkdir -p "$secrets" "$base/mosquitto"
chmod 0700 "$secrets"
# Never recreated: an existing password file keeps its accounts.
[ -f "$passwd" ] || : > "$passwd"

added=""
kept=""
for user in backend operator monitor $devices; do
  file="$secrets/$user.password"
  if [ -s "$file" ] && grep -q "^$user:" "$passwd"; then
    kept="$kept $user"
    continue
  fi
  if [ -s "$file" ]; then
    pw=$(cat "$file")                      # the client already has it: put it (back) in the broker
  else
    pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-24)
    printf '%s' "$pw" > "$file"
  fi
  mosquitto_passwd -b "$passwd" "$user" "$pw"
  added="$added $user"
done
# mosquitto_passwd rewrites the file: keep it private too.
chmod 0600 "$passwd" "$secrets"/*.password
if [ "$chown_files" = yes ]; then
  chown 1883:1883 "$passwd"
  chown 1000:1000 "$secrets"/*.password
fi
echo "accounts added:${added:- none}"
echo "accounts kept:${kept:- none}"
echo "password file: $passwd; client passwords: $secrets/<account>.password (0600)"
