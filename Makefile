.PHONY: run test lint build dev bench
run: ## serve the whole API on http://127.0.0.1:3000 with the embedded store
	cargo run --release --bin local-api

test: ## every test, with DynamoDB Local started and stopped around them
	scripts/test.sh

lint: ## rustfmt and clippy, warnings as errors (make test runs the same lints in its build)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

build: ## the deployed Lambda binaries (profile of functions/.cargo/config.toml) and the local server
	cd functions && cargo build --release --locked --bins
	cargo build --release --locked --bin local-api

dev: ## DynamoDB Local + the table + `cargo lambda watch` on http://127.0.0.1:9000
	scripts/dev.sh

bench: ## cold start and warm latency of a release function under the Lambda emulator
	scripts/bench.sh
