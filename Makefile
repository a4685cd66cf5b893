# verikeeper — the two commands of the README are `make run` and `make check`.
# Every target installs what it needs itself (npm packages, jars from Maven
# Central, Debian packages).

NODE       ?= node
PYTHON     ?= /usr/bin/python3
CONFIG     ?=
MODELS     ?= ci
# The server's Node flags: the same as the launcher line of src/cli/main.ts,
# which the `verikeeper` bin runs with.
SERVER_NODE_FLAGS ?= --max-semi-space-size=8

.PHONY: trace-check trace-merge trace-view run ensemble check deps build typecheck unit tools tlc zookeeper curator debian \
        model-check model-check-full integration bench bench-ensemble clean

run: build
	$(NODE) $(SERVER_NODE_FLAGS) dist/src/cli/main.js start-foreground $(CONFIG)

# three local members in the seeds' layout (zk1..zk3 under ./ensemble), until Ctrl-C
ensemble: build
	$(NODE) dist/src/cli/ensemble.js ensemble

check: build unit model-check trace-check integration

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

build: deps
	npx tsc -p tsconfig.json

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

# the trace checker's own tests run TLC; the trace viewer's test renders a
# page in headless Chromium (a Debian package)
unit: build tlc debian
	npx vitest run

tlc:
	bash scripts/install-tlc.sh

zookeeper:
	bash scripts/install-zookeeper.sh

curator:
	bash scripts/install-curator.sh

debian:
	bash scripts/install-debian.sh

tools: tlc zookeeper curator debian

model-check: build tlc
	$(NODE) dist/src/tlc/main.js --class ci

model-check-full: build tlc
	$(NODE) dist/src/tlc/main.js --class full

# the Zab core's traces checked against spec/TraceZab.tla: the scenario
# fixtures in traces/, fresh simulated runs with faults, real three-process
# ensembles whose leader is killed (the members' traces merged), a run of
# each injected bug and hand-corrupted traces (the last two must be rejected)
TRACE_SEEDS ?= 1..100
TRACE_REAL ?= 2
trace-check: build tlc
	$(NODE) dist/src/trace/check-main.js --fixtures traces --seeds $(TRACE_SEEDS) --real $(TRACE_REAL) --mutants --corrupt --report traces/results/report.json

# the member traces a real ensemble wrote (traceDir in zoo.cfg) merged into one:
# make trace-merge DIR=folder [OUT=merged.ndjson]
trace-merge: build
	@test -n "$(DIR)" || { echo 'make trace-merge DIR=TRACEDIR [OUT=FILE.ndjson]' >&2; exit 2; }
	$(NODE) dist/src/trace/merge-main.js $(DIR) $(if $(OUT),-o $(OUT),)

# a trace drawn as a message-sequence chart, in traces/out/NAME.html:
# make trace-view TRACE=traces/normal-broadcast.ndjson [CHECK=1] (CHECK=1 marks TLC's verdict)
trace-view: build
	@test -n "$(TRACE)" || { echo 'make trace-view TRACE=FILE.ndjson [CHECK=1]' >&2; exit 2; }
	$(NODE) dist/src/trace/view-main.js $(TRACE) $(if $(CHECK),--check,)

integration: build debian curator
	npx vitest run -c vitest.integration.config.ts
	NODE=$(NODE) $(PYTHON) -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning test/python

bench: build zookeeper
	$(NODE) dist/bench/throughput.js $(BENCH_ARGS)
	$(NODE) dist/bench/memory.js

# our three-member ensemble beside ZooKeeper's: throughput, re-election after
# kill -9 of the leader, catch-up of a restarted follower, one write at a time
# (a measurement, not part of check); a shorter run:
# BENCH_ENSEMBLE_ARGS="--rounds 1 --prime 10 --duration 3 --kills 2 --transactions 10000 --catchups 1 --latency-writes 500"
bench-ensemble: build zookeeper
	$(NODE) dist/bench/ensemble.js $(BENCH_ENSEMBLE_ARGS)

clean:
	rm -rf dist
