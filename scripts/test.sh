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
exec ./scripts/with-postgres.sh go test -race -count=1 -timeout 20m ./...
