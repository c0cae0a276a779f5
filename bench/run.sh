#!/usr/bin/env bash
# One-command benchmark of POST /api/agents/billingApiAgent/generate with the local planner at
# concurrency 1, 16 and 64: throughput, p50, p99 and the server's peak RSS.
#
#   bench/run.sh                # DURATION=10 WARMUP=3 CONNS="1 16 64" THREADS=2
#
# Starts the Release binary on a free loopback port over a fresh database (payments approve, so
# runs are comparable), loads it with wrk from this machine, prints a Markdown table and writes it
# to bench/results/<timestamp>.md. Every run is bounded by DURATION; only 127.0.0.1 is targeted.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-"1 16 64"}
THREADS=${THREADS:-2}
BILLING_WITH_BENCH=1 scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target billing-agent -j"$(nproc)" >/dev/null

work=$(mktemp -d /tmp/billing-bench-XXXXXX)
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
BILLING_RATE_LIMIT=off BILLING_PAYMENT_RATE_LIMIT=off BILLING_PAYMENT_MODE=approve build/release/billing-agent --host 127.0.0.1 --port 0 --db "$work/billing.db" \
  >"$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 200); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$' || true)
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || { cat "$work/server.log"; echo "server did not start" >&2; exit 1; }
url="http://127.0.0.1:$port/api/agents/billingApiAgent/generate"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status"; }

curl -sf -X POST "$url" -H 'content-type: application/json' \
  -d '{"messages":[{"role":"user","content":"Show me billing details for customer CUST-001"}]}' >/dev/null
idle_kb=$(rss_kb)
wrk -t"$THREADS" -c16 -d"${WARMUP}s" -s bench/generate.lua "$url" >/dev/null

out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).md"
mkdir -p bench/results
{
  echo "# generate benchmark (local planner)"
  echo
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); wrk -t$THREADS on the same machine; ${DURATION}s per level"
  echo
  echo "| concurrency | requests/s | p50 ms | p99 ms | errors | peak RSS MB |"
  echo "|---|---|---|---|---|---|"
} >"$out"
for c in $CONNS; do
  t=$THREADS
  ((c < t)) && t=$c
  line=$(wrk -t"$t" -c"$c" -d"${DURATION}s" --timeout 10s -s bench/generate.lua "$url" | grep BENCH_RESULT)
  eval "$(echo "$line" | sed 's/BENCH_RESULT //')"
  rps=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN {printf "%.0f", r / (d / 1e6)}')
  printf '| %s | %s | %.2f | %.2f | %s | %.1f |\n' "$c" "$rps" "$(echo "$p50_us / 1000" | bc -l)" \
    "$(echo "$p99_us / 1000" | bc -l)" "$errors" "$(echo "$(hwm_kb) / 1024" | bc -l)" >>"$out"
done
printf '\nRSS idle (after one request): %.1f MB; peak RSS over the run: %.1f MB\n' \
  "$(echo "$idle_kb / 1024" | bc -l)" "$(echo "$(hwm_kb) / 1024" | bc -l)" >>"$out"
cat "$out"
