#!/usr/bin/env bash
# Side-by-side benchmark: our C++ server vs the Mastra 0.24.9 reference, both against the same
# mock OpenAI server, in one run on this machine.
#
#   bench/compare.sh             # overhead run (mock MOCK_LATENCY_MS=0), ~3-4 min (+ ~75 s first build)
#   SLOW=1 bench/compare.sh      # slow-LLM run (mock MOCK_LATENCY_MS=1000), ~2 min
#
# Default mode:
#   1. copies ../shared/bench/mastra-reference to bench/.cache/mastra-reference (gitignored), runs
#      `npm ci` and `MASTRA_TELEMETRY_DISABLED=1 npx mastra build` there unless the cached build
#      matches the reference sources (sha256 stamp); builds our Release binary only if it is missing
#      (BUILD=1: always `cmake --build` first), then runs a copy of it (immune to concurrent rebuilds)
#   2. starts the mock (MOCK_LATENCY_MS=0); captures the two chat-completions bodies our server sends
#      for the generate request (through bench/compare/capture-proxy.mjs) and measures the mock alone
#      at c=16 with those and with the reference's two /v1/responses bodies
#   3. Mastra (node .mastra/output/index.mjs, PAYMENT_SUCCESS_RATE=1): generate "Show me billing
#      details for customer CUST-001" at c=1/16/64 (WARMUP s at c=16 first, DURATION s each), p50/p99,
#      RSS idle (after one request), RSS during c=64 (VmRSS every 0.5 s: median, max), then cold start
#      (spawn -> first HTTP 200 generate, median of COLD_RUNS)
#   4. the same for build/release/billing-agent (BILLING_PAYMENT_MODE=approve, fresh database)
#   5. prints a Markdown table and writes it to bench/results/compare-<timestamp>.md (raw wrk output
#      etc. in bench/results/compare-<timestamp>.raw/)
# SLOW=1: mock at MOCK_LATENCY_MS=1000 (SLOW_LATENCY_MS); Mastra at c=SLOW_REF_CONNS (256), ours at
#   c=256 and c=SLOW_CONNS (2048), SLOW_DURATION (20) s each, wrk --timeout 30s, no warm-up;
#   throughput vs the ideal (connections / unloaded generate time), errors, peak RSS.
#
# Env: DURATION=10 WARMUP=3 MOCK_DURATION=5 THREADS=2 COLD_RUNS=5 WRK_TIMEOUT=10s MOCK_PORT=4199
#      REF_PORT (default: a free port) REF_SRC BUILD=auto|1|0 REBUILD_REF=1
#      SLOW=1 SLOW_LATENCY_MS=1000 SLOW_CONNS=2048 SLOW_REF_CONNS=256 SLOW_DURATION=20
# Only 127.0.0.1 is targeted; every load run is bounded by its duration; exactly the PIDs started here
# are killed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
HERE=$ROOT/bench/compare
REF_SRC=${REF_SRC:-$ROOT/../shared/bench/mastra-reference}
CACHE=$ROOT/bench/.cache
REF=$CACHE/mastra-reference
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
MOCK_DURATION=${MOCK_DURATION:-5}
THREADS=${THREADS:-2}
COLD_RUNS=${COLD_RUNS:-5}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
MOCK_PORT=${MOCK_PORT:-4199}
SLOW=${SLOW:-0}
SLOW_LATENCY_MS=${SLOW_LATENCY_MS:-1000}
SLOW_CONNS=${SLOW_CONNS:-2048}
SLOW_REF_CONNS=${SLOW_REF_CONNS:-256}
SLOW_DURATION=${SLOW_DURATION:-20}
BUILT_BIN=$ROOT/build/release/billing-agent
BUILD=${BUILD:-auto}
AGENT_PATH=/api/agents/billingApiAgent/generate
GEN_BODY='{"messages":[{"role":"user","content":"Show me billing details for customer CUST-001"}]}'

TS=$(date -u +%Y%m%dT%H%M%SZ)
[[ $SLOW == 1 ]] && NAME=compare-slow-$TS || NAME=compare-$TS
mkdir -p bench/results
RAW=$ROOT/bench/results/$NAME.raw
OUT_MD=$ROOT/bench/results/$NAME.md
mkdir -p "$RAW"
WORK=$(mktemp -d /tmp/billing-compare-XXXXXX)
BIN=$WORK/billing-agent

