# famfs-harness: `make run` and `make test` do all the set-up on a fresh clone.
SHELL := /bin/bash
NPM ?= npm
export npm_config_nodedir ?= /usr
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: all install build addon run test bench bench-docs fuzz clean

all: build

node_modules/.install-stamp: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	touch $@

install: node_modules/.install-stamp

addon/build/Release/famfs_mmap.node: $(wildcard addon/*.cc addon/*.h) addon/binding.gyp node_modules/.install-stamp
	sh addon/build.sh

addon: addon/build/Release/famfs_mmap.node

build: install addon
	tsc -p tsconfig.build.json

# The main job on the built-in default: every built-in conformance vector, then
# review of our example series (its famfs.c hunks applied to our fixture, cdiff included).
run: build
	./bin/famfs-harness conformance
	./bin/famfs-harness review tests/fixtures/example-series/v2.mbox --base-c tests/fixtures/cdiff/famfs.c --kfmap cdiff/famfs_kfmap_model.h

# jest, then every built-in conformance vector once (KTAP in reports/, its
# "N passed, N failed, N skipped" line on stderr); either failing fails the target.
# JEST and CONFORMANCE_ARGS let tests/make.test.ts plant a failing vector set.
JEST ?= jest --ci
CONFORMANCE_ARGS ?=
test: build
	bash tests/libfuse/setup.sh
	@mkdir -p reports
	@status=0; \
	$(JEST) || status=1; \
	./bin/famfs-harness conformance --format ktap -o reports/conformance.ktap $(CONFORMANCE_ARGS) || status=1; \
	exit $$status

# The C reference (bench/c) is built here, in the same invocation, with gcc -O2.
dist/bench/famfs_ref: bench/c/famfs_ref.c
	@mkdir -p dist/bench
	gcc -O2 -Wall -Wextra -o $@ $<

bench: build dist/bench/famfs_ref
	node --expose-gc dist/bench/run.js

# bench, then rewrite the scaling tables of Documentation/bench.md from this run
bench-docs: build dist/bench/famfs_ref
	node --expose-gc dist/bench/run.js --update-docs

fuzz: build
	FUZZ_RUNS=$${FUZZ_RUNS:-1000000} node dist/bench/fuzz.js

clean:
	rm -rf dist addon/build reports
