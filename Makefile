GO ?= go
STATICCHECK_VERSION ?= v0.8.2
BIN := bin/palisade

.PHONY: build test lint bench docs fuzz

build:
	$(GO) build -o $(BIN) ./cmd/palisade

test:
	$(GO) test ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

docs:
	$(GO) run ./cmd/palisade rules --format markdown > docs/rules.md
