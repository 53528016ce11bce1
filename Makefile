# SimPhoNy Remote. `make` alone lists the targets; README.md explains them.

SHELL       := /bin/bash
GO          ?= go
BIN         := bin/simphony-remote
STARTER     := bin/simphony-remote-starter
PKG         := github.com/simphony/simphony-remote
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS     := -X $(PKG)/engine/version.Version=$(VERSION) -X $(PKG)/engine/version.Commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s

.DEFAULT_GOAL := help
.PHONY: help build run test check fuzz docker images clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The starter is static (it runs alone in the files image) and carries no
# VCS stamp, so that the same source gives the same binary and the starter
# images stay up to date from one commit to the next.
build: ## build bin/simphony-remote and bin/simphony-remote-starter
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags '-s -w' -o $(STARTER) ./installer/images/starter

run: build docker images ## build, make sure Docker runs, build the starter images, and start the appliance (data in ./data)
	./$(BIN) serve

test: docker images ## run every test suite, against a real Docker Engine
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

images: build docker ## build the starter images (idempotent; needs root for the desktop base)
	@if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		echo "make images: installing debootstrap (it makes the desktop image's Debian base)" >&2; \
		export DEBIAN_FRONTEND=noninteractive; \
		$$sudo apt-get update -qq >&2 && $$sudo apt-get install -y -qq debootstrap >&2 \
			|| { echo "make images: could not install debootstrap; install it with apt-get install debootstrap" >&2; exit 1; }; \
	fi
	./$(BIN) image build-starters

clean: ## remove build outputs
	rm -rf bin
