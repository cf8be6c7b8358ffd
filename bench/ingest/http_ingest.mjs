// HTTP ingest benchmark: POST /v1/batch with pre-built batches of Segment messages (unique
// messageIds, users spread over many customers), keep-alive, a few requests in flight.
// Prints durable events/s (answers come after commit) and batch latency percentiles.
// Usage: node http_ingest.mjs BASE_URL WRITE_KEY [events=100000] [batch=250] [concurrency=6]
const [baseUrl, writeKey, eventsArg, batchArg, concurrencyArg] = process.argv.slice(2);
if (!baseUrl || !writeKey) {
  console.error('usage: node http_ingest.mjs BASE_URL WRITE_KEY [events] [batch] [concurrency]');
  process.exit(2);
}
const total = Number(eventsArg ?? 100000);
const batchSize = Number(batchArg ?? 250);
const concurrency = Number(concurrencyArg ?? 6);
const users = 20000;
const names = ['Product Viewed', 'Product Added', 'Products Searched', 'Order Completed', 'Page'];
const auth = 'Basic ' + Buffer.from(`${writeKey}:`).toString('base64');
const run = Date.now().toString(36);

const bodies = [];
for (let start = 0; start < total; start += batchSize) {
  const batch = [];
  for (let i = start; i < Math.min(total, start + batchSize); i++) {
    const name = names[i % names.length];
    const props = name === 'Order Completed'
      ? { order_id: `o-${run}-${i}`, revenue: 199.9, currency: 'CNY', products: [{ product_id: 'p1', price: 199.9, quantity: 1 }] }
      : { product_id: `p${i % 500}`, category: '护肤' };
    batch.push({ type: 'track', userId: `bench-${i % users}`, event: name, properties: props,
                 messageId: `${run}-${i}`, timestamp: new Date().toISOString() });
  }
  bodies.push(JSON.stringify({ batch }));
}

const latencies = [];
let next = 0;
let accepted = 0;
async function worker() {
  while (next < bodies.length) {
    const body = bodies[next++];
    const t0 = performance.now();
    const res = await fetch(`${baseUrl}/v1/batch`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body,
    });
    const json = await res.json();
    latencies.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${JSON.stringify(json)}`);
    accepted += json.accepted;
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(1);
console.log(`ingest: ${accepted} events in ${bodies.length} batches of ${batchSize}, ${concurrency} in flight: ` +
  `${Math.round(accepted / seconds)} durable events/s, batch latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);
