# cognito-fusionauth — `make run` converts the bundled sample pool, `make test` runs every test.
# Both first install whatever this machine is missing (scripts/setup.sh).

CLI := target/debug/cognito-fusionauth
FUZZ_SECONDS ?= 30

.PHONY: setup run test lint unit typescript fuzz-smoke fuzz bench

setup:
	@scripts/setup.sh

run:
	@SETUP_SKIP_NODE=1 SETUP_SKIP_FUZZ=1 scripts/setup.sh
	cargo run --release -q -p cognito-fusionauth-cli -- convert --on-duplicate keep-newest \
		--out out/sample-pool tests/fixtures/sample-pool.json

test: setup lint unit typescript fuzz-smoke

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p cognito-fusionauth --all-targets -- -D warnings  # core without `parallel`, as WASM builds it

unit:
	cargo test --workspace
	cargo test -p cognito-fusionauth  # the single-threaded reader path

# Import files and link requests type-checked against @fusionauth/typescript-client 1.69.
typescript: unit
	cd tests/typescript && CLI_BIN=../../$(CLI) node --test

# Replays the committed seeds and fuzz crashers, then fuzzes each target briefly.
fuzz-smoke:
	cd fuzz && for t in readers rules; do \
		mkdir -p corpus/$$t && \
		cargo +nightly fuzz run $$t corpus/$$t seeds/$$t ../core/tests/fuzz-crashers -- \
			-max_total_time=$(FUZZ_SECONDS) -max_len=65536 || exit 1; \
	done

# The 10-minute run the core issue asks for.
fuzz:
	$(MAKE) fuzz-smoke FUZZ_SECONDS=600

bench:
	bench/run.sh
