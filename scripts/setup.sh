#!/usr/bin/env bash
# One command from a fresh Debian machine to a running server: installs missing packages, builds
# the Release binary, and serves on 127.0.0.1:4111 with the sample data in ./data/billing.db.
# Extra arguments go to billing-agent (e.g. --port 8080, --host 0.0.0.0, --db other.db).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Swagger UI's files for /swagger-ui, from npm (no CDN at run time); the server runs without them.
(cd web/swagger-ui && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
  echo "setup: npm ci in web/swagger-ui failed; /swagger-ui stays off" >&2
# The web console at /, built from web/console with esbuild from npm; the server runs without it.
(cd web/console && npm ci --no-audit --no-fund --loglevel=error >/dev/null && npm run --silent build) ||
  echo "setup: the console in web/console did not build; / stays off" >&2
cmake --preset release >/dev/null
cmake --build build/release --target billing-agent -j"$(nproc)"
exec build/release/billing-agent "$@"
