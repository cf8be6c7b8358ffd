#!/usr/bin/env bash
# Loyalty benchmark: durable points credits per second, the same work three ways in one run —
#   library   Points::Earn called by C concurrent threads (bench/loyalty/points_bench.cc), each
#             call with its own Idempotency-Key, returning once its commit is synced to disk
#             (SQLite WAL, one writer batching concurrent transactions into one commit,
#             syncer threads making each group durable; docs/storage.md), with the event
#             projection writing the "Points Earned" events beside the load;
#   http      POST /api/v1/loyalty/members/{id}/points/earn with an Idempotency-Key, secret-key
#             bearer auth, C keep-alive connections (wrk, bench/loyalty/earn.lua);
#   postgres  a throw-away PostgreSQL cluster, durable (fsync, synchronous_commit on), members,
#             entries, lots and idempotency tables; per transaction: check the key, lock the
#             member, insert the entry, insert the lot, update the balance, store the key
#             (pgbench, bench/loyalty/pg_earn.sql), C clients.
# Prints tx/s for each and the ratios siyu / PostgreSQL.
#
# Usage: bench/loyalty/run.sh [seconds] [concurrency] [members]      (default: 10 64 10000)
# Environment:
#   SIYU_BENCH_ENGINES  which to run (default "library http postgres")
#   SIYU_BENCH_BUILD    0: use the binaries already built instead of building them
#   SIYU_BUILD_DIR      the Release build directory (default build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-10}"
concurrency="${2:-64}"
members="${3:-10000}"
engines="${SIYU_BENCH_ENGINES:-library http postgres}"
build="${SIYU_BUILD_DIR:-build/release}"
bin="$build/siyu"
has() { [[ " $engines " == *" $1 "* ]]; }
note() { echo "loyalty: $*" >&2; }

if [ "${SIYU_BENCH_BUILD:-1}" != 0 ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIYU_BUILD_TESTS=OFF -DSIYU_BUILD_BENCH=ON >/dev/null
  if ! build_log="$(ninja -C "$build" siyu loyalty_bench 2>&1)"; then
    echo "$build_log" >&2
    exit 1
  fi
fi

work="$(mktemp -d)"
pid=""
pg_bin=""
as_postgres() {
  # PostgreSQL refuses to run as root: run its programs as the postgres user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  if [ -f "$work/pg/data/postmaster.pid" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  return 0
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
lib_tps="" http_tps="" pg_tps=""

# --- library ------------------------------------------------------------------------------------
if has library; then
  note "library: Points::Earn from $concurrency threads for ${seconds}s ($members members)"
  out="$("$build/bench/loyalty/loyalty_bench" --threads "$concurrency" --seconds "$seconds" --members "$members" \
    --dir "$work/lib")"
  echo "$out"
  lib_tps="$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tx_per_s"])')"
fi

# --- HTTP -----------------------------------------------------------------------------------------
if has http; then
  command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps.sh test)" >&2; exit 1; }
  data="$work/http"
  "$bin" tenant add --data-dir "$data" --name bench --time-zone Asia/Shanghai --currency CNY >/dev/null
  # Members through the member import (customer ids 1..members).
  python3 - "$members" >"$work/members.csv" <<'PY'
import sys
print("phone,member_no")
for i in range(int(sys.argv[1])):
    print("139%08d,HB%08d" % (i, i + 1))
PY
  "$bin" import customers "$work/members.csv" --data-dir "$data" --no-progress >/dev/null
  port="$(free_port)"
  "$bin" serve --data-dir "$data" --port "$port" --log-level warn >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  key="$("$bin" apikey create --data-dir "$data" --tenant-id 1 --name bench | sed -n 's/^key=//p')"
  curl -sf -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -H 'Idempotency-Key: warm-up' \
    -d '{"points":10,"reason":"bench"}' "http://127.0.0.1:$port/api/v1/loyalty/members/1/points/earn" >/dev/null
  note "http: $concurrency connections for ${seconds}s"
  out="$(SIYU_KEY="$key" MEMBERS="$members" RUN="$(date +%s%N)" wrk -t2 -c"$concurrency" -d"${seconds}s" --latency \
    -s bench/loyalty/earn.lua "http://127.0.0.1:$port")"
  http_tps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p50="$(echo "$out" | awk '$1=="50%" {print $2}')"
  p99="$(echo "$out" | awk '$1=="99%" {print $2}')"
  errors="$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')"
  echo "{\"engine\":\"siyu-http\",\"connections\":$concurrency,\"tx_per_s\":${http_tps%.*},\"p50\":\"$p50\",\"p99\":\"$p99\"}"
  [ -z "$errors" ] || { echo "http: $errors" >&2; exit 1; }
  kill "$pid" && wait "$pid" 2>/dev/null || true
  pid=""
