#!/usr/bin/env bash
# Durable writes with group commit: the disk's fsync rate and the server's process-payment rate,
# measured in the same run on the same disk, and their ratio.
#
#   bench/durable_writes.sh     # DURATION=10 CONNS="1 16 64 128" SLOW_FSYNC_US="0 2000"
#
# For each disk setting in SLOW_FSYNC_US (0 = this machine's disk as it is; N = every fsync made
# N microseconds slower by an LD_PRELOAD shim, bench/slow_fsync.c, standing for a disk whose
# flushes are slow):
#   1. the fsync rate: bench/fsync_probe.c appends 4 KiB and fdatasyncs, 2,000 times (shimmed too);
#   2. for BILLING_WRITE_THREADS=64 (the default: ledger writes wait for their group commit on the
#      write pool) and =0 (writes on the 2 I/O threads, so at most 2 per commit): the Release
#      binary over a fresh database, wrk POSTing $1.00 payments to
#      /api/tools/process-payment/execute at each concurrency. A payment is acknowledged only after
#      its commit is on disk (synchronous=FULL).
#   3. afterwards the database must hold every acknowledged payment, once (a request that wrk cut
#      off at the end may also be there: "in database" may exceed "acknowledged", never the reverse).
# The server reports at shutdown how many writes each commit (one WAL fsync) carried.
# Prints a Markdown table and writes it to bench/results/durable-<timestamp>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNS=${CONNS:-"1 16 64 128"}
SLOW_FSYNC_US=${SLOW_FSYNC_US:-"0 2000"}
POOLS=${POOLS:-"64 0"}
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
cc -O2 -o "$work/fsync_probe" bench/fsync_probe.c
cc -O2 -shared -fPIC -o "$work/slow_fsync.so" bench/slow_fsync.c -ldl

preload() {  # $1 = extra fsync microseconds
  if [[ $1 == 0 ]]; then echo ""; else echo "$work/slow_fsync.so"; fi
}

start_server() {  # $1 = write threads, $2 = database, $3 = extra fsync us
  LD_PRELOAD=$(preload "$3") SLOW_FSYNC_US=$3 BILLING_WRITE_THREADS=$1 BILLING_RATE_LIMIT=off \
    BILLING_PAYMENT_RATE_LIMIT=off BILLING_PAYMENT_MODE=approve \
    build/release/billing-agent --host 127.0.0.1 --port 0 --db "$2" >"$work/server.log" 2>&1 &
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
  echo "machine: $(nproc) cores, $(uname -r), disk $(df -h "$work" | awk 'NR==2 {print $1}'); load before the run: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t2 on the same machine, ${DURATION}s per level"
  echo
  echo "| extra fsync µs | fsync/s | write pool | concurrency | payments/s | x fsync rate | writes per commit | p50 ms | p99 ms | errors | acknowledged | in database |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$out"
for slow in $SLOW_FSYNC_US; do
  fsync_rate=$(LD_PRELOAD=$(preload "$slow") SLOW_FSYNC_US=$slow "$work/fsync_probe" "$work/probe" 2000)
  for pool in $POOLS; do
    for c in $CONNS; do
      db="$work/s$slow-p$pool-c$c.db"
      start_server "$pool" "$db" "$slow"
      url="http://127.0.0.1:$port/api/tools/process-payment/execute"
      t=2
      ((c < t)) && t=$c
      line=$(wrk -t"$t" -c"$c" -d"${DURATION}s" --timeout 30s -s bench/payment.lua "$url" | grep BENCH_RESULT)
      eval "$(echo "$line" | sed 's/BENCH_RESULT //')"
      stop_server
      per_commit=$(grep -o '([0-9.]* writes per fsync)' "$work/server.log" | grep -o '[0-9.]*' | head -1 || true)
      acked=$((requests - errors))
      stored=$(sqlite3 "$db" "SELECT COUNT(*) - 4 FROM payments")  # the sample data holds 4
      rps=$(awk -v r="$acked" -v d="$duration_us" 'BEGIN {printf "%.0f", r / (d / 1e6)}')
      ratio=$(awk -v r="$rps" -v f="$fsync_rate" 'BEGIN {printf "%.1f", r / f}')
      printf '| %s | %s | %s | %s | %s | **%s** | %s | %.1f | %.1f | %s | %s | %s |\n' "$slow" "$fsync_rate" \
        "$pool" "$c" "$rps" "$ratio" "${per_commit:-?}" "$(echo "$p50_us / 1000" | bc -l)" \
        "$(echo "$p99_us / 1000" | bc -l)" "$errors" "$acked" "$stored" >>"$out"
      if ((stored < acked)); then echo "LOST WRITES: $acked acknowledged, $stored stored" >>"$out"; fi
    done
  done
done
{
  echo
  echo "write pool 64: ledger writes wait for their group commit on the write pool (default); 0: on the I/O threads."
  echo "writes per commit: the server's own count at shutdown (ledger writes / commits; each commit is one WAL fsync)."
} >>"$out"
cat "$out"
