#!/usr/bin/env bash
# Segment benchmark: the query set of bench/segments/queries.json on one `siyu gen` data set,
# run on siyu's segment engine (segment_bench), on DuckDB (native in-memory tables through
# @duckdb/node-api) and on PostgreSQL (a throw-away cluster with indexes). Checks that all
# three count the same customers and prints per query the medians, the ratios and the targets,
# then the engine's incremental update latency with 100 active segments and its memory.
# bench/segments/README.md describes the data, the queries and the output.
#
# Usage: bench/segments/run.sh [tiny|small|large] [runs]      (default: small 5)
# Environment:
#   SIYU_BENCH_THREADS  threads per query: siyu and DuckDB threads, PostgreSQL processes (default 2)
#   SIYU_BENCH_SEED     generator seed (default 1)
#   SIYU_BENCH_ENGINES  which engines to run (default "siyu duckdb postgres")
#   SIYU_BENCH_DATA     where generated data sets are kept and reused (default build/bench-segments)
#   SIYU_BENCH_BUILD    0: use the binaries already in build/release instead of building them
#   SIYU_BIN            the siyu binary that generates the data (default build/release/siyu)
set -euo pipefail
cd "$(dirname "$0")/../.."

size="${1:-small}"
runs="${2:-5}"
threads="${SIYU_BENCH_THREADS:-2}"
seed="${SIYU_BENCH_SEED:-1}"
engines="${SIYU_BENCH_ENGINES:-siyu duckdb postgres}"
data_root="${SIYU_BENCH_DATA:-build/bench-segments}"
case "$size" in
  tiny | small | large) ;;
  *) echo "usage: bench/segments/run.sh [tiny|small|large] [runs]" >&2; exit 2 ;;
esac
bin="${SIYU_BIN:-build/release/siyu}"
has() { [[ " $engines " == *" $1 "* ]]; }
note() { echo "segments: $*" >&2; }

