#!/usr/bin/env bash
# One command from a fresh Debian machine to a running server: installs missing packages, builds
# the Release binary, and serves on 127.0.0.1:4111 with the sample data in ./data/billing.db.
# Extra arguments go to billing-agent (e.g. --port 8080, --host 0.0.0.0, --db other.db).
set -euo pipefail
cd "$(dirname "$0")/.."
BILLING_WITH_NODE=0 scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target billing-agent -j"$(nproc)"
exec build/release/billing-agent "$@"
