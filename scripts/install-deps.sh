#!/usr/bin/env bash
# Installs the Debian (bookworm) packages the build and the tests need, only those missing.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl
  libboost-dev libboost-system-dev libboost-context-dev nlohmann-json3-dev libsqlite3-dev sqlite3 libssl-dev
  libsodium-dev libspdlog-dev libfmt-dev libcli11-dev libgoogle-perftools-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev  # the libFuzzer targets (preset fuzz, docs/fuzzing.md)
  libpq-dev postgresql-15  # the PostgreSQL backend (#11) and the server its tests start
  zlib1g-dev  # gzip of the web console's files (src/http/console.h)
  libcurl4-openssl-dev  # webhook deliveries and email over SMTP (src/integration)
  python3 python3-aiosmtpd  # the SMTP sink of the email tests (tests/e2e/smtp_sink.py)
  python3-prometheus-client  # the Prometheus text parser that checks /metrics (tests/e2e/parse_metrics.py)
)
# Debian's Chromium drives the console's browser test (web/console/test); the tests ask for it.
if [[ ${BILLING_WITH_BROWSER:-0} == 1 ]]; then PACKAGES+=(chromium); fi
if [[ ${BILLING_WITH_BENCH:-0} == 1 ]]; then PACKAGES+=(wrk procps bc linux-perf); fi
if [[ ${BILLING_WITH_NODE:-1} == 1 ]] && ! command -v node >/dev/null; then PACKAGES+=(nodejs npm); fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) != 0 ]]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
