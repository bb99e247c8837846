# The developer's verbs. `make test` is what CI runs (through .ci/run).
CARGO ?= cargo
VERSIONS ?= 2.6 3.0 3.2

.PHONY: build test lint fmt fmt-check clippy images fixtures run demo clean-images

build:
	$(CARGO) build --workspace --all-targets

test:
	$(CARGO) test --workspace --all-targets --no-fail-fast
	$(CARGO) test --workspace --doc

lint: fmt-check clippy

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Local HAProxy images built from Debian's packages (needs Docker: scripts/docker-up.sh).
images:
	scripts/docker-up.sh
	scripts/build-images.sh $(VERSIONS)

# Re-record fixtures/<version>/ from real HAProxy of each version.
fixtures: images
	for v in $(VERSIONS); do scripts/capture.sh $$v || exit 1; done
