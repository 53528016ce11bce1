# SimPhoNy Remote. `make` alone lists the targets; README.md explains them.

SHELL       := /bin/bash
GO          ?= go
BIN         := bin/simphony-remote
PKG         := github.com/simphony/simphony-remote
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS     := -X $(PKG)/engine/version.Version=$(VERSION) -X $(PKG)/engine/version.Commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s

.DEFAULT_GOAL := help
.PHONY: help build run test check fuzz docker clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/simphony-remote
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

run: build docker ## build, make sure Docker runs, and start the appliance (data in ./data)
	./$(BIN) serve

test: docker ## run every test suite, against a real Docker Engine
	$(GO) test -race -count=1 ./...

check: ## gofmt, go vet, staticcheck, then every test
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(MAKE) test

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

docker: ## make sure a Docker Engine answers (installs Debian's docker.io when missing)
	@installer/ensure-docker

clean: ## remove build outputs
	rm -rf bin
