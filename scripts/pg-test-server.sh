#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the tests: initdb into a temporary directory, started on a Unix
# socket in that directory only (no TCP port to collide with), as an unprivileged user when run as
# root (PostgreSQL refuses to run as root, and CI runs as root).
#
#   eval "$(scripts/pg-test-server.sh start)"   # exports BILLING_TEST_PG_URL and BILLING_TEST_PG_DIR
#   scripts/pg-test-server.sh stop               # stops it and removes the directory
#   scripts/pg-test-server.sh crash DIR          # pg_ctl stop -m immediate (fault tests)
#   scripts/pg-test-server.sh resume DIR         # starts it again on the same socket
set -euo pipefail
BIN=$(pg_config --bindir 2>/dev/null || true)
[[ -x ${BIN:-}/initdb ]] || BIN=/usr/lib/postgresql/15/bin
AS=()
if [[ $(id -u) == 0 ]]; then AS=(runuser -u nobody --); fi

case ${1:-} in
  start)
    dir=$(mktemp -d /tmp/billing-pg-XXXXXX)
    chmod 755 "$dir"
    if ((${#AS[@]})); then chown nobody "$dir"; fi
    port=$((20000 + RANDOM % 20000))  # names the socket file only
    "${AS[@]}" "$BIN/initdb" -D "$dir/data" -U billing --auth=trust -E UTF8 --no-locale \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    "${AS[@]}" "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses='' -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    "${AS[@]}" "$BIN/createdb" -h "$dir" -p "$port" -U billing billing_test
    echo "export BILLING_TEST_PG_DIR='$dir'"
    echo "export BILLING_TEST_PG_URL='postgresql://billing@/billing_test?host=$dir&port=$port'"
    ;;
  stop)
    dir=${BILLING_TEST_PG_DIR:?BILLING_TEST_PG_DIR is not set}
    if [[ -d $dir/data ]]; then "${AS[@]}" "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; fi
    rm -rf "$dir"
    ;;
  crash)
    dir=${2:?usage: $0 crash DIR}
    "${AS[@]}" "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  resume)
    dir=${2:?usage: $0 resume DIR}
    port=$(cat "$dir/port")
    "${AS[@]}" "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses='' -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    ;;
  *)
    echo "usage: $0 start|stop|crash DIR|resume DIR" >&2
    exit 2
    ;;
esac