fi

# --- PostgreSQL -----------------------------------------------------------------------------------
if has postgres; then
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$pg_bin" ]; then
    note "installing PostgreSQL (Debian package postgresql)"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  mkdir -p "$work/pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$work/pg" && chmod 755 "$work"
  port="$(free_port)"
  as_postgres "$pg_bin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  # Durable, as siyu is: fsync, synchronous_commit and full-page writes stay on (the defaults).
  as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -o "-p $port -k $work/pg \
    -c listen_addresses='' -c shared_buffers=1GB -c max_connections=$((concurrency + 20)) \
    -c synchronous_commit=on -c fsync=on -c max_wal_size=4GB" start >/dev/null
  psql_run() { as_postgres "$pg_bin/psql" -X -h "$work/pg" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 "$@"; }
  psql_run -c "
    CREATE TABLE members (customer_id bigint PRIMARY KEY, tenant_id bigint NOT NULL, member_no text NOT NULL,
      points bigint NOT NULL DEFAULT 0, points_earned bigint NOT NULL DEFAULT 0, updated_at bigint NOT NULL DEFAULT 0);
    CREATE TABLE points_entries (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, customer_id bigint NOT NULL,
      type text NOT NULL, amount bigint NOT NULL, balance_after bigint NOT NULL, reason text NOT NULL,
      source_type text NOT NULL, idempotency_key text, at bigint NOT NULL);
    CREATE INDEX ON points_entries (customer_id, id);
    CREATE TABLE points_lots (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, customer_id bigint NOT NULL,
      entry_id bigint NOT NULL, amount bigint NOT NULL, remaining bigint NOT NULL, earned_at bigint NOT NULL,
      expires_at bigint);
    CREATE INDEX ON points_lots (customer_id, expires_at);
    CREATE TABLE idempotency_keys (tenant_id bigint NOT NULL, key text NOT NULL, operation text NOT NULL,
      fingerprint text NOT NULL, status int NOT NULL, result text NOT NULL, created_at bigint NOT NULL,
      PRIMARY KEY (tenant_id, key));
    INSERT INTO members(customer_id, tenant_id, member_no) SELECT g, 1, 'B' || g FROM generate_series(1, $members) g;" \
    -c "VACUUM ANALYZE"
  note "postgres: $concurrency clients for ${seconds}s"
  out="$(as_postgres "$pg_bin/pgbench" -n -h "$work/pg" -p "$port" -U postgres -M prepared -c "$concurrency" -j 2 \
    -T "$seconds" -D members="$members" -f bench/loyalty/pg_earn.sql postgres 2>&1)" ||
    { echo "$out" >&2; exit 1; }
  pg_tps="$(echo "$out" | awk '/^tps = / {print $3; exit}')"
  latency="$(echo "$out" | awk '/^latency average/ {print $4}')"
  failed="$(echo "$out" | awk '/number of failed transactions/ {print $5}')"
  echo "{\"engine\":\"postgres\",\"clients\":$concurrency,\"tx_per_s\":${pg_tps%.*},\"latency_avg_ms\":$latency,\"failed\":${failed:-0}}"
fi

# --- summary --------------------------------------------------------------------------------------
echo "durable points credits per second, $concurrency concurrent, ${seconds}s, $members members, $(nproc) cores:"
[ -n "$lib_tps" ] && printf '  siyu library  %8.0f tx/s   (target >= 20000)\n' "$lib_tps"
[ -n "$http_tps" ] && printf '  siyu HTTP     %8.0f tx/s\n' "$http_tps"
[ -n "$pg_tps" ] && printf '  PostgreSQL    %8.0f tx/s\n' "$pg_tps"
if [ -n "$pg_tps" ]; then
  [ -n "$lib_tps" ] && awk -v a="$lib_tps" -v b="$pg_tps" 'BEGIN { printf "  library / PostgreSQL  %.2fx\n", a / b }'
  [ -n "$http_tps" ] && awk -v a="$http_tps" -v b="$pg_tps" 'BEGIN { printf "  HTTP / PostgreSQL     %.2fx\n", a / b }'
fi
exit 0
