# The whole test suite: vet, formatting and every Go test with the race detector, on SQLite
# and on a throwaway PostgreSQL (or the one FIELDWORK_TEST_POSTGRES names).
.PHONY: test run vet
test:
	./scripts/test.sh

run:
	go run ./cmd/fieldwork
