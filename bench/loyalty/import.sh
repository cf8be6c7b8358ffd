#!/usr/bin/env bash
# Member import benchmark: `siyu import customers` of a deterministic member file with balances
# (phone, member_no, name, registered_at, store, tier, points, stored_value) into a fresh data
# directory holding one tenant, its 20 stores and 4 tiers. Every row becomes a customer and a
# member with its tier, an opening points balance (an entry and a lot) and, for four in five, an
# opening stored value. Then imports the same file again (it must change nothing) and checks
# the totals against the file.
#
# Usage: bench/loyalty/import.sh [rows] [batch-size]      (default: 1000000, the importer's default)
# Environment:
#   SIYU_BIN          the siyu binary (default build/release/siyu)
#   SIYU_BENCH_DATA   where the generated file is kept and reused (default build/bench-loyalty)
set -euo pipefail
cd "$(dirname "$0")/../.."
rows="${1:-1000000}"
batch="${2:-}"
bin="${SIYU_BIN:-build/release/siyu}"
[ -x "$bin" ] || { echo "no $bin: run 'make release' first" >&2; exit 1; }
note() { echo "loyalty import: $*" >&2; }

data_root="${SIYU_BENCH_DATA:-build/bench-loyalty}"
mkdir -p "$data_root"
file="$data_root/members-$rows.csv"
if [ ! -s "$file" ]; then
  note "generating $file"
  python3 bench/loyalty/gen_members.py "$rows" "$file.partial"
  mv "$file.partial" "$file"
fi

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$bin" tenant add --data-dir "$dir" --name bench --time-zone Asia/Shanghai --currency CNY >/dev/null
# Stores and tiers as the console would create them.
sqlite3 "$dir/siyu.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
INSERT INTO stores(tenant_id, kind, code, name, created_at, updated_at)
  SELECT 1, 'store', printf('S%03d', i), printf('门店 %d', i), 0, 0 FROM n;
INSERT INTO tiers(tenant_id, name, level, threshold, created_at, updated_at) VALUES
  (1, '普卡', 0, 0, 0, 0), (1, '银卡', 1, 1000, 0, 0), (1, '金卡', 2, 5000, 0, 0), (1, '钻石卡', 3, 20000, 0, 0);
SQL

args=(import customers "$file" --data-dir "$dir" --no-progress)
[ -n "$batch" ] && args+=(--batch-size "$batch")
run() {
  local started ended
  started="$(date +%s.%N)"
  "$bin" "${args[@]}" >"$dir/out.txt"
  ended="$(date +%s.%N)"
  tr '\n' ' ' <"$dir/out.txt"
  echo
  awk -v a="$started" -v b="$ended" -v n="$rows" \
    'BEGIN { printf "wall %.1f s, %.0f rows/s\n", b - a, n / (b - a) }'
}
note "first import of $rows members${batch:+ (batch size $batch)}"
run
note "importing the same file again"
run
note "totals"
sqlite3 "$dir/siyu.db" "SELECT 'members=' || count(*) || ' points=' || sum(points) || ' stored_value=' ||
  sum(sv_principal) || ' tiered=' || count(tier_id) FROM members;
  SELECT 'points_entries=' || count(*) FROM points_entries; SELECT 'points_lots=' || count(*) FROM points_lots;
  SELECT 'stored_value_entries=' || count(*) FROM stored_value_entries;
  SELECT 'tier_history=' || count(*) FROM tier_history;" | tr '\n' ' '
echo
awk -F, 'NR > 1 { p += $7; split($8, a, "."); s += a[1] * 100 + a[2] }
  END { printf "file: points=%.0f stored_value=%.0f\n", p, s }' "$file"
du -sh "$dir" | awk '{ print "data directory " $1 }'
