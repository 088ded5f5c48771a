# Common tasks for Quell. `make` builds bin/quell; `make check` runs the lint and the tests.

GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)
BIN         := bin/quell
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# How long each fuzz target runs in `make fuzz`, and each benchmark in `make bench`.
FUZZTIME    ?= 10s
BENCHTIME   ?= 1s

.PHONY: all build run test race lint fmt bench fuzz check clean help

all: build

## build: the quell binary, with the version from git
build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/quell

## run: a server on ./quell-data and 127.0.0.1:8080
run:
	$(GO) run ./cmd/quell serve

## test: every test (the README's test command)
test:
	$(GO) test ./...

## race: every test under the race detector
race:
	$(GO) test -race ./...

## lint: formatting, go vet and staticcheck (configured in staticcheck.conf)
lint:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt: these files need formatting (make fmt):"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

## fmt: format every Go file
fmt:
	gofmt -w .

## bench: every benchmark, no tests
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

## fuzz: a short run of every fuzz target, one after the other
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$target in $$pkg for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## check: lint and test, as before a commit
check: lint test

## clean: remove build output
clean:
	rm -rf bin

## help: this list
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'
