#!/usr/bin/env bash
# One command that installs what is missing, builds everything and runs every test (unit tests next
# to the code in src/**/_test.cc, end-to-end tests in tests/e2e that start the real binary).
# BILLING_PRESET=debug runs the same suite under AddressSanitizer and UBSan.
# Then the libFuzzer targets (docs/fuzzing.md): a Clang build with ASan+UBSan, each target fuzzed
# for BILLING_FUZZ_SECONDS (default 30) plus a replay of every seed; BILLING_WITH_FUZZ=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET=${BILLING_PRESET:-release}
BILLING_WITH_BROWSER=1 scripts/install-deps.sh
# The client-js compatibility and OpenAPI tests need the npm packages pinned in tests/compat;
# /swagger-ui serves the files of web/swagger-ui's package (no CDN); the console at / is built
# from web/console (esbuild), whose browser test drives Debian's Chromium with playwright-core.
(cd tests/compat && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
(cd web/swagger-ui && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
(cd web/console && npm ci --no-audit --no-fund --loglevel=error >/dev/null && npm run --silent build)
# Mastra's Studio for its browser test (tests/studio): the mastra CLI package and playwright-core.
(cd tests/studio && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
cmake --preset "$PRESET" >/dev/null
cmake --build "build/$PRESET" -j"$(nproc)"
# A throwaway PostgreSQL 15 for the PostgreSQL tests (scripts/pg-test-server.sh); they fail, not
# skip, without it here.
eval "$(scripts/pg-test-server.sh start)"
trap 'scripts/pg-test-server.sh stop' EXIT
export BILLING_REQUIRE_PG=1
ctest --test-dir "build/$PRESET" --output-on-failure -j"$(nproc)" --timeout 600

if [[ ${BILLING_WITH_FUZZ:-1} == 1 ]]; then
  cmake --preset fuzz -DBILLING_FUZZ_SECONDS="${BILLING_FUZZ_SECONDS:-30}" >/dev/null
  cmake --build build/fuzz -j"$(nproc)"
  ctest --test-dir build/fuzz -R '^fuzz_' --output-on-failure -j"$(nproc)"
fi
