#!/usr/bin/env bash
# Runs the whole test suite: gofmt, go vet, and go test -race on every package, with a
# throwaway PostgreSQL (scripts/with-postgres.sh) so that every suite runs on both engines.
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi
go vet ./...
# The web console's browser tests (web/) drive Debian's chromium: installed here when missing
# and we are root; without it they skip, except under CI=true, where the run fails.
has_chromium() { command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; }
if ! has_chromium && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "chromium not found: installing the Debian chromium package" >&2
  log=$(mktemp)
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends chromium; } >"$log" 2>&1 || tail -n 20 "$log" >&2
  rm -f "$log"
fi
if ! has_chromium; then
  if [ "${CI:-}" = "true" ]; then
    echo "CI=true but chromium is not available: the web console's browser tests cannot run" >&2
    exit 1
  fi
  echo "chromium not available: the web console's browser tests will skip" >&2
fi
exec ./scripts/with-postgres.sh go test -race -count=1 -timeout 20m ./...
