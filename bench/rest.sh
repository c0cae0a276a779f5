#!/usr/bin/env bash
# REST API v1 against the tool routes (issue 13 item 8: "REST retrieve and list at least as fast
# as the tool routes"): requests/s of
#   retrieve: GET /api/v1/customers/CUST-001   vs  POST /api/tools/get-customer/execute
#   list:     GET /api/v1/invoices?limit=10     vs  POST /api/tools/manage-invoices/execute list
# on one server over SQLite (sample data, rate limits off), wrk at CONNS connections, DURATION s
# per phase, REPEAT rounds with the phases taking turns; medians and the REST/tool ratio.
#
#   bench/rest.sh        # DURATION=6 CONNS=16 REPEAT=3
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-6}
CONNS=${CONNS:-16}
REPEAT=${REPEAT:-3}
BILLING_WITH_BENCH=1 scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target billing-agent -j"$(nproc)" >/dev/null

work=$(mktemp -d /tmp/billing-restbench-XXXXXX)
server=""
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

BILLING_RATE_LIMIT=off BILLING_PAYMENT_RATE_LIMIT=off BILLING_RUN_INTERVAL=off \
  build/release/billing-agent --port 0 --db "$work/billing.db" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$' || true)
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { cat "$work/server.log"; exit 1; }

post_script() {  # $1 = file, $2 = JSON body
  cat >"$1" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$2'
LUA
}
post_script "$work/tool_get.lua" '{"data":{"customerId":"CUST-001"}}'
post_script "$work/tool_list.lua" '{"data":{"action":"list","limit":10}}'

rate() {  # $1 = path, $2 = lua script or ""; prints requests/s (non-2xx fail the run)
  local out
  out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" ${2:+-s "$2"} "http://127.0.0.1:$port$1")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers from $1" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A runs
for round in $(seq "$REPEAT"); do
  runs[rest_get]+="$(rate /api/v1/customers/CUST-001 "")"$'\n'
  runs[tool_get]+="$(rate /api/tools/get-customer/execute "$work/tool_get.lua")"$'\n'
  runs[rest_list]+="$(rate '/api/v1/invoices?limit=10' "")"$'\n'
  runs[tool_list]+="$(rate /api/tools/manage-invoices/execute "$work/tool_list.lua")"$'\n'
done
echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1 -c$CONNS, ${DURATION}s per phase, medians of $REPEAT rounds"
for pair in get list; do
  rest=$(printf '%s' "${runs[rest_$pair]}" | median)
  tool=$(printf '%s' "${runs[tool_$pair]}" | median)
  printf '%-8s REST %10.0f req/s   tool route %10.0f req/s   REST/tool %.2f\n' \
    "$pair" "$rest" "$tool" "$(echo "$rest / $tool" | bc -l)"
done
