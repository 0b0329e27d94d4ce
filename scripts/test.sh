#!/usr/bin/env bash
# The whole test suite, on a fresh machine: checks the toolchain, then runs the
# formatter and linter checks, the unit and integration tests, and the tier that
# installs, builds and tests every generated frontend with npm.
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --fast     skip the npm tier (a minute or two less)
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
for arg in "$@"; do
  case "$arg" in
    --fast) fast=1 ;;
    *) echo "usage: scripts/test.sh [--fast]" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: \`$1\` is required: $2" >&2; exit 1; }
}

need cargo "install Rust with rustup (https://rustup.rs)"
if [ "$fast" = 0 ]; then
  need node "install Node.js 20.19 or newer"
  need npm "install npm 10 or newer (it comes with Node.js)"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || { echo "error: Node.js 20.19 or newer is required (found $(node --version)); Vite 8 needs it" >&2; exit 1; }
fi
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" \
    || rustup component add "$component"
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --locked --all-targets -- -D warnings

if [ "$fast" = 1 ]; then
  step "cargo test (without the npm tier)"
  cargo test --locked
else
  step "cargo test (with the npm tier: every frontend installs, builds and passes its tests)"
  cargo test --locked -- --include-ignored
fi
