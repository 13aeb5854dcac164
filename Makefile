GO ?= go
STATICCHECK_VERSION ?= v0.8.2
BIN := bin/palisade

.PHONY: build test race lint bench docs fuzz

build:
	$(GO) build -o $(BIN) ./cmd/palisade

test:
	$(GO) test ./...

# race runs the packages that evaluate in parallel under the race detector.
race:
	$(GO) test -race -short ./internal/load ./internal/engine ./internal/scan ./internal/cli

# fuzz runs each fuzz target briefly; crashers land in testdata/fuzz as regression tests.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzSplitDocuments -fuzztime 30s ./internal/load
	$(GO) test -run '^$$' -fuzz FuzzParseDocument -fuzztime 30s ./internal/load
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./internal/config
	$(GO) test -run '^$$' -fuzz FuzzDetect -fuzztime 30s ./internal/secrets
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./internal/cmdline
	$(GO) test -run '^$$' -fuzz FuzzWords -fuzztime 30s ./internal/cmdline

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# bench runs every analyzer's Go benchmark, then whole scans of the corpus and of a
# 10x concatenation against a plain yaml.v3 decode, and records both in
# docs/BENCHMARKS.md. It needs ../shared/corpus.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./internal/... | tee .bench.out
	$(GO) run ./tools/bench -palisade $(BIN) -gobench .bench.out
	@rm -f .bench.out

FRAMEWORKS := cis-1.12 nsa-cisa pss-baseline pss-restricted

docs:
	$(GO) build -o bin/palisade-docs ./cmd/palisade
	bin/palisade-docs rules --format markdown > docs/rules.md
	mkdir -p docs/frameworks
	for f in $(FRAMEWORKS); do bin/palisade-docs rules --framework $$f --format markdown > docs/frameworks/$$f.md || exit 1; done
	@rm -f bin/palisade-docs
