# The whole test suite: vet, formatting and every Go test with the race detector.
.PHONY: test run vet
test:
	./scripts/test.sh

run:
	go run ./cmd/fieldwork
