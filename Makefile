# Versus: `make run` runs it on a fresh Debian machine; `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run build deps test test-rust lint check-chart check-rules faults e2e bench clean

## Build, make sure a Redis answers (installs and starts one with AOF under .data/ if needed), run API + worker.
run: deps build
	scripts/ensure-redis.sh --start
	scripts/run-local.sh

build:
	$(CARGO) build --workspace --bins

## Installs what the tests need that a fresh Debian machine lacks (redis-server).
deps:
	scripts/ensure-redis.sh

## Every test: formatting, lints, Rust unit and integration tests, the Helm chart and the Prometheus rules.
test: deps lint test-rust check-chart check-rules

test-rust: build
	$(CARGO) test --workspace --no-fail-fast

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

check-chart:
	scripts/check-chart.sh --quick

check-rules:
	scripts/check-rules.sh

clean:
	$(CARGO) clean
	rm -rf .data .venv-chart
