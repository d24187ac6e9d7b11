# cognito-fusionauth — `make run` (= `make serve`) serves the console on 127.0.0.1:8080,
# `make test` runs every test. Both first install whatever this machine is missing
# (scripts/setup.sh).

CLI := target/debug/cognito-fusionauth
# The nightly cargo-fuzz runs on (scripts/setup.sh installs or names it).
FUZZ_TOOLCHAIN := $(shell cat fuzz/nightly-toolchain)
FUZZ_SECONDS ?= 30

.PHONY: setup run serve dist convert-sample test lint unit typescript pkg pkg-test web-test deploy-site site-test lambda lambda-test fuzz-smoke fuzz bench

setup:
	@scripts/setup.sh

run: serve

# The console as a static site in dist/ (relative URLs: it works from any S3 prefix), with its
# Content-Security-Policy pinned to Trunk's inline loader. FUSIONAUTH_ORIGIN=https://… builds
# it for that FusionAuth only (the one origin "Send to FusionAuth" may reach, in the CSP and
# in the page); without it, any HTTPS origin and plain HTTP on this machine.
FUSIONAUTH_ORIGIN ?=
dist:
	@SETUP_SKIP_NODE=1 SETUP_SKIP_FUZZ=1 SETUP_SKIP_MOTO=1 SETUP_SKIP_BROWSER=1 scripts/setup.sh
	FUSIONAUTH_ORIGIN='$(FUSIONAUTH_ORIGIN)' TRUNK_SKIP_VERSION_CHECK=true trunk build --release
	FUSIONAUTH_ORIGIN='$(FUSIONAUTH_ORIGIN)' python3 web/scripts/csp.py dist/index.html

# Serves dist/ on http://127.0.0.1:8080 (any static server will do; this one is Python's).
serve: dist
	@echo "console: http://127.0.0.1:8080/"
	python3 -m http.server 8080 --bind 127.0.0.1 --directory dist

# The command line on the bundled sample pool, into out/sample-pool.
convert-sample:
	cargo run --locked --release -q -p cognito-fusionauth-cli -- convert --on-duplicate keep-newest \
		--out out/sample-pool tests/fixtures/sample-pool.json

test: setup lint unit typescript pkg-test web-test site-test lambda-test fuzz-smoke

lint:
	cargo fmt --all --check
	cargo fmt --manifest-path fuzz/Cargo.toml --all --check  # fuzz/ is its own workspace
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
	cargo clippy --locked -p cognito-fusionauth --all-targets -- -D warnings  # core without `parallel`, as WASM builds it
	cargo clippy --locked -p cognito-fusionauth --target wasm32-unknown-unknown --features wasm -- -D warnings
	cargo clippy --locked -p cognito-fusionauth-console --target wasm32-unknown-unknown -- -D warnings

unit:
	python3 -m unittest tests/standin/test_standin.py  # the FusionAuth stand-in the push tests run against
	cargo test --locked --workspace
	cargo test --locked -p cognito-fusionauth  # the single-threaded reader path

# Import files and link requests type-checked against @fusionauth/typescript-client 1.69.
typescript: unit
	cd tests/typescript && CLI_BIN=../../$(CLI) node --test

# The npm package: the core's WASM façade built for browsers (pkg/web) and Node (pkg/node).
pkg:
	cp LICENSE pkg/LICENSE
	for target in web nodejs; do \
		out=$$( [ $$target = nodejs ] && echo node || echo web ); \
		wasm-pack build --mode no-install --release --target $$target \
			--out-dir ../pkg/$$out --out-name cognito_fusionauth core -- --locked --features wasm || exit 1; \
		sed -i '1i /// <reference lib="esnext.disposable" />  // StreamedConversion[Symbol.dispose] (TypeScript 5.2+)' \
			pkg/$$out/cognito_fusionauth.d.ts || exit 1; \
	done

