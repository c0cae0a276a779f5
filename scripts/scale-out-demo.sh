#!/usr/bin/env bash
# Two billing-agent instances behind nginx on one PostgreSQL, on this machine (README "Scaling
# out"). Installs nginx and PostgreSQL 15 if missing, builds Release, starts a throwaway
# PostgreSQL (scripts/pg-test-server.sh), creates an API key, starts two instances (the first
# migrates and seeds the database, the second finds it ready), and nginx on 127.0.0.1:8080 in
# front of them (its config in a temporary directory; nothing under /etc is touched). Then it sends
# a few requests through nginx, shows which instance answered each, and serves until Ctrl-C,
# which stops everything and removes the database.
#
#   scripts/scale-out-demo.sh            # DEMO_PORT=8080; DEMO_ONESHOT=1 stops after the checks
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${DEMO_PORT:-8080}
if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  SUDO=""
  [[ $(id -u) != 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target billing-agent -j"$(nproc)" >/dev/null
agent=build/release/billing-agent

work=$(mktemp -d /tmp/billing-scale-out-XXXXXX)
pids=()
cleanup() {
  [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [[ -n ${BILLING_TEST_PG_DIR:-} ]] && scripts/pg-test-server.sh stop || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# 1. One PostgreSQL database and one key ring for card details, shared by both instances.
eval "$(scripts/pg-test-server.sh start)"
export BILLING_DB=$BILLING_TEST_PG_URL
BILLING_DATA_KEYS=$($agent data-key generate)
export BILLING_DATA_KEYS
export BILLING_AUTH=on
key=$($agent keys create --name scale-out-demo --scopes read,invoice,payment,refund 2>/dev/null)

# 2. Two instances on it.
for port in 4111 4112; do
  $agent --host 127.0.0.1 --port "$port" >"$work/instance-$port.log" 2>&1 &
  pids+=($!)
done
for port in 4111 4112; do
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
    sleep 0.05
  done
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { cat "$work/instance-$port.log"; exit 1; }
done

# 3. nginx in front of them (the README's server block, plus a header naming the instance).
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream billing { server 127.0.0.1:4111; server 127.0.0.1:4112; }
  server {
    listen 127.0.0.1:$PORT;
    location / {
      proxy_pass http://billing;
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_read_timeout 120s;
      add_header X-Billing-Instance \$upstream_addr always;
    }
  }
}
EOF
"$NGINX" -p "$work/nginx" -c "$work/nginx.conf"

# 4. Requests through nginx: alternately answered by both instances, one ledger behind them.
base="http://127.0.0.1:$PORT"
ask() {
  curl -s -D "$work/headers" -X POST "$base/api/agents/billingApiAgent/generate" \
    -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "{\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["text"])'
  echo "  (answered by $(grep -i '^x-billing-instance' "$work/headers" | tr -d '\r' | cut -d' ' -f2))"
}
echo "== through nginx on $base"
ask "Create an invoice for customer CUST-002 for \$120 due in 30 days for Support"
ask "Create an invoice for customer CUST-002 for \$80 due in 30 days for Training"
ask "Process a \$50 credit card payment for customer CUST-002"
ask "Show me billing details for customer CUST-002"
echo "== readiness of each instance: $(curl -s http://127.0.0.1:4111/ready) $(curl -s http://127.0.0.1:4112/ready)"
echo "== audit chain: $($agent audit verify)"
if [[ ${DEMO_ONESHOT:-0} == 1 ]]; then exit 0; fi
echo
echo "Serving on $base (API key: $key). Ctrl-C stops nginx, both instances and the database."
wait "${pids[0]}"
