// Loads a `siyu gen` data set into native tables of a DuckDB database (in memory unless a file
// is given) and runs the query set: one warm-up, then RUNS timed runs of each query. Prints JSON lines: first
// {"engine":"duckdb","load_s":..,"memory_bytes":..}, then one per query with its count and the
// median, min and max milliseconds.
// Usage: node duckdb_run.mjs DATA_DIR THREADS RUNS [DATABASE_FILE]
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { queriesFor, readNow } from './sql.mjs';

const [dir, threadsArg, runsArg, database = ':memory:'] = process.argv.slice(2);
if (!dir || !threadsArg || !runsArg) {
  console.error('usage: node duckdb_run.mjs DATA_DIR THREADS RUNS [DATABASE_FILE]');
  process.exit(2);
}
const threads = Number(threadsArg);
const runs = Number(runsArg);

const tables = {
  stores: { id: 'BIGINT', parent_id: 'BIGINT', kind: 'VARCHAR', name: 'VARCHAR', city: 'VARCHAR' },
  tags: { id: 'BIGINT', group: 'VARCHAR', name: 'VARCHAR' },
  customers: {
    id: 'BIGINT',
    created_at: 'BIGINT',
    store_id: 'BIGINT',
    gender: 'VARCHAR',
    birthday: 'VARCHAR',
    city: 'VARCHAR',
    member_level: 'VARCHAR',
    has_phone: 'INTEGER',
    has_wecom: 'INTEGER',
  },
  customer_tags: { customer_id: 'BIGINT', tag_id: 'BIGINT' },
  events: {
    customer_id: 'BIGINT',
    ts: 'BIGINT',
    name: 'VARCHAR',
    category: 'VARCHAR',
    product_id: 'INTEGER',
    revenue: 'BIGINT',
  },
};

const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(database, { threads: String(threads) });
const connection = await instance.connect();

const loadStarted = performance.now();
for (const [table, columns] of Object.entries(tables)) {
  const spec = Object.entries(columns)
    .map(([name, type]) => `${quote(name)}: ${quote(type)}`)
    .join(', ');
  await connection.run(
    `CREATE TABLE ${table} AS SELECT * FROM read_csv(${quote(join(dir, `${table}.csv`))}, header = true, ` +
      `delim = ',', quote = '', escape = '', columns = {${spec}})`,
  );
}
const loadSeconds = (performance.now() - loadStarted) / 1000;
const memory = await connection.runAndReadAll('SELECT sum(memory_usage_bytes) FROM duckdb_memory()');
console.log(
  JSON.stringify({ engine: 'duckdb', threads, load_s: +loadSeconds.toFixed(3), memory_bytes: Number(memory.getRows()[0][0]) }),
);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (const q of queriesFor('duckdb', readNow(join(dir, 'meta.json')))) {
  const times = [];
  let count = null;
  for (let i = 0; i <= runs; ++i) {
    const started = performance.now();
    const reader = await connection.runAndReadAll(q.sql);
    const ms = performance.now() - started;
    count = Number(reader.getRows()[0][0]);
    if (i > 0) times.push(ms);
  }
  const round = (x) => +x.toFixed(3);
  console.log(
    JSON.stringify({
      engine: 'duckdb',
      query: q.name,
      count,
      median_ms: round(median(times)),
      min_ms: round(Math.min(...times)),
      max_ms: round(Math.max(...times)),
    }),
  );
}
connection.closeSync();
