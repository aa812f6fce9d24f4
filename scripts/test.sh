#!/usr/bin/env bash
# The whole test suite, set-up included: on a fresh machine it installs what is missing,
# builds once (debug profile), runs every test and doctest, and cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo nextest --version >/dev/null 2>&1; then
    echo "==> installing cargo-nextest"
    cargo install cargo-nextest --locked
fi

# The Kafka tests run a real Kafka-protocol broker, tansu; each test starts its own broker on
# a free loopback port and kills it at the end (tansu ignores SIGTERM).
if ! command -v tansu >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tansu" ]; then
    echo "==> installing the tansu broker (about 10 minutes, once)"
    cargo install tansu --locked --features dynostore,libsql
fi
export PATHFLOW_TANSU="${PATHFLOW_TANSU:-$(command -v tansu || echo "$HOME/.cargo/bin/tansu")}"

python3 -c "import duckdb" 2>/dev/null || { echo "==> installing duckdb (Python, for the Nexmark DuckDB check)"; python3 -m pip install --quiet duckdb; }

echo "==> tests"
cargo nextest run --workspace --all-features --no-fail-fast

echo "==> doctests"
cargo test --workspace --all-features --doc
