// Prints the segment benchmark's table from the JSON lines of each engine: per query the
// customer counts (which must agree), the median milliseconds, the ratios to siyu and the
// check against the targets. Exits 1 when the counts disagree.
// Usage: node report.mjs RESULTS_DIR   (reads siyu.jsonl, duckdb.jsonl, postgres.jsonl there)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readQuerySet } from './sql.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node report.mjs RESULTS_DIR');
  process.exit(2);
}
const engines = ['siyu', 'duckdb', 'postgres'].filter((e) => existsSync(join(dir, `${e}.jsonl`)));
const lines = Object.fromEntries(
  engines.map((e) => [
    e,
    readFileSync(join(dir, `${e}.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l)),
  ]),
);
const byQuery = (e, name) => lines[e].find((l) => l.query === name);
const other = (e, key) => lines[e]?.find((l) => l[key] !== undefined);

const kDuckRatio = 3;
const kPgRatio = 30;
const mb = (b) => `${(b / 1048576).toFixed(0)} MiB`;
const ms = (x) => (x === undefined ? '-' : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0));
const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / Math.max(b, 0.001));
const fmtRatio = (r) => (r === undefined ? '-' : r >= 100 ? `${r.toFixed(0)}x` : `${r.toFixed(1)}x`);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

// Load and memory.
for (const e of engines) {
  const l = other(e, 'load_s');
  if (!l) continue;
  const parts = [`${e}: loaded in ${l.load_s} s`];
  if (e === 'siyu') {
    parts.push(
      `${l.customers.toLocaleString('en')} customers, ${l.events.toLocaleString('en')} events`,
      `engine memory ${mb(l.memory_bytes)} (event store ${mb(l.event_store_bytes)} + segment engine ${mb(l.segment_engine_bytes)})`,
      `process RSS ${mb(l.rss_bytes)}`,
      `${l.threads} threads`,
    );
  } else if (e === 'duckdb') {
    parts.push(`memory ${mb(l.memory_bytes)}`, `${l.threads} threads`);
  } else {
    parts.push(`indexes ${l.index_s} s`, `tables and indexes ${mb(l.disk_bytes)}`, `${l.threads} processes per query`);
  }
  console.log(parts.join(', '));
}
console.log('');

const header =
  pad('query', 22) +
  pad('kind', 10) +
  lpad('customers', 11) +
  '  ' +
  engines.map((e) => lpad(`${e} ms`, 12)).join('') +
  (engines.includes('duckdb') && engines.includes('siyu') ? lpad('duck/siyu', 11) : '') +
  (engines.includes('postgres') && engines.includes('siyu') ? lpad('pg/siyu', 10) : '') +
  '  target';
console.log(header);
console.log('-'.repeat(header.length + 24));

let failed = false;
let missed = 0;
for (const q of readQuerySet().queries) {
  const rows = Object.fromEntries(engines.map((e) => [e, byQuery(e, q.name)]));
  const counts = engines.map((e) => rows[e]?.count);
  const agree = counts.every((c) => c !== undefined && c !== null && c === counts[0]);
  if (!agree) failed = true;
  const siyu = rows.siyu?.median_ms;
  const duck = ratio(rows.duckdb?.median_ms, siyu);
  const pg = ratio(rows.postgres?.median_ms, siyu);
  let target = '';
  if (siyu !== undefined) {
    const misses = [];
    if (siyu > q.target_ms) misses.push(`> ${q.target_ms} ms`);
    if (duck !== undefined && duck < kDuckRatio) misses.push(`duck < ${kDuckRatio}x`);
    if (pg !== undefined && pg < kPgRatio) misses.push(`pg < ${kPgRatio}x`);
    target = misses.length ? `MISS (${misses.join(', ')})` : `ok (<= ${q.target_ms} ms)`;
    if (misses.length) ++missed;
  }
  console.log(
    pad(q.name, 22) +
      pad(q.kind, 10) +
      lpad(agree ? counts[0].toLocaleString('en') : 'MISMATCH', 11) +
      '  ' +
      engines.map((e) => lpad(ms(rows[e]?.median_ms), 12)).join('') +
      (engines.includes('duckdb') && engines.includes('siyu') ? lpad(fmtRatio(duck), 11) : '') +
      (engines.includes('postgres') && engines.includes('siyu') ? lpad(fmtRatio(pg), 10) : '') +
      '  ' +
      target,
  );
  if (!agree) {
    console.log(`  FAIL: ${q.name} counts differ: ${engines.map((e, i) => `${e}=${counts[i]}`).join(' ')}`);
  }
}
console.log('');

const inc = other('siyu', 'incremental');
if (inc) {
  const ok = inc.update_p99_ms <= 5;
  console.log(
    `incremental: ${inc.updates} events, each appended then Touch with ${inc.active_segments} active segments ` +
      `(saved in ${inc.put_active_s} s): append+touch p50 ${ms(inc.update_p50_ms)} ms, ` +
      `p99 ${ms(inc.update_p99_ms)} ms, max ${ms(inc.update_max_ms)} ms; touch alone p99 ${ms(inc.touch_p99_ms)} ms; ` +
      `${inc.membership_changes} membership changes; ${ok ? 'ok (p99 <= 5 ms)' : 'MISS (p99 > 5 ms)'}`,
  );
  console.log(`segment engine memory with the active segments: ${mb(inc.segment_engine_bytes)}`);
}
const verify = other('siyu', 'verify');
if (verify) {
  if (verify.mismatches === 0) {
    console.log(`verify: the ${verify.segments} active segments' maintained sizes equal a fresh evaluation of their rules`);
  } else {
    failed = true;
    console.log(
      `FAIL verify: ${verify.mismatches} of ${verify.segments} active segments differ from a fresh evaluation; ` +
        `first: ${JSON.stringify(verify.first_mismatch)}`,
    );
  }
}
if (engines.includes('siyu')) console.log(`targets missed: ${missed} queries (the targets are set for the large size)`);
if (failed) {
  console.log('FAIL: the engines disagree');
  process.exit(1);
}
