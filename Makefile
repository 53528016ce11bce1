# SimPhoNy Remote. `make` alone lists the targets; README.md explains them.

SHELL       := /bin/bash
GO          ?= go
BIN         := bin/simphony-remote
STARTER     := bin/simphony-remote-starter
# The desktop admin console: the same program with the console, built with
# Wails' tags against GTK 3 and WebKitGTK 4.1 (the server build links none).
CONSOLE     := bin/simphony-remote-console
CONSOLE_TAGS := desktop,production,webkit2_41
CONSOLE_DEBS := gcc pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev
PKG         := github.com/simphony/simphony-remote
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS     := -X $(PKG)/engine/version.Version=$(VERSION) -X $(PKG)/engine/version.Commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
# configurable-http-proxy, the original's proxy, which make bench (and its
# smoke run in make test) measures against; pinned by its package-lock.json.
CHP         := engine/bench/chp/node_modules/.bin/configurable-http-proxy
# axe-core, the accessibility checker the browser tests run on every page;
# pinned by its package-lock.json.
AXE         := engine/e2e/axe/node_modules/axe-core/axe.min.js

.DEFAULT_GOAL := help
.PHONY: help build desktop package run test testdeps bench check fuzz docker images clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# $(call timed,WHAT,COMMAND) runs COMMAND saying "make: building WHAT…", a
# line every TICK seconds while it runs, and how long it took: one line per
# step, never a minute of silence, fit for a terminal or a log file.
TICK        ?= 15
timed = start=$$SECONDS; echo "make: building $(1)…"; \
	( while sleep $(TICK) >/dev/null 2>&1 && kill -0 $$$$ 2>/dev/null; do \
		echo "make: building $(1)… $$((SECONDS - start)) s"; done ) & ticker=$$!; \
	trap 'kill $$ticker 2>/dev/null' EXIT; \
	if $(2); then echo "make: building $(1)… done in $$((SECONDS - start)) s"; \
	else rc=$$?; echo "make: building $(1)… failed after $$((SECONDS - start)) s"; exit $$rc; fi

# The starter is static (it runs alone in the files image) and carries no
# VCS stamp, so that the same source gives the same binary and the starter
# images stay up to date from one commit to the next.
build: ## build bin/simphony-remote and bin/simphony-remote-starter
	@$(call timed,$(BIN),$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .)
	@$(call timed,$(STARTER),CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags '-s -w' -o $(STARTER) ./installer/images/starter)

desktop: ## build bin/simphony-remote-console, the desktop admin console (installs the GTK and WebKitGTK development packages when missing)
	@installer/ensure-debs $(CONSOLE_DEBS)
	@$(call timed,$(CONSOLE),$(GO) build -trimpath -tags $(CONSOLE_TAGS) -ldflags '$(LDFLAGS)' -o $(CONSOLE) .)

# The packages' version is VERSION made a Debian one (0.0~gitN.HASH before
# the first tag); their architecture is Go's.
package: build desktop ## build dist/simphony-remote_VERSION_ARCH.deb (the appliance) and dist/simphony-remote-console_VERSION_ARCH.deb (the console) with nfpm
	@$(call timed,the packages in dist/,$(GO) run ./installer/package -version '$(VERSION)' -out dist)

# The first start creates the administrator "admin" (its password is printed
# once) and grants it the two starter images.
DEMO_APPS := simphony-remote/desktop:latest,simphony-remote/files:latest

run: build docker images ## build, make sure Docker runs, build the starter images, and serve https://localhost:8443 (data in ./data)
	SIMPHONY_REMOTE_DEMO_APPLICATIONS=$(DEMO_APPS) ./$(BIN) serve

# What the browser tests and the console's window test (which builds the
# console, and runs it under Xvfb driven by xdotool) need, installed when
# missing.
TEST_DEBS := chromium xvfb xdotool shellcheck nginx $(CONSOLE_DEBS)

# The browser suite (engine/e2e) alone takes about 10 minutes on two
# cores, over go test's default limit per package. When tests fail, their
# own lines (what they said and why they failed; not the appliance's log,
# which go test prints with them) are repeated at the end, where the tail
# of a long log shows them.
test: docker images testdeps ## run every test suite, against a real Docker Engine and a real Chromium
	@log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	echo "$(GO) test -race -count=1 -timeout 30m ./..."; \
	$(GO) test -race -count=1 -timeout 30m ./... 2>&1 | tee "$$log"; rc=$${PIPESTATUS[0]}; \
	if [ "$$rc" -ne 0 ]; then \
		echo "make: the failed tests' own lines:"; \
		grep -E '^(--- FAIL|panic:|[[:space:]]+[[:alnum:]_]+\.go:[0-9]+: )' "$$log" | grep -v ' writer\.go:[0-9]*: ' | tail -n 80; \
	fi; exit $$rc

testdeps: $(CHP) $(AXE) ## install what the tests need besides Docker (Chromium, Xvfb, xdotool, GTK/WebKitGTK, configurable-http-proxy, axe-core) when missing
	@installer/ensure-debs $(TEST_DEBS)

$(CHP): engine/bench/chp/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm (Node.js 20 or newer) is needed for configurable-http-proxy"; exit 1; }
	@echo "make: installing configurable-http-proxy into engine/bench/chp with npm ci"
	npm ci --prefix engine/bench/chp --no-audit --no-fund --loglevel=error
	@touch $@

$(AXE): engine/e2e/axe/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm (Node.js 20 or newer) is needed for axe-core"; exit 1; }
	@echo "make: installing axe-core into engine/e2e/axe with npm ci"
	npm ci --prefix engine/e2e/axe --no-audit --no-fund --loglevel=error
	@touch $@

bench: docker images testdeps ## measure the appliance against direct access and configurable-http-proxy (about 12 minutes; raw results in bench-results.json)
	$(GO) run ./engine/bench -out bench-results.json

# The desktop build's files (build tag desktop) are checked too, which needs
# the GTK and WebKitGTK development packages (testdeps installs them).
check: testdeps ## gofmt, go vet, staticcheck (the server and the desktop build), then every test
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags $(CONSOLE_TAGS) ./app/... ./engine/cli/
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags $(CONSOLE_TAGS) ./app/... ./engine/cli/
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
	@installer/ensure-debs debootstrap
	./$(BIN) image build-starters

clean: ## remove build outputs
	rm -rf bin dist
