#!/usr/bin/env bash
# Import benchmark: `siyu import orders` of the Online Retail file (541,909 order lines) on a
# Release build and a fresh data directory, next to loading the same file into DuckDB
# (read_csv_auto through @duckdb/node-api) and PostgreSQL (COPY FROM PROGRAM 'zcat ...').
# Prints rows, seconds and rows/s for each, and siyu's time as a multiple of the others'.
# Usage: bench/ingest/import_compare.sh [FILE.csv.gz]   (default ../shared/data/online_retail.csv.gz)
set -euo pipefail
cd "$(dirname "$0")/../.."

file="${1:-../shared/data/online_retail.csv.gz}"
if [ ! -f "$file" ]; then
  echo "skipped: $file is absent (the Online Retail data set lives in ../shared/data, outside the repository)"
  exit 0
fi
file="$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
bin="${SIYU_BIN:-build/release/siyu}"
[ -x "$bin" ] || { echo "no $bin: run 'make release' first" >&2; exit 1; }

work="$(mktemp -d)"
pg_bin=""
pg_data=""
cleanup() {
  if [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
value() { sed -n "s/^$1=//p" | tail -1; }
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
# PostgreSQL refuses to run as root: run its programs as the postgres user then.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# --- siyu: the whole command, including start-up and migrations ---------------------------
"$bin" tenant add --data-dir "$work/siyu" --name "Online Retail" --time-zone Europe/London --currency GBP >/dev/null
start="$(now)"
out="$("$bin" import orders "$file" --data-dir "$work/siyu" --tenant-id 1 --no-progress 2>/dev/null)"
siyu_s="$(elapsed "$start" "$(now)")"
siyu_rows="$(echo "$out" | value rows)"
siyu_orders="$(echo "$out" | value orders)"
siyu_refunds="$(echo "$out" | value refunds)"

# --- DuckDB: CREATE TABLE AS SELECT * FROM read_csv_auto(...) into a database file ---------
if [ ! -d bench/ingest/node_modules/@duckdb/node-api ]; then
  (cd bench/ingest && npm ci --no-audit --no-fund --loglevel=error)
fi
duck="$(node bench/ingest/duckdb_load.mjs "$file" "$work/duck.db")"
duck_s="$(echo "$duck" | value seconds)"
duck_rows="$(echo "$duck" | value rows)"

# --- PostgreSQL: a throw-away cluster on a free port, COPY FROM PROGRAM 'zcat ...' ----------
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$pg_bin" ]; then
  echo "installing PostgreSQL (Debian package postgresql)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi
mkdir -p "$work/pg"
cp "$file" "$work/pg/input.csv.gz"
[ "$(id -u)" = 0 ] && chown -R postgres: "$work/pg" && chmod 755 "$work"
pg_data="$work/pg/data"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 >/dev/null
as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg/server.log" -w \
  -o "-p $port -k $work/pg -c listen_addresses=''" start >/dev/null
psql_run() { as_postgres "$pg_bin/psql" -h "$work/pg" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 "$@"; }
psql_run -c "CREATE TABLE order_lines (invoice_no text, stock_code text, description text, quantity integer,
  invoice_date timestamp, unit_price numeric(12,3), customer_id numeric(10,1), country text)"
start="$(now)"
pg_out="$(psql_run -c "COPY order_lines FROM PROGRAM 'zcat $work/pg/input.csv.gz' WITH (FORMAT csv, HEADER true)" \
  -c "SELECT count(*) FROM order_lines")"
pg_s="$(elapsed "$start" "$(now)")"
pg_rows="$(echo "$pg_out" | tail -1)"
as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null
pg_version="$("$pg_bin/postgres" --version | awk '{print $3}')"

# --- report -------------------------------------------------------------------------------
duck_version="$(node -e 'console.log(require("./bench/ingest/node_modules/@duckdb/node-api/package.json").version)')"
echo "siyu $("$bin" version | cut -d' ' -f2), @duckdb/node-api $duck_version, PostgreSQL $pg_version; $(nproc) cores; $(basename "$file")"
row() { awk -v n="$1" -v r="$2" -v s="$3" 'BEGIN { printf "%-34s %9d rows %8.3f s %12.0f rows/s\n", n, r, s, r / s }'; }
row "siyu import orders" "$siyu_rows" "$siyu_s"
row "DuckDB read_csv_auto into a table" "$duck_rows" "$duck_s"
row "PostgreSQL COPY FROM PROGRAM zcat" "$pg_rows" "$pg_s"
awk -v a="$siyu_s" -v d="$duck_s" -v p="$pg_s" \
  'BEGIN { printf "siyu/DuckDB time ratio %.2f, siyu/PostgreSQL time ratio %.2f\n", a / d, a / p }'
echo "siyu stored $siyu_orders orders and $siyu_refunds refunds as events (docs/imports.md explains the counts)."
echo "Not the same work: DuckDB and PostgreSQL copy rows into one table; siyu validates every row,"
echo "groups the rows into orders, resolves each order's customer, stores one event per order and"
echo "keeps the customers' computed attributes current, all in durable (fsync'd) transactions."
