// Loyalty under concurrency: many clients at once earn campaign points, redeem points for
// cash, hold points and capture or release them (sometimes both at once), complete orders and
// refund them in part (sometimes two refunds at once), exchange the same scarce mall item,
// take coupons of a template with little stock and race for the same coupon codes. Afterwards
// every coupon code was redeemed exactly once, no stock is below zero, every acknowledged
// operation is in the ledger exactly once, every balance equals the sum of its entries and
// `siyu loyalty verify` is clean.
//
// The mix is drawn from a seeded generator; the seed is printed and `SIYU_TEST_SEED=<n>` runs
// the same mix again (the interleaving of the clients still varies).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, loginOk, api, expectOk, listAll, runCli, CREATED } from './lib/server.mjs';

const SEED = Number(process.env.SIYU_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CLIENTS = 24;
const OPERATIONS = 2400;
const MEMBERS = 20;
const RACE_CODES = 40; // coupon codes that several clients redeem at the same moment
const RACERS = 4; // clients racing for each of them
const MALL_STOCK = 12; // the scarce mall item
const LIMITED_STOCK = 20; // coupon template whose stock runs out during the load
const VOUCHER_STOCK = 8; // coupons behind a mall item with more stock than coupons
const VOUCHER_ITEM_STOCK = 100;
const GIFT_STOCK = 30; // exchanged and then cancelled twice at the same moment
const INITIAL_POINTS = 3000;

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

describe('loyalty under concurrency', () => {
  let srv;
  let owner;
  /** Members with what the test saw acknowledged for each. */
  const members = [];
  let mallItem;
  let limited;
  let voucher;
  let voucherItem;
  let vouchers = 0;
  let giftItem;
  let gifts = 0;
  let giftCancels = 0;
  let doubleSends = 0;
  let raceCodes = [];
  /** Answers outside the documented set (5xx, wrong error codes, broken races). */
  const unexpected = [];
  const tally = {};
  const races = new Map(); // code -> {winners: [order_id], losers}
  let limitedIssued = 0;
  let exchanged = 0;
  let outOfStock = 0;

  const count = (what) => {
    tally[what] = (tally[what] ?? 0) + 1;
  };
  let requestCount = 0;
  const call = (method, p, body) => {
    requestCount += 1;
    return api(srv.baseUrl, method, p, { ...owner, body });
  };
  const post = (p, body) => call('POST', p, body);

  /**
   * True for a success in `ok`; false for an expected refusal in `refusals` ([status, code]
   * pairs); anything else is recorded as unexpected.
   */
  function judge(res, ok, what, refusals = [[409, 'failed_precondition']]) {
    if (ok.includes(res.status)) return true;
    const code = res.body?.error?.code;
    if (refusals.some(([s, c]) => s === res.status && c === code)) {
      count(`${what} refused`);
      return false;
    }
    unexpected.push(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return false;
  }

  async function guarded(what, fn) {
    try {
      await fn();
    } catch (err) {
      unexpected.push(`${what}: ${err.cause?.code ?? err.message}`);
    }
  }

  function newMember(id) {
    return {
      id,
      earns: new Map(), // source_id -> points (campaign credits)
      cash: new Map(), // order_id -> points (redeemed for cash)
      holds: new Map(), // hold id -> {points, order_id, state, entry_id}
      orders: new Map(), // order_id -> {amount, points, reversed, restored}
      exchanges: new Map(), // exchange id -> points
      cancelled: new Set(), // exchange ids
    };
  }

  before(async () => {
    console.log(`loyalty concurrency seed=${SEED} (rerun with SIYU_TEST_SEED=${SEED})`);
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    expectOk(await post('/api/v1/loyalty/tiers', { name: '普卡', level: 0, threshold: 0 }), CREATED);
    expectOk(await post('/api/v1/loyalty/tiers', { name: '银卡', level: 1, threshold: 6000, multiplier: 120 }), CREATED);
    expectOk(await post('/api/v1/loyalty/tiers', { name: '金卡', level: 2, threshold: 20000, multiplier: 150 }), CREATED);
    expectOk(await post('/api/v1/loyalty/earning-rules', { name: '每消费1元得1积分', kind: 'spend', config: { points: 1 } }), CREATED);
    expectOk(
      await post('/api/v1/loyalty/earning-rules', { name: '注册礼', kind: 'bonus', config: { trigger: 'registration', points: 100 } }),
      CREATED,
    );
    for (let i = 0; i < MEMBERS; i++) {
      const c = expectOk(await post('/api/v1/customers', { name: `并发会员${i}` }), CREATED);
      expectOk(await post('/api/v1/loyalty/members', { customer_id: c.id, channel: 'store' }), CREATED);
      const m = newMember(c.id);
      const welcome = expectOk(
        await post(`/api/v1/loyalty/members/${c.id}/points/earn`, {
          points: INITIAL_POINTS,
          reason: '开卡礼',
          source_type: 'campaign',
          source_id: `welcome-${i}`,
        }),
      );
      assert.equal(welcome.points, INITIAL_POINTS + 100);
      m.earns.set(`welcome-${i}`, INITIAL_POINTS);
      members.push(m);
    }
    const ids = members.map((m) => m.id);
    // Codes to race for: two per member.
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
      assert.equal(issued.issued.length, MEMBERS, JSON.stringify(issued.skipped));
      raceCodes.push(...issued.issued.map((c) => c.code));
    }
    const none = expectOk(await post(`/api/v1/loyalty/coupon-templates/${race.id}/issue`, { customer_ids: ids }), CREATED);
    assert.equal(none.issued.length, 0, 'the template is out of stock');
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
      await post('/api/v1/loyalty/mall/items', { name: '限量保温杯', kind: 'gift', points_price: 200, stock: MALL_STOCK }),
      CREATED,
    );
    assert.equal(mallItem.stock, MALL_STOCK);
    // A coupon reward whose coupons run out before the item does: an exchange that cannot
    // issue its coupon takes neither points nor stock.
    giftItem = expectOk(
      await post('/api/v1/loyalty/mall/items', { name: '帆布袋', kind: 'gift', points_price: 150, stock: GIFT_STOCK }),
      CREATED,
    );
    voucher = expectOk(
      await post('/api/v1/loyalty/coupon-templates', {
        name: '兑换券',
        type: 'cash_off',
        amount: 500,
        validity: { type: 'relative', days: 30 },
        total_stock: VOUCHER_STOCK,
      }),
      CREATED,
    );
    voucherItem = expectOk(
      await post('/api/v1/loyalty/mall/items', {
        name: '5元券',
        kind: 'coupon',
        coupon_template_id: voucher.id,
        points_price: 100,
        stock: VOUCHER_ITEM_STOCK,
      }),
      CREATED,
    );
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  // --- the operations -------------------------------------------------------------------------

  async function earn(rng, n) {
    const m = pickOne(rng, members);
    const points = between(rng, 1, 300);
    const sourceId = `earn-${n}`;
    const p = `/api/v1/loyalty/members/${m.id}/points/earn`;
    const body = { points, reason: '活动奖励', source_type: 'campaign', source_id: sourceId };
    if (rng() < 0.8) {
      if (judge(await post(p, body), [200], 'earn', [])) m.earns.set(sourceId, points);
      return;
    }
    // A double submission: the same request with the same key twice at once is applied once;
    // one answer is the stored result of the other.
    const headers = { 'Idempotency-Key': `double-${SEED}-${n}` };
    requestCount += 2;
    const answers = await Promise.all([0, 1].map(() => api(srv.baseUrl, 'POST', p, { ...owner, body, headers })));
    if (!answers.every((a) => judge(a, [200], 'double earn', []))) return;
    const replayed = answers.map((a) => a.headers.get('idempotent-replayed') === 'true');
    if (replayed.filter(Boolean).length !== 1) unexpected.push(`double earn ${sourceId}: replayed ${replayed}`);
    assert.deepEqual(answers[0].body, answers[1].body, `double earn ${sourceId}`);
    m.earns.set(sourceId, points);
    doubleSends += 1;
  }

  async function redeemForCash(rng, n, m = pickOne(rng, members), orderId = `cash-${n}`, orderAmount = 100000) {
    const points = 100 * between(rng, 1, 4);
    const res = await post(`/api/v1/loyalty/members/${m.id}/points/redeem`, {
      points,
      order_id: orderId,
      order_amount: orderAmount,
    });
    if (judge(res, [200], 'redeem')) {
      assert.equal(res.body.cash_value, points);
      m.cash.set(orderId, points);
    }
  }

  async function hold(rng, n, m = pickOne(rng, members), orderId = `hold-${n}`, mode = rng()) {
    const points = between(rng, 50, 300);
    const res = await post(`/api/v1/loyalty/members/${m.id}/points/holds`, { points, order_id: orderId });
    if (!judge(res, [201], 'hold')) return;
    const h = { points, order_id: orderId, state: 'held', entry_id: res.body.entry_id };
    m.holds.set(res.body.hold.id, h);
    const settle = (how) => post(`/api/v1/loyalty/points/holds/${res.body.hold.id}/${how}`);
    if (mode < 0.4) {
      if (judge(await settle('capture'), [200], 'capture', [])) h.state = 'captured';
    } else if (mode < 0.8) {
      if (judge(await settle('release'), [200], 'release', [])) h.state = 'released';
    } else {
      // Capture and release at the same moment: exactly one of them wins.
      const [c, r] = await Promise.all([settle('capture'), settle('release')]);
      const cWon = judge(c, [200], 'capture race');
      const rWon = judge(r, [200], 'release race');
      if (cWon === rWon) unexpected.push(`hold ${res.body.hold.id}: capture ${c.status}, release ${r.status}; exactly one may win`);
      h.state = cWon ? 'captured' : 'released';
      count('hold races');
    }
  }

  async function orderAndRefund(rng, n) {
    const m = pickOne(rng, members);
    const orderId = `order-${n}`;
    const amount = 1000 * between(rng, 5, 60);
    const res = await post('/api/v1/loyalty/orders', { customer_id: m.id, order_id: orderId, amount });
    if (!judge(res, [201], 'order', [])) return;
    const o = { amount, points: res.body.points, reversed: 0, restored: 0, refunded: 0 };
    m.orders.set(orderId, o);
    // Part of the order paid with points, directly or through a captured hold.
    const pay = rng();
    if (pay < 0.3) await redeemForCash(rng, n, m, orderId, amount);
    else if (pay < 0.5) await hold(rng, n, m, orderId, 0);
    if (rng() < 0.4) return;
    // Two refunds of 60% each at the same moment: the second finds too little left.
    const part = Math.floor((amount * 3) / 5);
    const refund = (id, a) => post(`/api/v1/loyalty/orders/${orderId}/refund`, { amount: a, refund_id: id });
    const answers = await Promise.all([refund('r1', part), refund('r2', part)]);
    const won = answers.map((a) => judge(a, [200], 'refund race', [[400, 'invalid_argument']]));
    if (won.filter(Boolean).length !== 1) {
      unexpected.push(`order ${orderId}: concurrent refunds answered ${answers.map((a) => a.status)}; exactly one may succeed`);
    }
    for (const a of answers) {
      if (a.status === 200) {
        o.reversed += a.body.reversed;
        o.restored += a.body.restored;
        o.refunded += part;
      } else if (a.status === 400) {
        assert.equal(a.body.error.field, 'amount');
      }
    }
    count('refund races');
    if (rng() < 0.5) {
      const rest = await refund('r3', amount - o.refunded);
      if (judge(rest, [200], 'refund rest', [])) {
        o.reversed += rest.body.reversed;
        o.restored += rest.body.restored;
        o.refunded = amount;
      }
    }
  }

  async function exchange(rng) {
    const m = pickOne(rng, members);
    const res = await post(`/api/v1/loyalty/mall/items/${mallItem.id}/exchange`, { customer_id: m.id });
    if (judge(res, [201], 'exchange')) {
      m.exchanges.set(res.body.id, res.body.points);
      assert.equal(res.body.points, mallItem.points_price);
      exchanged += 1;
    } else if (res.status === 409 && res.body.error.field === 'quantity') {
      outOfStock += 1;
    }
  }

  async function exchangeVoucher(rng) {
    const m = pickOne(rng, members);
    const res = await post(`/api/v1/loyalty/mall/items/${voucherItem.id}/exchange`, { customer_id: m.id });
    if (judge(res, [201], 'voucher')) {
      assert.equal(res.body.coupons.length, 1);
      m.exchanges.set(res.body.id, res.body.points);
      vouchers += 1;
    }
  }

  async function exchangeAndCancel(rng) {
    const m = pickOne(rng, members);
    const res = await post(`/api/v1/loyalty/mall/items/${giftItem.id}/exchange`, { customer_id: m.id });
    if (!judge(res, [201], 'gift')) return;
    m.exchanges.set(res.body.id, res.body.points);
    gifts += 1;
    // Two cancellations of the same exchange at the same moment: one gives the points and the
    // stock back, the other is refused.
    const cancel = () => post(`/api/v1/loyalty/mall/exchanges/${res.body.id}/cancel`, { reason: '顾客取消' });
    const answers = await Promise.all([cancel(), cancel()]);
    const won = answers.filter((a) => judge(a, [200], 'cancel race'));
    if (won.length !== 1) unexpected.push(`exchange ${res.body.id}: cancellations answered ${answers.map((a) => a.status)}`);
    if (won.length > 0) {
      m.cancelled.add(res.body.id);
      giftCancels += 1;
    }
  }

  async function issueLimited(rng) {
    const m = pickOne(rng, members);
    const res = await post(`/api/v1/loyalty/coupon-templates/${limited.id}/issue`, { customer_id: m.id });
    if (judge(res, [201], 'issue')) {
      assert.equal(res.body.issued.length, 1);
      limitedIssued += 1;
    }
  }

  async function raceForCode(n) {
    const code = raceCodes.pop();
    if (!code) return;
    const orders = Array.from({ length: RACERS }, (_, k) => `coupon-${n}-${k}`);
    const answers = await Promise.all(
      orders.map((orderId) => post('/api/v1/loyalty/coupons/redeem', { code, order_id: orderId, order_amount: 20000 })),
    );
    const race = { winners: [], losers: 0 };
    answers.forEach((a, k) => {
      if (judge(a, [200], 'coupon race')) {
        race.winners.push(orders[k]);
        assert.equal(a.body.discount, 1000);
      } else if (a.status === 409) {
        race.losers += 1;
        if (a.body.error.field !== 'code') unexpected.push(`coupon ${code}: refused on ${a.body.error.field}`);
      }
    });
    races.set(code, race);
  }

  const kinds = [
    [22, 'earn', (rng, n) => earn(rng, n)],
    [16, 'redeem', (rng, n) => redeemForCash(rng, n)],
    [12, 'hold', (rng, n) => hold(rng, n)],
    [16, 'order', (rng, n) => orderAndRefund(rng, n)],
    [12, 'exchange', (rng) => exchange(rng)],
    [6, 'issue', (rng) => issueLimited(rng)],
    [4, 'voucher', (rng) => exchangeVoucher(rng)],
    [4, 'gift', (rng) => exchangeAndCancel(rng)],
    [3, 'coupon race', (rng, n) => raceForCode(n)],
  ];
  const totalWeight = kinds.reduce((s, [w]) => s + w, 0);

  test(`${CLIENTS} clients, ${OPERATIONS} operations`, async () => {
    let next = 0;
    async function client(c) {
      const rng = generator(SEED + c * 7919);
      for (let n = next++; n < OPERATIONS; n = next++) {
        let x = rng() * totalWeight;
        const [, name, fn] = kinds.find(([w]) => (x -= w) < 0) ?? kinds[0];
        count(name);
        await guarded(`${name} #${n}`, () => fn(rng, n));
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    // The codes nobody drew are raced for now, so that every code sees a race.
    while (raceCodes.length > 0) await guarded('coupon race', () => raceForCode(next++));
    console.log(`${requestCount} requests; operations by kind: ${JSON.stringify(tally)}; ${doubleSends} double submissions`);
    assert.deepEqual(unexpected.slice(0, 20), [], `${unexpected.length} unexpected answers`);
  });

  test('every coupon code was redeemed exactly once; the others got 409', async () => {
    assert.equal(races.size, RACE_CODES);
    for (const [code, race] of races) {
      assert.equal(race.winners.length, 1, `coupon ${code}: ${race.winners.length} redemptions succeeded`);
      assert.equal(race.losers, RACERS - 1, `coupon ${code}`);
      const coupon = expectOk(await call('GET', `/api/v1/loyalty/coupons/${code}`));
      assert.equal(coupon.status, 'redeemed');
      assert.equal(coupon.redemption.order_id, race.winners[0]);
    }
  });

  test('stock never below zero: mall item and coupon template', async () => {
    const item = expectOk(await call('GET', `/api/v1/loyalty/mall/items/${mallItem.id}`));
    assert.ok(item.stock >= 0, `stock ${item.stock}`);
    assert.equal(exchanged, MALL_STOCK - item.stock, 'successful exchanges = initial stock - remaining');
    assert.ok(outOfStock > 0, 'the load asked for more than the stock');
    let listed = 0;
    for (const m of members) {
      const rows = await listAll(srv.baseUrl, `/api/v1/loyalty/members/${m.id}/exchanges`, owner);
      const ids = (list) => list.map(Number).sort((a, b) => a - b);
      assert.deepEqual(ids(rows.map((e) => e.id)), ids([...m.exchanges.keys()]), `member ${m.id}: exchanges`);
      const cancelled = rows.filter((e) => e.status === 'cancelled').map((e) => e.id);
      assert.deepEqual(ids(cancelled), ids([...m.cancelled]), `member ${m.id}: cancelled exchanges`);
      listed += rows.length;
    }
    assert.equal(listed, exchanged + vouchers + gifts);
    const gift = expectOk(await call('GET', `/api/v1/loyalty/mall/items/${giftItem.id}`));
    assert.equal(gift.stock, GIFT_STOCK - gifts + giftCancels, 'a cancellation returns the stock once');
    assert.equal(vouchers, VOUCHER_STOCK, 'every voucher was exchanged');
    const vItem = expectOk(await call('GET', `/api/v1/loyalty/mall/items/${voucherItem.id}`));
    assert.equal(vItem.stock, VOUCHER_ITEM_STOCK - vouchers, 'refused exchanges took no stock');
    const vTemplate = expectOk(await call('GET', `/api/v1/loyalty/coupon-templates/${voucher.id}`));
    assert.equal(vTemplate.issued, VOUCHER_STOCK);
    assert.equal(vTemplate.remaining_stock, 0);
    const t = expectOk(await call('GET', `/api/v1/loyalty/coupon-templates/${limited.id}`));
    assert.equal(t.issued, limitedIssued);
    assert.ok(t.issued <= LIMITED_STOCK, `issued ${t.issued} of ${LIMITED_STOCK}`);
    assert.ok(t.remaining_stock >= 0, `remaining ${t.remaining_stock}`);
  });

  test('every balance equals the sum of its entries; every acknowledged operation is there once', async () => {
    for (const m of members) {
      const card = expectOk(await call('GET', `/api/v1/loyalty/members/${m.id}`));
      const entries = await listAll(srv.baseUrl, `/api/v1/loyalty/members/${m.id}/points/entries`, owner);
      const who = `member ${m.id}`;
      assert.equal(new Set(entries.map((e) => e.id)).size, entries.length, `${who}: an entry is listed twice`);
      const sum = (f) => entries.reduce((s, e) => s + e[f], 0);
      assert.equal(card.points, sum('amount'), `${who}: points`);
      assert.equal(card.points_held, sum('held_delta'), `${who}: held`);
      assert.equal(card.points_debt, sum('debt_delta'), `${who}: debt`);
      assert.equal(entries[0].balance_after, card.points, `${who}: the newest entry's balance`);

      const bySource = (pred) => {
        const map = new Map();
        for (const e of entries.filter(pred)) map.set(e.source_id, [...(map.get(e.source_id) ?? []), e]);
        return map;
      };
      const earned = bySource((e) => e.type === 'earn' && e.source_type === 'campaign');
      assert.deepEqual([...earned.keys()].sort(), [...m.earns.keys()].sort(), `${who}: campaign credits`);
      for (const [id, points] of m.earns) {
        // A credit pays off debt first: what it added is the balance change less the debt change.
        assert.deepEqual(earned.get(id).map((e) => e.amount - e.debt_delta), [points], `${who}: credit ${id}`);
      }
      const cash = bySource((e) => e.type === 'redeem' && e.source_type === 'order_cash' && e.held_delta === 0);
      assert.deepEqual([...cash.keys()].sort(), [...m.cash.keys()].sort(), `${who}: cash redemptions`);
      for (const [id, points] of m.cash) assert.deepEqual(cash.get(id).map((e) => e.amount), [-points], `${who}: ${id}`);
      const holds = entries.filter((e) => e.type === 'hold');
      assert.equal(holds.length, m.holds.size, `${who}: holds`);
      for (const h of m.holds.values()) {
        const own = holds.filter((e) => e.source_id === h.order_id);
        assert.ok(own.some((e) => e.id === h.entry_id && e.held_delta === h.points), `${who}: hold for ${h.order_id}`);
        const settled = entries.filter((e) => e.ref_entry_id === h.entry_id && (e.type === 'redeem' || e.type === 'release'));
        const expected = h.state === 'held' ? [] : [h.state === 'captured' ? 'redeem' : 'release'];
        assert.deepEqual(settled.map((e) => e.type), expected, `${who}: hold for ${h.order_id} is ${h.state}`);
      }
      const mall = bySource((e) => e.type === 'redeem' && e.source_type === 'mall');
      assert.deepEqual([...mall.keys()].sort(), [...m.exchanges.keys()].map(String).sort(), `${who}: exchanges`);
      for (const [id, points] of m.exchanges) {
        assert.deepEqual(mall.get(String(id)).map((e) => e.amount), [-points], `${who}: exchange ${id}`);
      }
      const returned = bySource((e) => e.type === 'reverse' && e.source_type === 'mall');
      assert.deepEqual([...returned.keys()].sort(), [...m.cancelled].map(String).sort(), `${who}: cancelled exchanges`);
      for (const id of m.cancelled) {
        const [e] = returned.get(String(id));
        assert.equal(returned.get(String(id)).length, 1, `${who}: exchange ${id} cancelled twice`);
        assert.equal(e.amount - e.debt_delta, m.exchanges.get(id), `${who}: points of exchange ${id} returned`);
      }
      const orders = bySource((e) => e.type === 'earn' && e.source_type === 'order');
      const refunds = bySource((e) => e.source_type === 'refund');
      const restores = bySource((e) => e.source_type === 'refund_restore');
      for (const [id, o] of m.orders) {
        const earnedOn = (orders.get(id) ?? []).reduce((s, e) => s + e.amount - e.debt_delta, 0);
        assert.equal(earnedOn, o.points, `${who}: points earned on ${id}`);
        const reversed = (refunds.get(id) ?? []).reduce((s, e) => s - e.amount + e.debt_delta, 0);
        assert.equal(reversed, o.reversed, `${who}: points reversed on ${id}`);
        const restored = (restores.get(id) ?? []).reduce((s, e) => s + e.amount - e.debt_delta, 0);
        assert.equal(restored, o.restored, `${who}: points restored on ${id}`);
      }
      assert.equal(orders.size, m.orders.size, `${who}: orders`);
    }
  });

  test('the ledger check is clean over HTTP and from the command line', async () => {
    const report = expectOk(await call('GET', '/api/v1/loyalty/verify'));
    assert.deepEqual(report.problems, []);
    assert.equal(report.clean, true);
    assert.equal(report.members, MEMBERS);
    assert.equal(report.mall_exchanges, exchanged + vouchers + gifts);
    const cli = runCli(['loyalty', 'verify', '--tenant', '1', '--json'], srv.dataDir);
    assert.equal(cli.code, 0, `siyu loyalty verify: ${cli.stdout}${cli.stderr}`);
    const parsed = JSON.parse(cli.stdout);
    assert.equal(parsed.clean, true);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.points_entries, report.points_entries);
  });
});
