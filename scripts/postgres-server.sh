#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests and benchmarks, from Debian's `postgresql`.
#   postgres-server.sh install          installs postgresql when no initdb is found (apt-get)
#   postgres-server.sh start PORT [DIR] initdb in a new temp dir (or DIR, kept when it has data),
#                                       starts the cluster on 127.0.0.1:PORT with its unix socket
#                                       in that dir, creates database "anykv", and prints
#                                       "DIR postgres://anykv@127.0.0.1:PORT/anykv"
#   postgres-server.sh stop DIR         stops that cluster (the dir stays: start it again, or rm it)
# initdb and postgres refuse to run as root: as root they run as the `postgres` user (runuser),
# otherwise as the calling user. Auth is trust, for 127.0.0.1 and the socket only.
# PG_FAST=1 (the tests' default) turns fsync off: a test cluster does not outlive the machine;
# PG_FAST=0 keeps PostgreSQL's durable defaults (benchmarks).
set -euo pipefail

bindir() {
  local initdb
  initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1 || true)"
  [ -n "$initdb" ] && dirname "$initdb"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
install)
  if [ -z "$(bindir)" ]; then
    echo "setup: apt-get install postgresql"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq postgresql >/dev/null; fi
  fi
  [ -n "$(bindir)" ] || { echo "postgres-server.sh: no /usr/lib/postgresql/*/bin/initdb after install" >&2; exit 1; }
  ;;
start)
  port="${2:?usage: postgres-server.sh start PORT [DIR]}"
  bin="$(bindir)" || { echo "postgres-server.sh: PostgreSQL is not installed: run scripts/setup-test-tools.sh" >&2; exit 1; }
  # As root the cluster runs as `postgres`, which must reach the directory: /tmp, not a TMPDIR
  # that may sit in root's home.
  base="${TMPDIR:-/tmp}"
  [ "$(id -u)" = 0 ] && base=/tmp
  dir="${3:-$(mktemp -d "$base/anykv-pg-XXXXXX")}"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U anykv --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  fast=()
  if [ "${PG_FAST:-1}" = 1 ]; then fast=(-c fsync=off -c full_page_writes=off -c synchronous_commit=off); fi
  # The options go through pg_ctl's -o as one string: none of them contains a space.
  opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 ${fast[*]}"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null ||
    { tail -n 20 "$dir/server.log" >&2; exit 1; }
  if ! as_owner "$bin/psql" -h "$dir" -p "$port" -U anykv -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'anykv'" | grep -q 1; then
    as_owner "$bin/createdb" -h "$dir" -p "$port" -U anykv anykv
  fi
  echo "$dir postgres://anykv@127.0.0.1:$port/anykv"
  ;;
stop)
  dir="${2:?usage: postgres-server.sh stop DIR}"
  bin="$(bindir)"
  if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
  ;;
*)
  echo "usage: postgres-server.sh install | start PORT [DIR] | stop DIR" >&2
  exit 2
  ;;
esac