results="bench/results/segments-$size"
mkdir -p "$results"
rm -f "$results"/*.jsonl

# --- build ------------------------------------------------------------------------------------
if [ "${SIYU_BENCH_BUILD:-1}" != 0 ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIYU_BUILD_TESTS=OFF -DSIYU_BUILD_BENCH=ON \
    >/dev/null
  build_targets=(siyu)
  has siyu && build_targets+=(segment_bench)
  if ! build_log="$(ninja -C build/release "${build_targets[@]}" 2>&1)"; then
    echo "$build_log" >&2
    exit 1
  fi
fi

# --- data: generated once per size and seed, then reused ---------------------------------------
data="$data_root/$size-seed$seed"
if ! grep -qs '"format": 1,' "$data/meta.json"; then
  note "generating the $size data set (seed $seed) into $data"
  rm -rf "$data" "$data.partial"
  "$bin" gen --size "$size" --seed "$seed" --out "$data.partial" >&2
  mv "$data.partial" "$data"
fi
data="$(cd "$data" && pwd)"

# --- siyu ---------------------------------------------------------------------------------------
if has siyu; then
  note "siyu: loading and running the queries ($threads threads)"
  build/release/bench/segments/segment_bench --data "$data" --queries bench/segments/queries.json --runs "$runs" \
    --threads "$threads" >"$results/siyu.jsonl"
fi

# --- DuckDB -------------------------------------------------------------------------------------
if has duckdb; then
  if [ ! -d bench/segments/node_modules/@duckdb/node-api ]; then
    (cd bench/segments && npm ci --no-audit --no-fund --loglevel=error)
  fi
  note "DuckDB: loading and running the queries ($threads threads)"
  # In memory, except at large, whose tables (about 23 GB) go to a database file.
  duck_db=":memory:"
  [ "$size" = large ] && duck_db="$data_root/duckdb-large.db" && rm -f "$duck_db" "$duck_db.wal"
  node bench/segments/duckdb_run.mjs "$data" "$threads" "$runs" "$duck_db" >"$results/duckdb.jsonl"
  [ "$duck_db" = ":memory:" ] || rm -f "$duck_db" "$duck_db.wal"
fi

# --- PostgreSQL: a throw-away cluster on a free port --------------------------------------------
pg_bin=""
pg_dir=""
as_postgres() {
  # PostgreSQL refuses to run as root: run its programs as the postgres user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ -n "$pg_dir" ] && rm -rf "$pg_dir"
  return 0
}
trap cleanup EXIT

run_postgres() {
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$pg_bin" ]; then
    note "installing PostgreSQL (Debian package postgresql)"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  pg_dir="$(mktemp -d)"
  [ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
  local port mem_mb shared_mb workers
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  mem_mb=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
  shared_mb=$((mem_mb / 4 > 8192 ? 8192 : mem_mb / 4))
  workers=$((threads > 1 ? threads - 1 : 0))
  as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  # A server tuned for a read-only analytical run: a quarter of memory as shared buffers, the
  # same parallelism as DuckDB's threads (a leader and threads - 1 workers), no durability.
  as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -o "-p $port -k $pg_dir \
    -c listen_addresses='' -c shared_buffers=${shared_mb}MB -c effective_cache_size=$((mem_mb / 2))MB \
    -c work_mem=256MB -c maintenance_work_mem=2GB -c max_worker_processes=$((workers + 8)) \
    -c max_parallel_workers=$workers -c max_parallel_workers_per_gather=$workers \
    -c max_parallel_maintenance_workers=$workers -c random_page_cost=1.1 -c fsync=off \
    -c synchronous_commit=off -c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0 \
    -c max_wal_size=20GB -c checkpoint_timeout=1h" start >/dev/null
  psql_run() { as_postgres "$pg_bin/psql" -X -h "$pg_dir" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 "$@"; }

  note "PostgreSQL: loading"
  local started loaded indexed
  started="$(date +%s.%N)"
  psql_run -c "
    CREATE TABLE stores (id bigint PRIMARY KEY, parent_id bigint, kind text, name text, city text);
    CREATE TABLE tags (id bigint PRIMARY KEY, \"group\" text, name text);
    CREATE TABLE customers (id bigint, created_at bigint, store_id bigint, gender text, birthday text,
      city text, member_level text, has_phone integer, has_wecom integer);
    CREATE TABLE customer_tags (customer_id bigint, tag_id bigint);
    CREATE TABLE events (customer_id bigint, ts bigint, name text, category text, product_id integer,
      revenue bigint);"
  for table in stores tags customers customer_tags events; do
    psql_run -c "COPY $table FROM STDIN WITH (FORMAT csv, HEADER true)" <"$data/$table.csv"
  done
  loaded="$(date +%s.%N)"
  note "PostgreSQL: indexes and statistics"
  psql_run -c "ALTER TABLE customers ADD PRIMARY KEY (id)" \
    -c "ALTER TABLE customer_tags ADD PRIMARY KEY (customer_id, tag_id)" \
    -c "CREATE INDEX ON customer_tags (tag_id, customer_id)" \
    -c "CREATE INDEX ON stores (parent_id)" \
    -c "CREATE INDEX ON customers (store_id)" \
    -c "CREATE INDEX ON events (name, customer_id, ts) INCLUDE (revenue, category)" \
    -c "CREATE INDEX ON events (name, ts) INCLUDE (customer_id, revenue, category)" \
    -c "VACUUM (ANALYZE)"
  indexed="$(date +%s.%N)"
  local disk
  disk="$(psql_run -c "SELECT sum(pg_total_relation_size(oid)) FROM pg_class
    WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")"
  awk -v a="$started" -v b="$loaded" -v c="$indexed" -v d="$disk" -v t="$threads" 'BEGIN {
    printf "{\"engine\":\"postgres\",\"threads\":%d,\"load_s\":%.3f,\"index_s\":%.3f,\"disk_bytes\":%s}\n", t, b - a, c - b, d }' \
    >>"$results/postgres.jsonl"

  note "PostgreSQL: running the queries ($threads processes per query)"
  local name sql script out count
  while IFS=$'\t' read -r name sql; do
    script="\\timing on"$'\n'
    for _ in $(seq 0 "$runs"); do script+="$sql;"$'\n'; done
    out="$(psql_run <<<"$script")"
    count="$(grep -v '^Time:' <<<"$out" | head -1)"
    # The first run warms the cache; the median of the others.
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -n +2 | sort -g | awk -v q="$name" -v c="${count:-null}" '
      { t[NR] = $1 }
      END {
        m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
        printf "{\"engine\":\"postgres\",\"query\":\"%s\",\"count\":%s,\"median_ms\":%.3f,\"min_ms\":%.3f,\"max_ms\":%.3f}\n", q, c, m, t[1], t[NR]
      }' >>"$results/postgres.jsonl"
  done < <(node bench/segments/sql.mjs postgres "$data/meta.json")
  as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null
}
if has postgres; then run_postgres; fi

# --- report -------------------------------------------------------------------------------------
versions="siyu $("$bin" version | cut -d' ' -f2)"
if has duckdb; then
  versions+=", @duckdb/node-api $(node -p 'require("./bench/segments/node_modules/@duckdb/node-api/package.json").version')"
fi
has postgres && versions+=", PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}')"
echo "segment benchmark, size $size (seed $seed), median of $runs runs after a warm-up; $versions;" \
  "$(nproc) cores, $(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1048576)) GiB"
node bench/segments/report.mjs "$results" | tee "$results/table.txt"
