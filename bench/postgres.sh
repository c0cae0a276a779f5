#!/usr/bin/env bash
# PostgreSQL beside SQLite (issue #11): payments/s and generate/s (local planner) on SQLite, on
# PostgreSQL with one instance and with two instances on one database, the billing-agent CPU per
# payment, PostgreSQL's own CPU per payment, and statements (= round trips) per payment.
#
#   bench/postgres.sh        # DURATION=10 PAY_CONNS=64 GEN_CONNS=16 REPEAT=3
#
# One command, one run: installs wrk, builds Release, starts a throwaway PostgreSQL 15
# (scripts/pg-test-server.sh: Unix socket, fsync on, the same disk as the SQLite file), then for
# each setup a fresh database, the server(s) with payments approved and rate limits off, and wrk
# on this machine:
#   - payments: POST $1.00 payments to /api/tools/process-payment/execute (a durable write each)
#     at PAY_CONNS connections (split over the instances);
#   - generate: POST "Show me billing details for customer CUST-001" to generate (the local
#     planner, one read tool call) at GEN_CONNS connections.
# CPU: utime+stime of the billing-agent process(es) and of every PostgreSQL process across the
# payment phase, divided by the payments acknowledged. Statements: the server's own count, logged
# at shutdown. Targets on this machine (the issue's): a payment on PostgreSQL costs at most 2x the
# server CPU of one on SQLite; generate on PostgreSQL reaches at least half its SQLite throughput.
# Everything runs on one machine: wrk, PostgreSQL and the instances share its cores, so absolute
# rates are this machine's, the ratios are the point.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
PAY_CONNS=${PAY_CONNS:-64}
GEN_CONNS=${GEN_CONNS:-16}
REPEAT=${REPEAT:-3}
BILLING_WITH_BENCH=1 scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target billing-agent -j"$(nproc)" >/dev/null

work=$(mktemp -d /tmp/billing-pgbench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [[ -n ${BILLING_TEST_PG_DIR:-} ]] && scripts/pg-test-server.sh stop || true
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/pg-test-server.sh start)"
pg_url() { echo "$BILLING_TEST_PG_URL" | sed "s|/billing_test?|/$1?|"; }
pg_admin() { psql -q -X "$BILLING_TEST_PG_URL" -c "$1" >/dev/null; }
TICK=$(getconf CLK_TCK)

# CPU ticks (user + system) of the given pids, summed; vanished ones count 0.
ticks() {
  local sum=0 p
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] || continue
    sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$sum"
}
# The PostgreSQL server of this run: its postmaster and every child (backends, walwriter, ...).
postgres_pids() {
  local pm
  pm=$(head -1 "$BILLING_TEST_PG_DIR/data/postmaster.pid")
  echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"
}
# "pid ticks" lines of the PostgreSQL processes now.
postgres_ticks() {
  local p
  for p in $(postgres_pids); do echo "$p $(ticks "$p")"; done
}
# The PostgreSQL CPU ticks between two postgres_ticks snapshots ($1, $2): backends started
# during the phase (the pool grows under load) count from 0, as they should.
postgres_ticks_between() {
  awk 'NR == FNR {before[$1] = $2; next} {sum += $2 - ($1 in before ? before[$1] : 0)} END {print sum + 0}' \
    <(echo "$1") <(echo "$2")
}

start_instance() {  # $1 = --db value, $2 = log file; appends the pid to pids, sets PORT
  BILLING_DB_POOL=${BILLING_DB_POOL:-10} BILLING_RATE_LIMIT=off BILLING_PAYMENT_RATE_LIMIT=off BILLING_PAYMENT_MODE=approve \
    build/release/billing-agent --host 127.0.0.1 --port 0 --db "$1" >"$2" 2>&1 &
  pids+=($!)
  local port=""
  for _ in $(seq 1 300); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$2" | grep -o '[0-9]*$' || true)
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { cat "$2" >&2; echo "server did not start" >&2; exit 1; }
  PORT=$port
}

