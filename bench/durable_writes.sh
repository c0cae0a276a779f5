#!/usr/bin/env bash
# Durable writes with group commit: the machine's fsync rate and the server's process-payment
# rate, measured in the same run on the same disk, and their ratio.
#
#   bench/durable_writes.sh     # DURATION=10 CONNS="1 16 64 128" FSYNCS=300
#
# 1. fsync rate: FSYNCS synchronous 4 KiB appends (dd oflag=dsync) in the benchmark's directory.
# 2. For BILLING_WRITE_THREADS=32 (group commit fed by the write pool) and =0 (writes run on the
#    I/O threads: at most one group member per I/O thread, i.e. about one fsync per payment):
#    the Release binary over a fresh database, wrk POSTing $1.00 payments to
#    /api/tools/process-payment/execute at each concurrency. Every payment is acknowledged only
#    after its commit is on disk (synchronous=FULL).
# 3. Afterwards the database must hold exactly one payment per acknowledged request.
# Prints a Markdown table and writes it to bench/results/durable-<timestamp>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNS=${CONNS:-"1 16 64 128"}
FSYNCS=${FSYNCS:-300}
BILLING_WITH_BENCH=1 scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target billing-agent -j"$(nproc)" >/dev/null

work=$(mktemp -d /tmp/billing-durable-XXXXXX)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

# 1. fsync rate of this disk.
start_ns=$(date +%s%N)
dd if=/dev/zero of="$work/fsync-probe" bs=4k count="$FSYNCS" oflag=dsync status=none
end_ns=$(date +%s%N)
rm -f "$work/fsync-probe"
fsync_rate=$(awk -v n="$FSYNCS" -v ns=$((end_ns - start_ns)) 'BEGIN {printf "%.0f", n / (ns / 1e9)}')

start_server() {  # $1 = write threads, $2 = database
  BILLING_WRITE_THREADS=$1 BILLING_RATE_LIMIT=off BILLING_PAYMENT_RATE_LIMIT=off \
    BILLING_PAYMENT_MODE=approve build/release/billing-agent --host 127.0.0.1 --port 0 --db "$2" \
    >"$work/server.log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 1 200); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$' || true)
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { cat "$work/server.log"; echo "server did not start" >&2; exit 1; }
}
stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

out="bench/results/durable-$(date -u +%Y%m%dT%H%M%SZ).md"
mkdir -p bench/results
{
  echo "# durable writes: process-payment vs fsync"
  echo
  echo "machine: $(nproc) cores, $(uname -r), disk: $(df -h "$work" | awk 'NR==2 {print $1}'); fsync rate (dd oflag=dsync, 4 KiB): **$fsync_rate/s**; wrk on the same machine, ${DURATION}s per level"
  echo
  echo "| write pool | concurrency | payments/s | x fsync rate | p50 ms | p99 ms | errors | acknowledged | in database |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$out"
for pool in 32 0; do
  for c in $CONNS; do
    db="$work/pool$pool-c$c.db"
    start_server "$pool" "$db"
    url="http://127.0.0.1:$port/api/tools/process-payment/execute"
    t=2
    ((c < t)) && t=$c
    line=$(wrk -t"$t" -c"$c" -d"${DURATION}s" --timeout 20s -s bench/payment.lua "$url" | grep BENCH_RESULT)
    eval "$(echo "$line" | sed 's/BENCH_RESULT //')"
    stop_server
    acked=$((requests - errors))
    # The sample data holds 4 payments; every acknowledged payment must be there, once.
    stored=$(sqlite3 "$db" "SELECT COUNT(*) - 4 FROM payments")
    rps=$(awk -v r="$acked" -v d="$duration_us" 'BEGIN {printf "%.0f", r / (d / 1e6)}')
    ratio=$(awk -v r="$rps" -v f="$fsync_rate" 'BEGIN {printf "%.1f", r / f}')
    printf '| %s | %s | %s | %s | %.1f | %.1f | %s | %s | %s |\n' "$pool" "$c" "$rps" "$ratio" \
      "$(echo "$p50_us / 1000" | bc -l)" "$(echo "$p99_us / 1000" | bc -l)" "$errors" "$acked" "$stored" >>"$out"
  done
done
echo >>"$out"
echo "write pool 32: ledger writes wait for group commit on the write pool (default); 0: on the I/O threads." >>"$out"
echo "in database must equal acknowledged (wrk may count a request cut off at the end as an error; it is then neither)." >>"$out"
cat "$out"