# The packed package in Node (require, import), in headless Chromium, and type-checked.
pkg-test: pkg unit
	cd pkg/test && CLI_BIN=../../$(CLI) node --test node.test.mjs browser.test.mjs

# The console's components in headless Chromium (wasm-bindgen-test), then its end-to-end tests:
# dist/ served under a sub-path, in headless Chromium.
web-test: dist
	CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
		cargo test --locked -p cognito-fusionauth-console --target wasm32-unknown-unknown --test components
	python3 -m unittest web/scripts/test_csp.py
	cd web/e2e && node --test

# The console on S3 (README, "Hosting the console"): STACK=name creates or updates the stack of
# site/template.yaml [DOMAIN=name CERTIFICATE_ARN=arn] and deploys into its bucket;
# BUCKET=name [PREFIX=path/] [DISTRIBUTION=id] deploys into an existing bucket. Credentials,
# Region and endpoint come from the AWS environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL).
deploy-site:
	@test -n "$(STACK)$(BUCKET)" || { echo "make deploy-site: STACK=name, or BUCKET=name [PREFIX=path/] [DISTRIBUTION=id]" >&2; exit 2; }
	$(MAKE) dist
	python3 site/deploy.py deploy $(if $(STACK),--stack '$(STACK)') $(if $(BUCKET),--bucket '$(BUCKET)') \
		$(if $(PREFIX),--prefix '$(PREFIX)') $(if $(DISTRIBUTION),--distribution '$(DISTRIBUTION)') \
		$(if $(DOMAIN),--domain-name '$(DOMAIN)') $(if $(CERTIFICATE_ARN),--certificate-arn '$(CERTIFICATE_ARN)')

# The site: cfn-lint on its template and its CSP against dist/'s, deploy.py against moto_server
# (S3, CloudFront, CloudFormation), then the console served from the emulated bucket in Chromium.
site-test: dist
	@SETUP_SKIP_WASM=1 SETUP_SKIP_FUZZ=1 scripts/setup.sh
	cd site/test && python3 -m unittest -v test_site
	cd site/test && node --test console.test.mjs

# The Lambda Connector: lambda/dist/connector.zip, ready to upload.
lambda: pkg
	lambda/scripts/setup.sh
	lambda/scripts/build-zip.sh

# The connector against a real Cognito emulator (moto_server), cfn-lint on its template, the zip.
lambda-test: pkg unit
	lambda/scripts/setup.sh
	cd lambda && CLI_BIN=../$(CLI) node --test test/*.test.mjs

# Replays the seeds (committed, the test fixtures, and those fuzz/generate-seeds.sh derives
# from the fixtures and `cognito-fusionauth rules`) and the fuzz crashers, then fuzzes each
# target briefly.
fuzz-smoke:
	cargo build --locked -q -p cognito-fusionauth-cli
	fuzz/generate-seeds.sh $(CLI)
	mkdir -p fuzz/corpus/readers fuzz/corpus/rules fuzz/corpus/pool
	cargo +$(FUZZ_TOOLCHAIN) fuzz run readers fuzz/corpus/readers fuzz/seeds/readers tests/fixtures core/tests/fuzz-crashers -- \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -dict=fuzz/dicts/readers.dict
	cargo +$(FUZZ_TOOLCHAIN) fuzz run rules fuzz/corpus/rules fuzz/seeds/rules fuzz/generated/rules -- -max_total_time=$(FUZZ_SECONDS)
	cargo +$(FUZZ_TOOLCHAIN) fuzz run pool fuzz/corpus/pool fuzz/seeds/pool fuzz/generated/pool -- \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -dict=fuzz/dicts/readers.dict

# The 10-minute run the core issue asks for.
fuzz:
	$(MAKE) fuzz-smoke FUZZ_SECONDS=600

bench: setup dist
	bench/run.sh
	bench/scale.sh
	bench/shapes.sh
	python3 bench/push.py
	bench/push_memory.sh
	node bench/console.mjs
