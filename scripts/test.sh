#!/usr/bin/env bash
# The whole test suite, on a fresh machine. It installs what the tests need
# (pinned): cfn-lint, checkov, the AWS emulator moto, pytest and cargo-lambda
# from PyPI in virtualenvs under .venv/, and from npm the official Amplify packages (tests/outputs-check/)
# and the AppSync resolver linter (tests/resolver-lint/), the ASL validator
# (tests/asl-validator/) and playwright-core (tests/browser/), and Debian's
# Chromium when it is missing. Then it runs the formatter and linter checks, the
# unit and integration tests (including the tiers that build every generated
# frontend and starter with npm, open the starters in headless Chromium, lint the
# synthesized templates and deploy to moto), and checkov's report.
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --fast     no installs, no npm, cfn-lint, moto or checkov: cargo checks and tests only
set -euo pipefail
cd "$(dirname "$0")/.."

CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30
MOTO_VERSION=5.2.5
PYTEST_VERSION=9.2.0
CARGO_LAMBDA_VERSION=1.9.2

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

# A virtualenv at $1 with exactly the pip requirement $2, made once.
venv() {
  local dir=$1 requirement=$2
  if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$requirement" ]; then
    step "installing $requirement into $dir"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$requirement"
    echo "$requirement" > "$dir/.installed"
  fi
}

need cargo "install Rust with rustup (https://rustup.rs)"
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" \
    || rustup component add "$component"
done

if [ "$fast" = 0 ]; then
  need python3 "install Python 3.9 or newer (for cfn-lint and checkov)"
  need node "install Node.js 20.19 or newer"
  need npm "install npm 10 or newer (it comes with Node.js)"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || { echo "error: Node.js 20.19 or newer is required (found $(node --version)); Vite 8 needs it" >&2; exit 1; }

  # The browser check drives Debian's Chromium with playwright-core (npm's browser downloads fail here).
  if ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      step "installing Debian's chromium package"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "error: Chromium is required for the browser check: install Debian's \`chromium\` package (or set CHROMIUM to its path)" >&2
      exit 1
    fi
  fi

  venv .venv/tools "cfn-lint==$CFN_LINT_VERSION"
  venv .venv/moto "moto[server]==$MOTO_VERSION"
  # checkov pins its own boto3 and friends: it gets a virtualenv of its own.
  venv .venv/checkov "checkov==$CHECKOV_VERSION"
  # The function templates' own tests (Python) and Rust functions' Lambda builds
  # (cargo-lambda, which brings the Zig linker it uses).
  venv .venv/pytest "pytest==$PYTEST_VERSION"
  venv .venv/cargo-lambda "cargo-lambda==$CARGO_LAMBDA_VERSION"
  # npm packages the tests judge with: the official Amplify packages, the AppSync resolver linter.
  for dir in tests/outputs-check tests/resolver-lint tests/asl-validator tests/browser tests/transformer-oracle; do
    if [ "$(cat "$dir/node_modules/.installed" 2>/dev/null)" != "$(cat "$dir/package.json")" ]; then
      step "installing the npm packages of $dir"
      (cd "$dir" && npm install --no-audit --no-fund --no-package-lock --loglevel=error)
      cp "$dir/package.json" "$dir/node_modules/.installed"
    fi
  done
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --locked --all-targets -- -D warnings

if [ "$fast" = 1 ]; then
  step "cargo test (without the npm and linter tiers)"
  cargo test --locked
  exit 0
fi

step "cargo test (with the tiers that need npm, cfn-lint and moto)"
cargo test --locked -- --include-ignored

step "checkov over the synthesized option matrix (a report; every finding is justified in docs/security.md)"
python3 scripts/checkov_report.py .venv/checkov/bin/checkov target/tmp/synth-matrix docs/security.md
