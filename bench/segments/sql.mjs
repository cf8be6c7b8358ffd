// The query set of queries.json as SQL for one dialect, with the data set's fixed now put in
// for {now} and {now-Nd}. As a program it prints one query a line: name, a tab, the SQL.
// Usage: node sql.mjs duckdb|postgres META_JSON
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const kDayMs = 86_400_000;
const here = new URL('.', import.meta.url);

export function readQuerySet() {
  return JSON.parse(readFileSync(new URL('queries.json', here), 'utf8'));
}

export function readNow(metaPath) {
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  if (!Number.isSafeInteger(meta.now_ms)) throw new Error(`${metaPath}: no now_ms`);
  return meta.now_ms;
}

function substitute(sql, nowMs) {
  return sql.replace(/\{now(?:-(\d+)d)?\}/g, (_, days) => String(nowMs - (days ? Number(days) * kDayMs : 0)));
}

// [{name, kind, target_ms, sql}] for `dialect` ('duckdb' or 'postgres').
export function queriesFor(dialect, nowMs) {
  return readQuerySet().queries.map((q) => ({
    name: q.name,
    kind: q.kind,
    target_ms: q.target_ms,
    sql: substitute(q[dialect] ?? q.sql, nowMs),
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dialect, metaPath] = process.argv.slice(2);
  if (!['duckdb', 'postgres'].includes(dialect) || !metaPath) {
    console.error('usage: node sql.mjs duckdb|postgres META_JSON');
    process.exit(2);
  }
  for (const q of queriesFor(dialect, readNow(metaPath))) console.log(`${q.name}\t${q.sql}`);
}