log() { printf '[compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---- process bookkeeping: kill exactly what we started ----------------------------------------
PIDS=()
stop_pid() { # pid: TERM, wait up to 5 s, KILL
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  rm -rf "$WORK"
  ((rc == 0)) || log "failed (exit $rc); raw output in $RAW"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
forget_pid() { local p=$1 a=(); for x in "${PIDS[@]}"; do [[ $x == "$p" ]] || a+=("$x"); done; PIDS=("${a[@]}"); }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_http() { # url pid name [tries of 0.1 s]
  local url=$1 pid=$2 name=$3 tries=${4:-600}
  for _ in $(seq 1 "$tries"); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || die "$name exited before answering $url (log: $RAW/$name.log)"$'\n'"$(tail -n 20 "$RAW/$name.log" 2>/dev/null)"
    sleep 0.1
  done
  die "$name did not answer $url after $((tries / 10)) s (log: $RAW/$name.log)"
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }

# run_wrk NAME CONNS SECS URL [BODY_FILE] -> $RAW/NAME.txt (raw) and $RAW/NAME.json (WRK_JSON)
run_wrk() {
  local name=$1 conns=$2 secs=$3 url=$4 body=${5:-} th=$THREADS
  ((conns < th)) && th=$conns
  BODY_FILE=$body timeout $((secs + 60)) wrk -t"$th" -c"$conns" -d"${secs}s" --timeout "$WRK_TIMEOUT" \
    -s "$HERE/post.lua" "$url" >"$RAW/$name.txt" 2>&1 || true
  grep '^WRK_JSON ' "$RAW/$name.txt" | sed 's/^WRK_JSON //' >"$RAW/$name.json" || true
  if [[ -s $RAW/$name.json ]]; then log "  $name (c=$conns, ${secs}s): $(cat "$RAW/$name.json")"
  else log "  $name: wrk produced no result, see $RAW/$name.txt"; fi
}
# sampler PID FILE: VmRSS every 0.5 s into FILE until killed; prints the sampler's PID
start_sampler() {
  local pid=$1 file=$2
  : >"$file"
  (while kill -0 "$pid" 2>/dev/null; do rss_kb "$pid" >>"$file"; sleep 0.5; done) &
  PIDS+=($!)
  SAMPLER=$!
}
stop_sampler() { stop_pid "$SAMPLER"; forget_pid "$SAMPLER"; }

# check_generate NAME URL: one generate must return HTTP 200; saves the response
check_generate() {
  local name=$1 url=$2 code
  code=$(curl -sS -o "$RAW/$name-response.json" -w '%{http_code} %{time_total} %{size_download}' --max-time 60 \
    -X POST -H 'content-type: application/json' --data-binary "$GEN_BODY" "$url" || echo "000 0 0")
  set -- $code
  if [[ $1 != 200 ]]; then
    log "POST $url"
    log "  request body: $GEN_BODY"
    log "  HTTP $1, response body (first 2000 bytes):"
    head -c 2000 "$RAW/$name-response.json" >&2 || true
    echo >&2
    die "$name: generate did not return 200"
  fi
  echo "$2 $3" # seconds bytes
}

command -v wrk >/dev/null || die "wrk not found"
command -v node >/dev/null || die "node not found"
[[ -d $REF_SRC ]] || die "reference not found at $REF_SRC (set REF_SRC)"

# ---- raise the fd limit for the many connections (SLOW mode) ----------------------------------
HARD=$(ulimit -Hn)
WANT=65536
[[ $HARD != unlimited ]] && ((HARD < WANT)) && WANT=$HARD
ulimit -n "$WANT" 2>/dev/null || log "could not raise ulimit -n to $WANT"
log "ulimit -n $(ulimit -n) (wanted 65536, hard limit $HARD)"

# ---- 1. reference build (cached) and our binary -----------------------------------------------
ref_stamp() { (cd "$1" && find src mock-openai bench package.json package-lock.json tsconfig.json -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }
mkdir -p "$CACHE"
[[ -f $CACHE/.gitignore ]] || printf '*\n' >"$CACHE/.gitignore"
WANT_STAMP=$(ref_stamp "$REF_SRC")
if [[ ${REBUILD_REF:-0} != 1 && -f $REF/.mastra/output/index.mjs && -f $REF/.compare-stamp && $(cat "$REF/.compare-stamp") == "$WANT_STAMP" ]]; then
  log "reference: cached build in $REF"
else
  log "reference: copying $REF_SRC -> $REF, npm ci, mastra build (~75 s)"
  rm -rf "$REF"
  mkdir -p "$REF"
  (cd "$REF_SRC" && cp -r src mock-openai bench package.json package-lock.json tsconfig.json "$REF/")
  chmod -R u+w "$REF"
  (cd "$REF" && timeout 600 npm ci --no-audit --no-fund) >"$RAW/ref-npm-ci.log" 2>&1 ||
    die "npm ci failed, see $RAW/ref-npm-ci.log"
  (cd "$REF" && MASTRA_TELEMETRY_DISABLED=1 timeout 600 npx mastra build) >"$RAW/ref-build.log" 2>&1 ||
    die "mastra build failed, see $RAW/ref-build.log"
  [[ -f $REF/.mastra/output/index.mjs ]] || die "mastra build produced no .mastra/output/index.mjs"
  echo "$WANT_STAMP" >"$REF/.compare-stamp"
fi
if [[ $BUILD == 1 || ( $BUILD == auto && ! -x $BUILT_BIN ) ]]; then
  log "ours: cmake --preset release && cmake --build build/release -j2 --target billing-agent"
  { cmake --preset release && timeout 1200 cmake --build build/release -j2 --target billing-agent; } >"$RAW/ours-build.log" 2>&1 ||
    die "build failed, see $RAW/ours-build.log"
else
  log "ours: using existing $BUILT_BIN ($(date -r "$BUILT_BIN" +%FT%T)); BUILD=1 rebuilds it first"
fi
[[ -x $BUILT_BIN ]] || die "$BUILT_BIN missing"
# snapshot the binary so a concurrent rebuild cannot swap it out mid-run
cp "$BUILT_BIN" "$BIN"

# ---- 2. mock -------------------------------------------------------------------------------------
if [[ $SLOW == 1 ]]; then LAT=$SLOW_LATENCY_MS; else LAT=0; fi
port_busy "$MOCK_PORT" && die "port $MOCK_PORT (MOCK_PORT) is already in use; stop whatever listens there or set MOCK_PORT"
MOCK_URL=http://127.0.0.1:$MOCK_PORT
MOCK_PORT=$MOCK_PORT MOCK_LATENCY_MS=$LAT node "$REF/mock-openai/server.mjs" >"$RAW/mock.log" 2>&1 &
MOCK_PID=$!
PIDS+=("$MOCK_PID")
wait_http "$MOCK_URL/health" "$MOCK_PID" mock 100
log "mock pid $MOCK_PID on $MOCK_URL (MOCK_LATENCY_MS=$LAT)"

LLM_ENV=(OPENAI_API_KEY=sk-mock OPENAI_BASE_URL=$MOCK_URL/v1 BILLING_MODEL=openai/gpt-4o-mini BILLING_RATE_LIMIT=off BILLING_PAYMENT_RATE_LIMIT=off)
REF_ENV=(OPENAI_API_KEY=sk-mock OPENAI_BASE_URL=$MOCK_URL/v1 PAYMENT_SUCCESS_RATE=1 MASTRA_TELEMETRY_DISABLED=1)

# start_ours NAME BASE_URL_FOR_LLM DB -> sets OURS_PID, OURS_URL
start_ours() {
  local name=$1 llm=$2 db=$3 port=""
  env OPENAI_API_KEY=sk-mock OPENAI_BASE_URL="$llm" BILLING_MODEL=openai/gpt-4o-mini BILLING_PAYMENT_MODE=approve BILLING_RATE_LIMIT=off BILLING_PAYMENT_RATE_LIMIT=off \
    "$BIN" --host 127.0.0.1 --port 0 --db "$db" >"$RAW/$name.log" 2>&1 &
  OURS_PID=$!
  PIDS+=("$OURS_PID")
  for _ in $(seq 1 200); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$RAW/$name.log" | grep -o '[0-9]*$' || true)
    [[ -n $port ]] && break
    kill -0 "$OURS_PID" 2>/dev/null || break
    sleep 0.05
  done
  [[ -n $port ]] || die "our server did not start (log $RAW/$name.log):"$'\n'"$(tail -n 20 "$RAW/$name.log")"
  OURS_URL=http://127.0.0.1:$port
}
# start_ref NAME PORT -> sets REF_PID, REF_URL
start_ref() {
  local name=$1 port=$2
  port_busy "$port" && die "port $port (REF_PORT) is already in use"
  (cd "$REF" && exec env "${REF_ENV[@]}" PORT="$port" node .mastra/output/index.mjs) >"$RAW/$name.log" 2>&1 &
  REF_PID=$!
  PIDS+=("$REF_PID")
  REF_URL=http://127.0.0.1:$port
  wait_http "$REF_URL/api/agents" "$REF_PID" "$name" 900
}

# capture our two chat-completions bodies through the proxy (our server on a fresh db, stopped after)
capture_bodies() {
  local pport
  pport=$(free_port)
  node "$HERE/capture-proxy.mjs" "$pport" "$MOCK_URL" "$RAW" chat 2 >"$RAW/capture-proxy.log" 2>&1 &
  local proxy=$!
  PIDS+=("$proxy")
  wait_http "http://127.0.0.1:$pport/health" "$proxy" capture-proxy 100
  start_ours ours-capture "http://127.0.0.1:$pport/v1" "$WORK/capture.db"
  check_generate ours-capture "$OURS_URL$AGENT_PATH" >/dev/null
  stop_pid "$OURS_PID"; forget_pid "$OURS_PID"
  stop_pid "$proxy"; forget_pid "$proxy"
  [[ -s $RAW/chat-turn1.json && -s $RAW/chat-turn2.json ]] || die "did not capture two LLM requests from our server (see $RAW)"
  log "captured our LLM requests: $(cat "$RAW/chat-turn1.path") ($(wc -c <"$RAW/chat-turn1.json") B, $(wc -c <"$RAW/chat-turn2.json") B)"
}

mock_check() { # path body
  local code
  code=$(curl -sS -o "$RAW/mock-check.json" -w '%{http_code}' --max-time 10 -X POST -H 'content-type: application/json' --data-binary "@$2" "$MOCK_URL$1" || true)
  [[ $code == 200 ]] || die "mock returned HTTP $code for $1 $(head -c 500 "$RAW/mock-check.json")"
}

{
  echo "MODE=$([[ $SLOW == 1 ]] && echo slow || echo overhead)"
  echo "DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "HOST=$(uname -sr), $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM"
  echo "LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "WRK=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "NODE=$(node -v)"
  for v in THREADS DURATION WARMUP MOCK_DURATION COLD_RUNS WRK_TIMEOUT SLOW_LATENCY_MS SLOW_CONNS SLOW_REF_CONNS SLOW_DURATION; do
    echo "$v=${!v}"
  done
  echo "ULIMIT_N=$(ulimit -n)"
  echo "OURS_COMMIT=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src has uncommitted changes)'), binary built $(date -u -r "$BUILT_BIN" +%FT%TZ)"
} >"$RAW/meta.txt"

REF_PORT=${REF_PORT:-$(free_port)}

if [[ $SLOW != 1 ]]; then
  # ---- 2b. mock alone ----------------------------------------------------------------------------
  capture_bodies
  log "mock alone at c=16 (${MOCK_DURATION}s per body)"
  mock_check /v1/responses "$REF/bench/mock-request-turn1.json"   # turn 1 first: turn 2 refers to its item id
  mock_check /v1/responses "$REF/bench/mock-request-turn2.json"
  mock_check "$(cat "$RAW/chat-turn1.path")" "$RAW/chat-turn1.json"
  mock_check "$(cat "$RAW/chat-turn2.path")" "$RAW/chat-turn2.json"
  run_wrk mock-warmup 16 "$WARMUP" "$MOCK_URL/v1/responses" "$REF/bench/mock-request-turn1.json"
  run_wrk mock-resp-t1 16 "$MOCK_DURATION" "$MOCK_URL/v1/responses" "$REF/bench/mock-request-turn1.json"
  run_wrk mock-resp-t2 16 "$MOCK_DURATION" "$MOCK_URL/v1/responses" "$REF/bench/mock-request-turn2.json"
  run_wrk mock-chat-t1 16 "$MOCK_DURATION" "$MOCK_URL$(cat "$RAW/chat-turn1.path")" "$RAW/chat-turn1.json"
  run_wrk mock-chat-t2 16 "$MOCK_DURATION" "$MOCK_URL$(cat "$RAW/chat-turn2.path")" "$RAW/chat-turn2.json"

  # ---- 3./4. servers ---------------------------------------------------------------------------
  measure() { # who url pid
    local who=$1 url=$2 pid=$3 single
    single=$(check_generate "$who-check" "$url")
    echo "$single" >"$RAW/$who-single.txt"
    rss_kb "$pid" >"$RAW/$who-rss-idle.txt"
    log "$who: single generate ${single% *} s, ${single#* } B; idle RSS $(cat "$RAW/$who-rss-idle.txt") KiB"
    run_wrk "$who-warmup" 16 "$WARMUP" "$url"
    run_wrk "$who-c1" 1 "$DURATION" "$url"
    run_wrk "$who-c16" 16 "$DURATION" "$url"
    start_sampler "$pid" "$RAW/$who-rss-c64.txt"
    run_wrk "$who-c64" 64 "$DURATION" "$url"
    stop_sampler
    hwm_kb "$pid" >"$RAW/$who-hwm.txt"
  }
  log "== Mastra reference (port $REF_PORT)"
  start_ref ref "$REF_PORT"
  measure ref "$REF_URL$AGENT_PATH" "$REF_PID"
  stop_pid "$REF_PID"; forget_pid "$REF_PID"
  log "ref: cold start x$COLD_RUNS"
  (cd "$REF" && env "${REF_ENV[@]}" timeout 300 node "$HERE/coldstart.mjs" "$REF_URL" "$COLD_RUNS" -- node .mastra/output/index.mjs) \
    >"$RAW/ref-cold.txt" 2>&1 || log "ref cold start failed, see $RAW/ref-cold.txt"
  log "  $(grep COLDSTART_JSON "$RAW/ref-cold.txt" || echo none)"

  log "== ours"
  start_ours ours "$MOCK_URL/v1" "$WORK/ours.db"
  measure ours "$OURS_URL$AGENT_PATH" "$OURS_PID"
  stop_pid "$OURS_PID"; forget_pid "$OURS_PID"
  CPORT=$(free_port)
  log "ours: cold start x$COLD_RUNS (fresh database each run)"
  env "${LLM_ENV[@]}" BILLING_PAYMENT_MODE=approve timeout 300 node "$HERE/coldstart.mjs" "http://127.0.0.1:$CPORT" "$COLD_RUNS" -- \
    "$BIN" --host 127.0.0.1 --port "$CPORT" --db "$WORK/cold-%RUN%.db" >"$RAW/ours-cold.txt" 2>&1 ||
    log "ours cold start failed, see $RAW/ours-cold.txt"
  log "  $(grep COLDSTART_JSON "$RAW/ours-cold.txt" || echo none)"
  log "ours: cold start x$COLD_RUNS (existing database from the load run: restart, no seeding)"
  env "${LLM_ENV[@]}" BILLING_PAYMENT_MODE=approve timeout 300 node "$HERE/coldstart.mjs" "http://127.0.0.1:$CPORT" "$COLD_RUNS" -- \
    "$BIN" --host 127.0.0.1 --port "$CPORT" --db "$WORK/ours.db" >"$RAW/ours-cold-existing.txt" 2>&1 ||
    log "ours cold start (existing db) failed, see $RAW/ours-cold-existing.txt"
  log "  $(grep COLDSTART_JSON "$RAW/ours-cold-existing.txt" || echo none)"
else
  # ---- SLOW mode -------------------------------------------------------------------------------
  WRK_TIMEOUT=30s
  slow_run() { # who conns url pid
    local who=$1 conns=$2 url=$3 pid=$4
    start_sampler "$pid" "$RAW/$who-slow-c$conns-rss.txt"
    run_wrk "$who-slow-c$conns" "$conns" "$SLOW_DURATION" "$url"
    stop_sampler
  }
  log "== Mastra reference (port $REF_PORT), mock latency ${LAT} ms"
  start_ref ref "$REF_PORT"
  single=$(check_generate ref-check "$REF_URL$AGENT_PATH"); echo "$single" >"$RAW/ref-single.txt"
  log "ref: unloaded generate ${single% *} s"
  rss_kb "$REF_PID" >"$RAW/ref-rss-idle.txt"
  slow_run ref "$SLOW_REF_CONNS" "$REF_URL$AGENT_PATH" "$REF_PID"
  hwm_kb "$REF_PID" >"$RAW/ref-hwm.txt"
  stop_pid "$REF_PID"; forget_pid "$REF_PID"
  log "== ours, mock latency ${LAT} ms"
  start_ours ours "$MOCK_URL/v1" "$WORK/ours.db"
  single=$(check_generate ours-check "$OURS_URL$AGENT_PATH"); echo "$single" >"$RAW/ours-single.txt"
  log "ours: unloaded generate ${single% *} s"
  rss_kb "$OURS_PID" >"$RAW/ours-rss-idle.txt"
  slow_run ours "$SLOW_REF_CONNS" "$OURS_URL$AGENT_PATH" "$OURS_PID"
  slow_run ours "$SLOW_CONNS" "$OURS_URL$AGENT_PATH" "$OURS_PID"
  hwm_kb "$OURS_PID" >"$RAW/ours-hwm.txt"
  kill -0 "$OURS_PID" 2>/dev/null || log "our server is no longer running after the slow runs (see $RAW/ours.log)"
  stop_pid "$OURS_PID"; forget_pid "$OURS_PID"
fi
curl -fsS --max-time 5 "$MOCK_URL/__stats" >"$RAW/mock-stats.json" 2>/dev/null || true
echo "LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW/meta.txt"
node "$HERE/report.mjs" "$RAW" >"$OUT_MD"
cat "$OUT_MD"
log "written $OUT_MD (raw output in $RAW)"
