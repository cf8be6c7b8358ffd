// Loyalty under `kill -9`: clients earn, redeem for cash, hold and settle, complete and refund
// orders, exchange mall items, take coupons and race for the same coupon codes, every
// value-moving request with its own Idempotency-Key. The server is killed with SIGKILL at
// random moments and restarted on the same data directory; every request that got no answer
// is retried with its key. Afterwards `siyu loyalty verify` is clean, every acknowledged
// operation is in the ledger exactly once, nothing unacknowledged was applied behind the
// client's back, and retrying an acknowledged request returns its original answer with
// `Idempotent-Replayed: true`.
//
// The mix and the kill moments come from a seeded generator; the seed is printed and
// `SIYU_TEST_SEED=<n>` runs the same schedule again.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, loginOk, api, expectOk, listAll, runCli, sleep, CREATED } from './lib/server.mjs';

const SEED = Number(process.env.SIYU_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = 5;
const CLIENTS = 16;
const KILL_AFTER_MS = [1000, 3500]; // the load runs this long (seeded) before SIGKILL
const MEMBERS = 12;
const RACE_CODES = 36;
const RACERS = 3;
const MALL_STOCK = 40;
const LIMITED_STOCK = 30;
const INITIAL_POINTS = 5000;
const REPLAY_SAMPLE = 150;

/** mulberry32: a small seeded generator of floats in [0, 1). */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const between = (rng, lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
const pickOne = (rng, list) => list[Math.floor(rng() * list.length)];

describe('loyalty under kill -9', () => {
  const run = `crash-${SEED}`;
  let dataDir;
  let srv;
  let admin;
  let owner;
  const members = [];
  let mallItem;
  let limited;
  const raceCodes = [];
  /** Every value-moving request ever built, in order. */
  const requests = [];
  const unexpected = [];
  const stats = { rounds: 0, unanswered: 0, appliedBeforeKill: 0, appliedOnRetry: 0, refusedOnRetry: 0 };
  const refundRaces = []; // [request, request]
  const holdRaces = []; // [capture, release]
  const codeRaces = new Map(); // code -> [request]
  let seq = 0;
  let inFlight = 0;

  const call = (method, p, body, headers) => api(srv.baseUrl, method, p, { ...owner, body, headers });
  const post = (p, body) => call('POST', p, body);

  /** Refusals that change nothing and are not retried: [status, error code]. */
  const REFUSALS = {
    earn: [],
    redeem: [[409, 'failed_precondition']],
    hold: [[409, 'failed_precondition']],
    settle: [[409, 'failed_precondition']],
    order: [],
    refund: [[400, 'invalid_argument']],
    exchange: [[409, 'failed_precondition']],
    issue: [[409, 'failed_precondition']],
    coupon: [[409, 'failed_precondition']],
    topup: [],
    spend: [[409, 'failed_precondition']],
  };

  /** A value-moving request with a key of its own; `info` is what the checks need later. */
  function request(kind, p, body, info = {}) {
    const r = { n: seq++, kind, key: `${run}-${kind}-${seq}`, path: p, body, info, state: 'new', status: 0, answer: null };
    requests.push(r);
    return r;
  }

  /** Sends `r`; answers 'acked', 'refused' or 'unanswered' (no answer: the server went away). */
  async function send(r, what = 'sent') {
    let res;
    inFlight += 1;
    try {
      res = await call('POST', r.path, r.body, { 'Idempotency-Key': r.key });
    } catch {
      r.state = 'unanswered';
      return r.state;
    } finally {
      inFlight -= 1;
    }
    if (res.status >= 200 && res.status < 300) {
      r.state = 'acked';
      r.status = res.status;
      r.answer = res.body;
      r.replayed = res.headers.get('idempotent-replayed') === 'true';
      if (r.replayed && what === 'sent') unexpected.push(`${r.kind} ${r.key}: a new key was answered as a replay`);
      return r.state;
    }
    const code = res.body?.error?.code;
    const keyRefused = res.body?.error?.field === 'Idempotency-Key';
    if (!keyRefused && REFUSALS[r.kind].some(([s, c]) => s === res.status && c === code)) {
      r.state = 'refused';
      r.status = res.status;
      r.answer = res.body;
      return r.state;
    }
    r.state = 'failed';
    unexpected.push(`${r.kind} ${r.key} ${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return r.state;
  }

  async function restart() {
    srv = await startServer({
      dataDir,
      env: { SIYU_ADMIN_EMAIL: admin.email, SIYU_ADMIN_PASSWORD: admin.password },
    });
    owner = { cookie: await loginOk(srv.baseUrl, admin.email, admin.password) };
  }

  function verifyCli(when) {
    const cli = runCli(['loyalty', 'verify', '--tenant', '1', '--json'], dataDir);
    assert.equal(cli.code, 0, `siyu loyalty verify ${when}: ${cli.stdout}${cli.stderr}`);
    const report = JSON.parse(cli.stdout);
    assert.deepEqual(report.problems, [], when);
    assert.equal(report.clean, true);
    return report;
  }

  before(async () => {
    console.log(`loyalty crash seed=${SEED} (rerun with SIYU_TEST_SEED=${SEED})`);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-loyalty-crash-'));
    srv = await startServer({ dataDir });
    admin = { email: srv.adminEmail, password: srv.adminPassword };
    owner = { cookie: await loginOk(srv.baseUrl, admin.email, admin.password) };
    expectOk(await post('/api/v1/loyalty/tiers', { name: '普卡', level: 0, threshold: 0 }), CREATED);
    expectOk(await post('/api/v1/loyalty/tiers', { name: '银卡', level: 1, threshold: 8000, multiplier: 120 }), CREATED);
    expectOk(await post('/api/v1/loyalty/earning-rules', { name: '每消费1元得1积分', kind: 'spend', config: { points: 1 } }), CREATED);
    for (let i = 0; i < MEMBERS; i++) {
      const c = expectOk(await post('/api/v1/customers', { name: `崩溃会员${i}` }), CREATED);
      expectOk(await post('/api/v1/loyalty/members', { customer_id: c.id, channel: 'store' }), CREATED);
      members.push({ id: c.id });
      const r = request('earn', `/api/v1/loyalty/members/${c.id}/points/earn`, { points: INITIAL_POINTS, reason: '开卡礼' }, { member: c.id });
      assert.equal(await send(r), 'acked');
    }
    const ids = members.map((m) => m.id);
    const race = expectOk(
      await post('/api/v1/loyalty/coupon-templates', {
        name: '立减10元',
        type: 'cash_off',
        amount: 1000,
        validity: { type: 'relative', days: 30 },
        total_stock: RACE_CODES,
      }),
      CREATED,
    );
    for (let round = 0; round < RACE_CODES / MEMBERS; round++) {
      const issued = expectOk(await post(`/api/v1/loyalty/coupon-templates/${race.id}/issue`, { customer_ids: ids }), CREATED);
      raceCodes.push(...issued.issued.map((c) => c.code));
    }
    assert.equal(new Set(raceCodes).size, RACE_CODES);
    limited = expectOk(
      await post('/api/v1/loyalty/coupon-templates', {
        name: '满100减20',
        type: 'threshold',
        amount: 2000,
        min_order_amount: 10000,
        validity: { type: 'relative', days: 7 },
        total_stock: LIMITED_STOCK,
      }),
      CREATED,
    );
    mallItem = expectOk(
      await post('/api/v1/loyalty/mall/items', { name: '限量帆布袋', kind: 'gift', points_price: 300, stock: MALL_STOCK }),
      CREATED,
    );
  });

  after(async () => {
    if (srv) await srv.stop().catch(() => {});
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // --- one operation each; chains stop at the first request without an answer --------------

  const member = (rng) => pickOne(rng, members).id;
  const operations = [
    [20, async (rng) => {
      const id = member(rng);
      const points = between(rng, 1, 300);
      await send(request('earn', `/api/v1/loyalty/members/${id}/points/earn`, { points, reason: '活动奖励' }, { member: id }));
    }],
    [15, async (rng, n) => {
      const id = member(rng);
      const points = 100 * between(rng, 1, 3);
      const body = { points, order_id: `cash-${n}`, order_amount: 100000 };
      await send(request('redeem', `/api/v1/loyalty/members/${id}/points/redeem`, body, { member: id }));
    }],
    [12, async (rng, n) => {
      const id = member(rng);
      const body = { points: between(rng, 50, 200), order_id: `hold-${n}` };
      const h = request('hold', `/api/v1/loyalty/members/${id}/points/holds`, body, { member: id });
      if ((await send(h)) !== 'acked') return;
      const settle = (how) =>
        request('settle', `/api/v1/loyalty/points/holds/${h.answer.hold.id}/${how}`, {}, { member: id, how });
      const mode = rng();
      if (mode < 0.4) await send(settle('capture'));
      else if (mode < 0.8) await send(settle('release'));
      else {
        const pair = [settle('capture'), settle('release')];
        holdRaces.push(pair);
        await Promise.all(pair.map((r) => send(r)));
      }
    }],
    [15, async (rng, n) => {
      const id = member(rng);
      const orderId = `order-${n}`;
      const amount = 1000 * between(rng, 5, 60);
      const o = request('order', '/api/v1/loyalty/orders', { customer_id: id, order_id: orderId, amount }, { member: id, orderId });
      if ((await send(o)) !== 'acked') return;
      if (rng() < 0.3) {
        const body = { points: 100 * between(rng, 1, 2), order_id: orderId, order_amount: amount };
        if ((await send(request('redeem', `/api/v1/loyalty/members/${id}/points/redeem`, body, { member: id }))) === 'unanswered') return;
      }
      if (rng() < 0.4) return;
      const part = Math.floor((amount * 3) / 5);
      const refund = (rid, a) =>
        request('refund', `/api/v1/loyalty/orders/${orderId}/refund`, { amount: a, refund_id: rid }, { member: id, orderId });
      const pair = [refund('r1', part), refund('r2', part)];
      refundRaces.push(pair);
      await Promise.all(pair.map((r) => send(r)));
    }],
    [12, async (rng) => {
      const id = member(rng);
      await send(request('exchange', `/api/v1/loyalty/mall/items/${mallItem.id}/exchange`, { customer_id: id }, { member: id }));
    }],
    [6, async (rng) => {
      const id = member(rng);
      await send(request('issue', `/api/v1/loyalty/coupon-templates/${limited.id}/issue`, { customer_id: id }, { member: id }));
    }],
    [7, async (rng, n) => {
      const id = member(rng);
      const body = { amount: 100 * between(rng, 10, 500), payment_ref: `pay-${n}` };
      await send(request('topup', `/api/v1/loyalty/members/${id}/stored-value/topup`, body, { member: id }));
    }],
    [7, async (rng, n) => {
      const id = member(rng);
      const body = { amount: 100 * between(rng, 1, 100), order_id: `sv-${n}` };
      await send(request('spend', `/api/v1/loyalty/members/${id}/stored-value/spend`, body, { member: id }));
    }],
    [5, async (rng, n) => {
      const code = raceCodes.pop();
      if (!code) return;
      const racers = Array.from({ length: RACERS }, (_, k) =>
        request('coupon', '/api/v1/loyalty/coupons/redeem', { code, order_id: `coupon-${n}-${k}`, order_amount: 20000 }, { code }),
      );
      codeRaces.set(code, racers);
      await Promise.all(racers.map((r) => send(r)));
    }],
  ];
  const totalWeight = operations.reduce((s, [w]) => s + w, 0);

  /** Retries every request without an answer, one at a time, with its own key. */
  async function retryUnanswered() {
    for (const r of requests.filter((x) => x.state === 'unanswered')) {
      const state = await send(r, 'retried');
      assert.notEqual(state, 'unanswered', `${r.kind} ${r.key}: no answer on retry`);
      if (state === 'acked' && r.replayed) stats.appliedBeforeKill += 1;
      else if (state === 'acked') stats.appliedOnRetry += 1;
      else if (state === 'refused') stats.refusedOnRetry += 1;
    }
  }

  for (let round = 1; round <= KILLS; round++) {
    test(`round ${round}: load, kill -9, restart, the ledger reconciles, retries apply once`, async () => {
      const rng = generator(SEED + round * 104729);
      const killAfter = between(rng, KILL_AFTER_MS[0], KILL_AFTER_MS[1]);
      const state = { stop: false };
      async function client(c) {
        const own = generator(SEED + round * 1000 + c * 7919);
        while (!state.stop) {
          let x = own() * totalWeight;
          const [, fn] = operations.find(([w]) => (x -= w) < 0) ?? operations[0];
          try {
            await fn(own, `${round}-${c}-${seq}`);
          } catch (err) {
            unexpected.push(`client ${c}: ${err.message}`);
          }
        }
      }
      const before = requests.length;
      const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
      await sleep(killAfter);
      assert.equal(srv.proc.exitCode, null, `the server died on its own:\n${srv.stderrTail()}`);
      state.stop = true;
      const flying = inFlight;
      srv.proc.kill('SIGKILL');
      const exit = await srv.exited;
      await Promise.all(clients);
      assert.equal(exit.signal, 'SIGKILL');
      const unanswered = requests.filter((r) => r.state === 'unanswered').length;
      stats.unanswered += unanswered;
      stats.rounds += 1;
      await restart();
      // What the server committed before it died reconciles, before any retry.
      verifyCli(`after kill ${round}`);
      await retryUnanswered();
      verifyCli(`after the retries of round ${round}`);
      console.log(
        `round ${round}: killed after ${killAfter} ms with ${flying} requests in flight; ` +
          `${requests.length - before} requests, ${unanswered} without an answer`,
      );
      assert.deepEqual(unexpected.slice(0, 20), [], `${unexpected.length} unexpected answers`);
    });
  }

  test('the kills hit requests in flight', () => {
    const by = (s) => requests.filter((r) => r.state === s).length;
    console.log(`requests: ${requests.length} (${by('acked')} acknowledged, ${by('refused')} refused); ${JSON.stringify(stats)}`);
    assert.equal(stats.rounds, KILLS);
    assert.ok(stats.unanswered > 0, 'no request was in flight at any kill');
    assert.equal(requests.filter((r) => !['acked', 'refused'].includes(r.state)).length, 0);
  });

  test('every acknowledged points operation is in the ledger exactly once; nothing else is', async () => {
    const acked = requests.filter((r) => r.state === 'acked');
    const byKey = new Map(requests.map((r) => [r.key, r]));
    for (const m of members) {
      const who = `member ${m.id}`;
      const card = expectOk(await call('GET', `/api/v1/loyalty/members/${m.id}`));
      const entries = await listAll(srv.baseUrl, `/api/v1/loyalty/members/${m.id}/points/entries`, owner);
      const sum = (f) => entries.reduce((s, e) => s + e[f], 0);
      assert.equal(card.points, sum('amount'), `${who}: points`);
      assert.equal(card.points_held, sum('held_delta'), `${who}: held`);
      assert.equal(card.points_debt, sum('debt_delta'), `${who}: debt`);
      const keyed = new Map();
      for (const e of entries.filter((x) => x.idempotency_key !== null)) {
        const r = byKey.get(e.idempotency_key);
        assert.ok(r, `${who}: entry ${e.id} carries an unknown key ${e.idempotency_key}`);
        assert.equal(r.state, 'acked', `${who}: entry ${e.id} applied ${r.kind} ${r.key}, which was ${r.state}`);
        assert.ok(!keyed.has(e.idempotency_key), `${who}: ${r.kind} ${e.idempotency_key} applied twice`);
        keyed.set(e.idempotency_key, e);
      }
      const mine = acked.filter((r) => r.info.member === m.id);
      for (const r of mine.filter((x) => ['earn', 'redeem', 'hold', 'settle', 'exchange'].includes(x.kind))) {
        const e = keyed.get(r.key);
        assert.ok(e, `${who}: acknowledged ${r.kind} ${r.key} is missing from the ledger`);
        assert.equal(e.id, r.answer.entry_id ?? e.id, `${who}: ${r.kind} ${r.key} entry`);
        if (r.kind === 'earn') assert.deepEqual([e.type, e.amount - e.debt_delta], ['earn', r.body.points]);
        if (r.kind === 'redeem') assert.deepEqual([e.type, e.amount], ['redeem', -r.body.points]);
        if (r.kind === 'hold') assert.deepEqual([e.type, e.held_delta], ['hold', r.body.points]);
        if (r.kind === 'settle') assert.equal(e.type, r.info.how === 'capture' ? 'redeem' : 'release');
        if (r.kind === 'exchange') assert.deepEqual([e.type, e.source_id, e.amount], ['redeem', String(r.answer.id), -r.answer.points]);
      }
      // Orders and refunds: the order id is their key in the ledger.
      for (const r of mine.filter((x) => x.kind === 'order')) {
        const earned = entries.filter((e) => e.type === 'earn' && e.source_type === 'order' && e.source_id === r.info.orderId);
        const ids = (list) => [...list].sort((a, b) => a - b);
        assert.deepEqual(ids(earned.map((e) => e.id)), ids(r.answer.entry_ids), `${who}: ${r.info.orderId}`);
        const refunds = mine.filter((x) => x.kind === 'refund' && x.info.orderId === r.info.orderId);
        const reversed = entries
          .filter((e) => e.source_type === 'refund' && e.source_id === r.info.orderId)
          .reduce((s, e) => s - e.amount + e.debt_delta, 0);
        assert.equal(reversed, refunds.reduce((s, x) => s + x.answer.reversed, 0), `${who}: reversed on ${r.info.orderId}`);
      }
    }
    for (const pair of [...refundRaces, ...holdRaces]) {
      const won = pair.filter((r) => r.state === 'acked');
      assert.equal(won.length, 1, `${pair.map((r) => `${r.key}:${r.state}`).join(', ')}: exactly one may succeed`);
    }
  });

  test('every acknowledged top-up and stored value payment is there exactly once; nothing else is', async () => {
    for (const m of members) {
      const who = `member ${m.id}`;
      const card = expectOk(await call('GET', `/api/v1/loyalty/members/${m.id}`));
      const entries = await listAll(srv.baseUrl, `/api/v1/loyalty/members/${m.id}/stored-value/entries`, owner);
      assert.equal(card.stored_value_principal, entries.reduce((s, e) => s + e.principal, 0), `${who}: principal`);
      assert.equal(card.stored_value_bonus, entries.reduce((s, e) => s + e.bonus, 0), `${who}: bonus`);
      const acked = (kind) => requests.filter((r) => r.kind === kind && r.info.member === m.id && r.state === 'acked');
      const topups = entries.filter((e) => e.type === 'topup');
      assert.deepEqual(topups.map((e) => e.payment_ref).sort(), acked('topup').map((r) => r.body.payment_ref).sort(), `${who}: top-ups`);
      for (const r of acked('topup')) {
        const e = topups.find((x) => x.payment_ref === r.body.payment_ref);
        assert.deepEqual([e.id, e.amount], [r.answer.entry.id, r.body.amount], `${who}: top-up ${r.key}`);
      }
      const spends = entries.filter((e) => e.type === 'spend');
      assert.deepEqual(spends.map((e) => e.order_id).sort(), acked('spend').map((r) => r.body.order_id).sort(), `${who}: payments`);
      for (const r of acked('spend')) {
        const e = spends.find((x) => x.order_id === r.body.order_id);
        assert.deepEqual([e.id, e.amount], [r.answer.entry.id, -r.body.amount], `${who}: payment ${r.key}`);
      }
    }
  });

  test('coupons redeemed once, stock never below zero', async () => {
    for (const [code, racers] of codeRaces) {
      const won = racers.filter((r) => r.state === 'acked');
      assert.equal(won.length, 1, `coupon ${code}: ${won.length} redemptions acknowledged`);
      const coupon = expectOk(await call('GET', `/api/v1/loyalty/coupons/${code}`));
      assert.equal(coupon.status, 'redeemed');
      assert.equal(coupon.redemption.order_id, won[0].body.order_id);
    }
    const exchanges = requests.filter((r) => r.kind === 'exchange' && r.state === 'acked');
    const item = expectOk(await call('GET', `/api/v1/loyalty/mall/items/${mallItem.id}`));
    assert.ok(item.stock >= 0, `stock ${item.stock}`);
    assert.equal(exchanges.length, MALL_STOCK - item.stock, 'acknowledged exchanges = initial stock - remaining');
    const listed = [];
    for (const m of members) {
      listed.push(...(await listAll(srv.baseUrl, `/api/v1/loyalty/members/${m.id}/exchanges`, owner)).map((e) => e.id));
    }
    assert.deepEqual(listed.sort((a, b) => a - b), exchanges.map((r) => r.answer.id).sort((a, b) => a - b));
    const issues = requests.filter((r) => r.kind === 'issue' && r.state === 'acked');
    const t = expectOk(await call('GET', `/api/v1/loyalty/coupon-templates/${limited.id}`));
    assert.equal(t.issued, issues.length);
    assert.ok(t.remaining_stock >= 0);
  });

  test('retrying an acknowledged request returns the original answer, replayed', async () => {
    const rng = generator(SEED ^ 0x5eed);
    const acked = requests.filter((r) => r.state === 'acked');
    const sample = acked.length <= REPLAY_SAMPLE ? acked : Array.from({ length: REPLAY_SAMPLE }, () => pickOne(rng, acked));
    for (const r of new Set(sample)) {
      const res = await call('POST', r.path, r.body, { 'Idempotency-Key': r.key });
      assert.equal(res.status, r.status, `${r.kind} ${r.key}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body, r.answer, `${r.kind} ${r.key}`);
      assert.equal(res.headers.get('idempotent-replayed'), 'true', `${r.kind} ${r.key}`);
    }
  });

  test('siyu loyalty verify is clean', async () => {
    const report = expectOk(await call('GET', '/api/v1/loyalty/verify'));
    assert.deepEqual(report.problems, []);
    const cli = verifyCli('at the end');
    assert.equal(cli.points_entries, report.points_entries);
    assert.equal(cli.mall_exchanges, requests.filter((r) => r.kind === 'exchange' && r.state === 'acked').length);
  });
});
