// Loads a CSV file (plain or gzip) into a table of a new DuckDB database file and prints the
// row count and the seconds it took, as name=value lines.
// Usage: node duckdb_load.mjs FILE.csv[.gz] DATABASE_FILE
import { DuckDBInstance } from '@duckdb/node-api';

const [file, database] = process.argv.slice(2);
if (!file || !database) {
  console.error('usage: node duckdb_load.mjs FILE.csv[.gz] DATABASE_FILE');
  process.exit(2);
}
const quoted = `'${file.replaceAll("'", "''")}'`;
const started = performance.now();
const instance = await DuckDBInstance.create(database);
const connection = await instance.connect();
await connection.run(`CREATE TABLE order_lines AS SELECT * FROM read_csv_auto(${quoted})`);
await connection.run('CHECKPOINT');
const seconds = (performance.now() - started) / 1000;
const reader = await connection.runAndReadAll('SELECT count(*) FROM order_lines');
const rows = Number(reader.getRows()[0][0]);
connection.closeSync();
console.log(`rows=${rows}`);
console.log(`seconds=${seconds.toFixed(3)}`);
