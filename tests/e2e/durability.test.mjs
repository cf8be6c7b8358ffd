// Crash safety of the tracking API: every batch answered 200 survives `kill -9` of the server,
// and retrying after the crash stores each message exactly once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, api, listAll, runCli, cliValue, uniq, sleep } from './lib/server.mjs';

const CYCLES = 3;
const SENDERS = 2;
const BATCH = 100;
const USERS = 20;
const SEND_MS = 1500;

describe('durability under kill -9', () => {
  const run = uniq('dur');
  let dataDir;
  let srv;
  let wk;
  let sk;
  /** Every batch ever built: {body, acked}. */
  const batches = [];
  /** Message ids of batches answered 200. */
  const acked = new Set();
  const userIds = Array.from({ length: USERS }, (_, i) => `${run}-user-${i}`);

  const auth = () => ({ authorization: `Basic ${Buffer.from(`${wk}:`).toString('base64')}` });

  function makeBatch(cycle, sender, seq) {
    const batch = [];
    for (let i = 0; i < BATCH; i++) {
      batch.push({
        type: 'track',
        userId: userIds[(seq * BATCH + i + sender) % USERS],
        event: 'Tick',
        messageId: `${run}-${cycle}-${sender}-${seq}-${i}`,
        properties: { cycle, sender, seq, i },
      });
    }
    return { batch };
  }

  async function post(body) {
    return api(srv.baseUrl, 'POST', '/v1/batch', { body, headers: auth() });
  }

  function assertAnswer(res, { stored, duplicates }, what) {
    const ctx = `${what}: ${res.status} ${JSON.stringify(res.body)}`;
    assert.equal(res.status, 200, ctx);
    assert.equal(res.body.success, true, ctx);
    assert.deepEqual(res.body.rejected, [], ctx);
    if (duplicates !== undefined) {
      assert.equal(res.body.duplicates, duplicates, ctx);
      assert.ok(res.body.accepted === stored || res.body.accepted === stored + duplicates, ctx);
    } else {
      const d = res.body.duplicates;
      assert.ok(Number.isInteger(d) && d >= 0 && d <= BATCH, ctx);
      assert.ok(res.body.accepted === BATCH - d || res.body.accepted === BATCH, ctx);
    }
  }

  /** Sends batches until `state.stop`; records the acknowledged ones. */
  async function sender(cycle, id, state) {
    for (let seq = 0; !state.stop; seq++) {
      const entry = { body: makeBatch(cycle, id, seq), acked: false };
      batches.push(entry);
      let res;
      try {
        res = await api(srv.baseUrl, 'POST', '/v1/batch', { body: entry.body, headers: auth() });
      } catch {
        continue;
      }
      if (res.status === 200 && res.body?.success === true) {
        assertAnswer(res, { stored: BATCH, duplicates: 0 }, `batch ${cycle}/${id}/${seq}`);
        entry.acked = true;
        for (const m of entry.body.batch) acked.add(m.messageId);
        state.acked += 1;
      } else {
        state.failed += 1;
      }
    }
  }

  /** Every stored message id of the test users, through the customer timelines. */
  async function storedIds() {
    const ids = [];
    for (const u of userIds) {
      const r = await api(srv.baseUrl, 'GET', `/api/v1/customers/lookup?type=user_id&value=${encodeURIComponent(u)}`, { token: sk });
      if (r.status === 404) continue;
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const ev = await listAll(srv.baseUrl, `/api/v1/customers/${r.body.id}/events`, { token: sk });
      for (const e of ev) {
        assert.equal(e.event, 'Tick');
        ids.push(e.message_id);
      }
    }
    return ids;
  }

  /** The in-memory engine's count of Tick events and their customers (last 30 days). */
  async function engineTicks() {
    const r = await api(srv.baseUrl, 'GET', '/api/v1/analytics/events', { token: sk });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const row = r.body.data.find((x) => x.event === 'Tick');
    return row ? { events: row.events, customers: row.customers } : { events: 0, customers: 0 };
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-durability-'));
    srv = await startServer({ dataDir });
    const w = runCli(['apikey', 'create', '--tenant-id', '1', '--name', 'durability-write', '--kind', 'write'], dataDir);
    assert.equal(w.code, 0, w.stderr);
    wk = cliValue(w.stdout, 'key');
    const s = runCli(['apikey', 'create', '--tenant-id', '1', '--name', 'durability-read', '--kind', 'secret'], dataDir);
    assert.equal(s.code, 0, s.stderr);
    sk = cliValue(s.stdout, 'key');
    assert.match(wk, /^wk_/);
    assert.match(sk, /^sk_/);
  });

  after(async () => {
    if (srv) await srv.stop().catch(() => {});
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    test(`cycle ${cycle}: acknowledged batches survive kill -9 and are stored exactly once`, async () => {
      const state = { stop: false, acked: 0, failed: 0 };
      const from = batches.length;
      const loops = Array.from({ length: SENDERS }, (_, i) => sender(cycle, i, state));
      await sleep(SEND_MS);
      srv.proc.kill('SIGKILL');
      state.stop = true;
      const exit = await srv.exited;
      assert.equal(exit.signal, 'SIGKILL');
      const senders = await Promise.allSettled(loops);
      assert.ok(fs.existsSync(dataDir), 'the data directory vanished');
      srv = await startServer({ dataDir });
      for (const r of senders) if (r.status === 'rejected') throw r.reason;
      assert.ok(state.acked > 0, `no batch was acknowledged before the kill (${state.failed} failed)`);
      const h = await api(srv.baseUrl, 'GET', '/healthz');
      assert.equal(h.status, 200);

      const ids = await storedIds();
      const unique = new Set(ids);
      assert.equal(unique.size, ids.length, `${ids.length - unique.size} events are stored twice`);
      const missing = [...acked].filter((id) => !unique.has(id));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged events were lost`);
      const generated = new Set(batches.flatMap((b) => b.body.batch.map((m) => m.messageId)));
      for (const id of unique) assert.ok(generated.has(id), `unknown event ${id}`);
      const rebuilt = await engineTicks();
      assert.equal(rebuilt.events, unique.size, 'the engine rebuilt at start-up counts what the database holds');
      assert.equal(rebuilt.customers, USERS);

      for (const b of batches.slice(from)) {
        if (b.acked) {
          assertAnswer(await post(b.body), { stored: 0, duplicates: BATCH }, 're-sent acknowledged batch');
        } else {
          assertAnswer(await post(b.body), {}, 're-sent unacknowledged batch');
          b.acked = true;
          for (const m of b.body.batch) acked.add(m.messageId);
        }
      }

      const after = await storedIds();
      assert.equal(after.length, new Set(after).size, 'an event is stored twice after the retries');
      assert.equal(after.length, generated.size, 'after retrying every batch each message is stored exactly once');
      assert.deepEqual(new Set(after), generated);
      assert.deepEqual(await engineTicks(), { events: generated.size, customers: USERS });
    });
  }
});
