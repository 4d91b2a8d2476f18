.PHONY: run test lint build dev bench
run: ## serve the whole API on http://127.0.0.1:3000 with the embedded store
	cargo run --release --bin local-api

test: ## every test, with DynamoDB Local started and stopped around them
	scripts/test.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

build: ## release build of every function and the local server
	cargo build --release --workspace --locked

dev: ## DynamoDB Local + the table + `cargo lambda watch` on http://127.0.0.1:9000
	scripts/dev.sh

bench: ## cold start and warm latency of a release function under the Lambda emulator
	scripts/bench.sh