# wrk against every port at once, $conns split over them; prints "acknowledged duration_us".
load() {  # $1 = lua script, $2 = total connections, rest = ports
  local script=$1 conns=$2
  shift 2
  local per=$((conns / $#)) i=0 wrks=()
  for port in "$@"; do
    local path=/api/tools/process-payment/execute
    [[ $script == *generate* ]] && path=/api/agents/billingApiAgent/generate
    wrk -t1 -c"$per" -d"${DURATION}s" --timeout 30s -s "$script" "http://127.0.0.1:$port$path" \
      >"$work/wrk.$i" &
    wrks+=($!)
    i=$((i + 1))
  done
  wait "${wrks[@]}"
  local acked=0 dur=0
  for f in "$work"/wrk.*; do
    eval "$(grep BENCH_RESULT "$f" | sed 's/BENCH_RESULT //')"
    acked=$((acked + requests - errors))
    ((duration_us > dur)) && dur=$duration_us
  done
  rm -f "$work"/wrk.*
  echo "$acked $dur"
}

out="bench/results/postgres-$(date -u +%Y%m%dT%H%M%SZ).md"
mkdir -p bench/results
{
  echo "# PostgreSQL beside SQLite: payments and generate"
  echo
  echo "machine: $(nproc) cores, $(uname -r); load before the run: $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $(psql -X -t -A "$BILLING_TEST_PG_URL" -c 'SHOW server_version'), same machine; wrk -t1 per instance; ${DURATION}s per phase; payments at $PAY_CONNS connections, generate at $GEN_CONNS; medians of $REPEAT rounds, the setups taking turns"
  echo
  echo "| setup | payments/s | server CPU ms per payment | PostgreSQL CPU ms per payment | statements (round trips) per payment | generate/s | server CPU ms per generate | PostgreSQL CPU ms per generate |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$out"

# One measurement of a setup on a fresh database; appends its figures to the arrays of the setup.
declare -A pay_runs cpu_pay_runs pgcpu_pay_runs gen_runs cpu_gen_runs pgcpu_gen_runs dbs
run_setup() {  # $1 = setup, $2 = round
  local setup=$1 instances=1 db
  [[ $setup == pg2 ]] && instances=2
  if [[ $setup == sqlite ]]; then
    db="$work/billing-$2.db"
  else
    pg_admin "CREATE DATABASE bench_${setup}_$2"
    db=$(pg_url "bench_${setup}_$2")
  fi
  dbs[$setup]=$db
  pids=()
  ports=()
  for i in $(seq 1 "$instances"); do
    start_instance "$db" "$work/server-$setup-$i.log"
    ports+=("$PORT")
  done
  # Warm up (connections, prepared statements, the first group commits).
  DURATION=2 load bench/payment.lua 8 "${ports[@]}" >/dev/null
  pg_snapshot() { [[ $setup == sqlite ]] || postgres_ticks; }
  local s0 p0 s1 p1 s2 p2 paid pay_us generated gen_us
  s0=$(ticks "${pids[@]}")
  p0=$(pg_snapshot)
  read -r paid pay_us < <(load bench/payment.lua "$PAY_CONNS" "${ports[@]}")
  s1=$(ticks "${pids[@]}")
  # What autovacuum does within a minute of such a burst, done now (outside the timings): fresh
  # statistics, so that the connections' generic plans (docs/postgres.md "Plans") are made
  # for tables of this size and not for the empty ones of the start.
  [[ $setup == sqlite ]] || psql -q -X "${dbs[$setup]}" -c ANALYZE >/dev/null
  p1=$(pg_snapshot)
  read -r generated gen_us < <(load bench/generate.lua "$GEN_CONNS" "${ports[@]}")
  s2=$(ticks "${pids[@]}")
  p2=$(pg_snapshot)
  for p in "${pids[@]}"; do kill -INT "$p"; wait "$p" 2>/dev/null || true; done
  pids=()
  per() { awk -v t="$1" -v n="$2" -v k="$TICK" 'BEGIN {printf "%.3f", t * 1000 / k / n}'; }
  pay_runs[$setup]+="$(awk -v n="$paid" -v d="$pay_us" 'BEGIN {printf "%.0f", n / (d / 1e6)}') "
  gen_runs[$setup]+="$(awk -v n="$generated" -v d="$gen_us" 'BEGIN {printf "%.0f", n / (d / 1e6)}') "
  cpu_pay_runs[$setup]+="$(per $((s1 - s0)) "$paid") "
  cpu_gen_runs[$setup]+="$(per $((s2 - s1)) "$generated") "
  pgcpu_pay_runs[$setup]+="$(per "$(postgres_ticks_between "$p0" "$p1")" "$paid") "
  pgcpu_gen_runs[$setup]+="$(per "$(postgres_ticks_between "$p1" "$p2")" "$generated") "
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# The setups take turns, REPEAT rounds, so that drift of this shared machine touches all alike;
# every figure is the median of the rounds.
for round in $(seq 1 "$REPEAT"); do
  for setup in sqlite pg1 pg2; do run_setup "$setup" "$round"; done
done

declare -A pay_rate cpu_pay gen_rate
for setup in sqlite pg1 pg2; do
  db=${dbs[$setup]}
  pay_rate[$setup]=$(median "${pay_runs[$setup]}")
  cpu_pay[$setup]=$(median "${cpu_pay_runs[$setup]}")
  gen_rate[$setup]=$(median "${gen_runs[$setup]}")
  cpu_gen=$(median "${cpu_gen_runs[$setup]}")
  pg_cpu="—"
  pg_gen="—"
  if [[ $setup != sqlite ]]; then
    pg_cpu=$(median "${pgcpu_pay_runs[$setup]}")
    pg_gen=$(median "${pgcpu_gen_runs[$setup]}")
  fi

  # Statements and round trips per payment: a fresh instance, exactly 200 payments one after
  # another, stopped; minus a start and stop without payments (migration and seed checks).
  per_payment="—"
  if [[ $setup != sqlite ]]; then
    counts() {  # $1 = log: "statements round_trips"
      grep -o '[0-9]* statements sent in [0-9]* round trips' "$1" | awk '{print $1, $5}'
    }
    pids=()
    start_instance "$db" "$work/count-$setup.log"
    for _ in $(seq 1 200); do
      curl -sf -X POST "http://127.0.0.1:$PORT/api/tools/process-payment/execute" \
        -H 'content-type: application/json' \
        -d '{"data":{"action":"process","customerId":"CUST-001","amount":"1.00","paymentMethod":"bank_transfer"}}' >/dev/null
    done
    kill -INT "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
    pids=()
    start_instance "$db" "$work/count0-$setup.log"
    kill -INT "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
    pids=()
    read -r n rt < <(counts "$work/count-$setup.log")
    read -r n0 rt0 < <(counts "$work/count0-$setup.log")
    per_payment=$(awk -v n="$n" -v z="$n0" -v r="$rt" -v y="$rt0" \
      'BEGIN {printf "%.1f (%.1f)", (n - z) / 200, (r - y) / 200}')
  fi
  label=$setup
  [[ $setup == sqlite ]] && label="SQLite (1 instance)"
  [[ $setup == pg1 ]] && label="PostgreSQL, 1 instance"
  [[ $setup == pg2 ]] && label="PostgreSQL, 2 instances"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "${pay_rate[$setup]}" "${cpu_pay[$setup]}" \
    "$pg_cpu" "$per_payment" "${gen_rate[$setup]}" "$cpu_gen" "$pg_gen" >>"$out"
done

cpu_ratio=$(awk -v a="${cpu_pay[pg1]}" -v b="${cpu_pay[sqlite]}" 'BEGIN {printf "%.2f", a / b}')
gen_ratio=$(awk -v a="${gen_rate[pg1]}" -v b="${gen_rate[sqlite]}" 'BEGIN {printf "%.2f", a / b}')
verdict() { awk -v v="$1" -v lim="$2" -v op="$3" 'BEGIN { ok = (op == "le") ? v <= lim : v >= lim; print ok ? "met" : "NOT met" }'; }
{
  echo
  echo "- server CPU per payment, PostgreSQL (1 instance) / SQLite: **${cpu_ratio}x** (target at most 2x: $(verdict "$cpu_ratio" 2 le))"
  echo "- generate/s, PostgreSQL (1 instance) / SQLite: **${gen_ratio}** (target at least 0.5: $(verdict "$gen_ratio" 0.5 ge))"
  echo "- statements (round trips) per payment: counted by the server over 200 sequential payments, minus a start and stop without payments; transaction control (BEGIN, the writers' lock, SAVEPOINT, RELEASE) goes out pipelined with the next statement."
} >>"$out"
cat "$out"
