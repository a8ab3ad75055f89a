#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARG...]
#
# Runs CMD with FIELDWORK_TEST_POSTGRES pointing at a throwaway PostgreSQL cluster, so that the
# PostgreSQL suites run without any setup. The cluster lives in a temp dir, listens only on
# 127.0.0.1 on a free port, trusts every local connection, and is stopped and removed when CMD
# ends, fails or is interrupted. Exits with CMD's status.
#
# - FIELDWORK_TEST_POSTGRES already set: CMD runs against that database; nothing is started.
# - initdb/pg_ctl are looked up on PATH, then in /usr/lib/postgresql/*/bin (newest version).
#   When they are missing and we are root, Debian's postgresql package is installed.
# - No PostgreSQL to be had: under CI=true the run fails; elsewhere CMD runs without it and
#   the PostgreSQL tests skip themselves.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi
if [ -n "${FIELDWORK_TEST_POSTGRES:-}" ]; then
  exec "$@"
fi

say() { echo "with-postgres: $*" >&2; }

dir= # the cluster's temp dir, once made
data=
child= # CMD's pid, once started

# cleanup stops the cluster (if it runs) and removes it; it runs on every exit.
cleanup() {
  [ -n "$dir" ] || return 0
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

# unavailable WHY CMD... reports that no PostgreSQL can be had: under CI=true that fails the
# run; elsewhere CMD runs without it (the PostgreSQL tests skip themselves).
unavailable() {
  local why=$1
  shift
  trap - EXIT
  cleanup
  if [ "${CI:-}" = "true" ]; then
    say "CI=true but PostgreSQL is not available ($why): the PostgreSQL suites cannot run"
    exit 1
  fi
  echo "PostgreSQL not available: running the SQLite suites only ($why)" >&2
  exec "$@"
}

# find_pg sets PGBIN to a directory holding initdb, pg_ctl and postgres, or returns 1.
find_pg() {
  local initdb pg_ctl dir
  if initdb=$(command -v initdb) && pg_ctl=$(command -v pg_ctl); then
    # Follow symlinks: pg_ctl finds the postgres binary next to itself.
    dir=$(dirname "$(readlink -f "$pg_ctl")")
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
      PGBIN=$dir
      return 0
    fi
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      PGBIN=$dir
      return 0
    fi
  done
  return 1
}

# install_pg installs Debian's postgresql package (root only), showing apt's log on failure.
install_pg() {
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null || return 1
  say "initdb not found: installing the Debian postgresql package"
  local log
  log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends postgresql; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

if ! find_pg; then
  install_pg || true
  find_pg || unavailable "no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin" "$@"
fi

# initdb and pg_ctl refuse to run as root: as root, the cluster belongs to the postgres user.
as_owner() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || unavailable "running as root and there is no postgres user to own the cluster" "$@"
  if command -v runuser >/dev/null; then
    as_owner() { runuser -u postgres -- "$@"; }
  else
    as_owner() { su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; }
  fi
fi

trap cleanup EXIT
dir=$(mktemp -d "${TMPDIR:-/tmp}/fieldwork-pg.XXXXXX")
data=$dir/data

# A signal to this script goes on to CMD's whole process group (go test and its test
# binaries); the cluster is removed once CMD has ended. During setup, it just ends the script.
on_signal() {
  if [ -n "$child" ]; then
    kill -s "$1" -- "-$child" 2>/dev/null || true
  else
    exit $((128 + $(kill -l "$1")))
  fi
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"

if ! as_owner "$PGBIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
  >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  unavailable "initdb failed, see above" "$@"
fi
# Test-speed settings: a throwaway cluster needs no durability.
cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF

# Pick a free port: try random ports until one is not answering and the server binds it.
port=
for _ in $(seq 1 20); do
  p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    continue # something listens there
  fi
  if as_owner "$PGBIN/pg_ctl" -D "$data" -l "$dir/server.log" -o "-p $p" -w -t 60 start >/dev/null 2>&1; then
    port=$p
    break
  fi
  grep -q "could not bind" "$dir/server.log" 2>/dev/null || break
done
if [ -z "$port" ]; then
  cat "$dir/server.log" >&2 2>/dev/null || true
  unavailable "the throwaway cluster did not start, see above" "$@"
fi

createdb=$PGBIN/createdb
[ -x "$createdb" ] || createdb=$(command -v createdb) || unavailable "no createdb" "$@"
"$createdb" -h 127.0.0.1 -p "$port" -U postgres fieldwork_test

export FIELDWORK_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/fieldwork_test?sslmode=disable"
say "throwaway PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (FIELDWORK_TEST_POSTGRES is set)"

# CMD runs in its own process group (set -m) so that a signal reaches all of it through
# on_signal, and so that it does not ignore SIGINT as background jobs otherwise do.
set -m
"$@" &
child=$!
set +m
status=0
while :; do
  wait "$child" && status=0 || status=$?
  # wait also returns when a trapped signal arrives; go on waiting while CMD still runs.
  kill -0 "$child" 2>/dev/null || break
done
exit "$status"
