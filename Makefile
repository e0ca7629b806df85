# kpcheckout — `make run` starts the product on its embedded defaults; `make test` installs what
# the tests need and runs them.
GO ?= go
BIN := bin/kpcheckout

.PHONY: run build test check generate bench bench-micro deps clean

run: build
	./$(BIN) serve

build:
	$(GO) build -o $(BIN) ./cmd/kpcheckout

generate:
	$(GO) tool templ generate

# check fails when formatting, vet, staticcheck or the generated templ files are not what they should be.
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@$(GO) tool templ generate >/dev/null 2>&1; \
	  git diff --quiet -- '*_templ.go' && test -z "$$(git ls-files --others --exclude-standard -- '*_templ.go')" \
	  || { echo "templ generate changed the generated files: run 'make generate' and commit"; git status --short -- '*_templ.go'; exit 1; }

test: deps check
	$(GO) test -race -count=1 -timeout 12m ./...

# deps installs what the tests need when it is missing: Debian's Chromium and Korean fonts for the
# browser tests, and the npm packages they inject into pages (axe-core, pinned in
# package-lock.json); Debian's PostgreSQL server for the PostgreSQL tests. It fails loudly when it
# cannot: the browser and PostgreSQL tests never skip. When all is there it only looks.
deps: browser-deps postgres-deps node_modules/axe-core/axe.min.js

.PHONY: browser-deps
APT_GET = $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get
browser-deps:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	dpkg-query -W -f='$${Status}' fonts-nanum 2>/dev/null | grep -q 'ok installed' || missing="$$missing fonts-nanum"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing with apt-get"; \
	  { $(APT_GET) update && $(APT_GET) install -y $$missing; } \
	    || { echo "deps: FAILED to install$$missing; the browser tests need them" >&2; exit 1; }; \
	fi; \
	test -x /usr/bin/chromium || { echo "deps: FAILED: /usr/bin/chromium is still missing" >&2; exit 1; }

# postgres-deps installs Debian's postgresql when no initdb is on PATH or in
# /usr/lib/postgresql/*/bin: the tests start a private server of their own from it
# (store/postgres/pgtest), never the system's. With KPCHECKOUT_TEST_DATABASE_URL set the tests use
# that server instead, and nothing is installed.
.PHONY: postgres-deps
postgres-deps:
	@if [ -z "$$KPCHECKOUT_TEST_DATABASE_URL" ] && ! command -v initdb >/dev/null 2>&1 \
	    && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "deps: installing postgresql with apt-get"; \
	  { $(APT_GET) update && $(APT_GET) install -y postgresql; } \
	    || { echo "deps: FAILED to install postgresql; the PostgreSQL tests need it" >&2; exit 1; }; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	    || { echo "deps: FAILED: no initdb in /usr/lib/postgresql/*/bin after installing postgresql" >&2; exit 1; }; \
	fi

node_modules/axe-core/axe.min.js: package.json package-lock.json | browser-deps
	npm ci --no-audit --no-fund || { echo "deps: FAILED: npm ci; the accessibility tests need axe-core" >&2; exit 1; }
	@test -f $@ || { echo "deps: FAILED: npm ci did not install $@" >&2; exit 1; }
	@touch $@

# bench starts the built server on loopback and measures it against bare baselines in the same
# run (see cmd/kpbench); the table lands in docs/benchmarks.md. With BENCH_DB=postgres it runs the
# throughput scenarios with one and with two instances on a private PostgreSQL server instead, and
# the table lands in docs/benchmarks-postgres.md. bench-micro runs the Go benchmarks.
BENCH_DB ?= sqlite
bench: build $(if $(filter postgres,$(BENCH_DB)),postgres-deps)
ifeq ($(BENCH_DB),postgres)
	$(GO) run ./cmd/kpbench -server $(BIN) -db postgres -out docs/benchmarks-postgres.md
else ifeq ($(BENCH_DB),sqlite)
	$(GO) run ./cmd/kpbench -server $(BIN) -out docs/benchmarks.md
else
	@echo "bench: BENCH_DB=$(BENCH_DB): sqlite (the default) or postgres" >&2; exit 1
endif

bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
