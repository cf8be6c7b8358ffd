// Loyalty: settings, tiers, earning rules, members, orders earning and refunds, points for
// cash, holds, manual adjustments, debt, idempotency, binding by phone, scoping and the
// ledger check.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, loginOk, api, expectError, expectOk, randomPassword, uniq, CREATED, sleep } from './lib/server.mjs';

describe('loyalty', () => {
  let srv;
  let owner;
  let storeA;
  let storeB;
  let guide;
  let operator;
  let silver;
  let gold;

  const as = (auth, headers = {}) => ({
    get: (p) => api(srv.baseUrl, 'GET', p, { ...auth, headers }),
    post: (p, body) => api(srv.baseUrl, 'POST', p, { ...auth, body, headers }),
    put: (p, body) => api(srv.baseUrl, 'PUT', p, { ...auth, body, headers }),
    patch: (p, body) => api(srv.baseUrl, 'PATCH', p, { ...auth, body, headers }),
    del: (p) => api(srv.baseUrl, 'DELETE', p, { ...auth, headers }),
    raw: (method, p, rawBody) => api(srv.baseUrl, method, p, { ...auth, rawBody, headers }),
  });
  const o = (headers) => as(owner, headers);

  async function customer(body = {}) {
    return expectOk(await o().post('/api/v1/customers', { name: uniq('会员'), ...body }), CREATED);
  }
  async function member(body = {}, reg = {}) {
    const c = await customer(body);
    const m = expectOk(await o().post('/api/v1/loyalty/members', { customer_id: c.id, channel: 'store', ...reg }), CREATED);
    return { ...c, member: m };
  }
  const card = async (id, auth = owner) => expectOk(await as(auth).get(`/api/v1/loyalty/members/${id}`));
  const order = async (customerId, amount, extra = {}, headers = {}) =>
    o(headers).post('/api/v1/loyalty/orders', { customer_id: customerId, order_id: uniq('SO'), amount, ...extra });

  async function userWith(role, storeIds) {
    const password = randomPassword(14);
    const email = `${role}-${uniq()}@example.com`;
    const body = { email, name: `The ${role}`, role, password };
    if (storeIds) body.store_ids = storeIds;
    expectOk(await o().post('/api/v1/users', body), CREATED);
    return { cookie: await loginOk(srv.baseUrl, email, password) };
  }

  before(async () => {
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    storeA = expectOk(await o().post('/api/v1/stores', { code: uniq('A-'), name: 'A', kind: 'store' }), CREATED);
    storeB = expectOk(await o().post('/api/v1/stores', { code: uniq('B-'), name: 'B', kind: 'store' }), CREATED);
    guide = await userWith('guide', [storeA.id]);
    operator = await userWith('operator');
    // Tiers on points earned in 365 days, and the rules every test below relies on.
    expectOk(await o().post('/api/v1/loyalty/tiers', { name: '普卡', level: 0, threshold: 0 }), CREATED);
    silver = expectOk(
      await o().post('/api/v1/loyalty/tiers', { name: '银卡', level: 1, threshold: 1000, multiplier: 120, benefits: ['生日礼'] }),
      CREATED,
    );
    gold = expectOk(await o().post('/api/v1/loyalty/tiers', { name: '金卡', level: 2, threshold: 100000, multiplier: 150 }), CREATED);
    expectOk(await o().post('/api/v1/loyalty/earning-rules', { name: '每消费1元得1积分', kind: 'spend', config: { points: 1 } }), CREATED);
    expectOk(
      await o().post('/api/v1/loyalty/earning-rules', {
        name: '护肤双倍',
        kind: 'multiplier',
        config: { multiplier_pct: 200, categories: ['护肤'] },
      }),
      CREATED,
    );
    expectOk(
      await o().post('/api/v1/loyalty/earning-rules', { name: '注册礼', kind: 'bonus', config: { trigger: 'registration', points: 100 } }),
      CREATED,
    );
    expectOk(
      await o().post('/api/v1/loyalty/earning-rules', { name: '首单礼', kind: 'bonus', config: { trigger: 'first_order', points: 50 } }),
      CREATED,
    );
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  test('settings: defaults, change, bad values named', async () => {
    const s = expectOk(await o().get('/api/v1/loyalty/settings'));
    assert.equal(s.points_expiry, 'year_end_next');
    assert.equal(s.tier_basis, 'points');
    assert.equal(s.cash_points_per_yuan, 100);
    expectError(await o().put('/api/v1/loyalty/settings', { points_expiry: 'sometimes' }), 400, 'invalid_argument', 'points_expiry');
    expectError(await o().put('/api/v1/loyalty/settings', { max_cash_share_pct: '50' }), 400, 'invalid_argument', 'max_cash_share_pct');
    expectError(await o().put('/api/v1/loyalty/settings', { bogus: 1 }), 400, 'unknown_field', 'bogus');
    expectError(await o().raw('PUT', '/api/v1/loyalty/settings', '{"max_cash_share_pct":'), 400, 'invalid_json');
    const changed = expectOk(await o().put('/api/v1/loyalty/settings', { downgrade_grace_days: 15 }));
    assert.equal(changed.downgrade_grace_days, 15);
    assert.equal(changed.points_expiry, 'year_end_next');
    expectError(await as(guide).put('/api/v1/loyalty/settings', { downgrade_grace_days: 1 }), 403, 'forbidden');
    assert.equal(expectOk(await o().get('/api/v1/loyalty/settings')).downgrade_grace_days, 15);
  });

  test('tiers: ordered thresholds, unique levels, no deleting a tier members hold', async () => {
    const tiers = expectOk(await o().get('/api/v1/loyalty/tiers')).data;
    assert.deepEqual(tiers.map((t) => t.name), ['普卡', '银卡', '金卡']);
    expectError(await o().post('/api/v1/loyalty/tiers', { name: '铜卡', level: 1, threshold: 1000 }), 409, 'already_exists', 'level');
    expectError(await o().post('/api/v1/loyalty/tiers', { name: '铂金', level: 3, threshold: 50 }), 400, 'invalid_argument', 'threshold');
    expectError(await o().post('/api/v1/loyalty/tiers', { name: '铂金', level: 3 }), 400, 'invalid_argument', 'threshold');
    expectError(await o().post('/api/v1/loyalty/tiers', { name: 7, level: 3, threshold: 1 }), 400, 'invalid_argument', 'name');
    const base = tiers[0];
    await member();
    expectError(await o().del(`/api/v1/loyalty/tiers/${base.id}`), 409, 'failed_precondition');
    expectError(await o().del('/api/v1/loyalty/tiers/999999'), 404, 'not_found');
  });

  test('earning rules: config checked with field paths', async () => {
    expectError(await o().post('/api/v1/loyalty/earning-rules', { name: 'x', kind: 'spend', config: {} }), 400, 'invalid_argument', 'config.points');
    expectError(
      await o().post('/api/v1/loyalty/earning-rules', { name: 'x', kind: 'bonus', config: { trigger: 'rain', points: 1 } }),
      400,
      'invalid_argument',
      'config.trigger',
    );
    expectError(
      await o().post('/api/v1/loyalty/earning-rules', { name: 'x', kind: 'spend', config: { points: 1, days_of_week: [8] } }),
      400,
      'invalid_argument',
      'config.days_of_week',
    );
    expectError(
      await o().post('/api/v1/loyalty/earning-rules', {
        name: 'x',
        kind: 'spend',
        config: { points: 1, cap_per_customer: { points: 5, period: 'week' } },
      }),
      400,
      'invalid_argument',
      'config.cap_per_customer.period',
    );
    expectError(await o().post('/api/v1/loyalty/earning-rules', { name: 'x', kind: 'lottery', config: {} }), 400, 'invalid_argument', 'kind');
  });

  test('register: member number, entry tier, registration bonus, once only', async () => {
    const m = await member({ store_id: storeA.id });
    assert.match(m.member.member_no, /^M\d{10}$/);
    assert.equal(m.member.points, 100);
    assert.deepEqual(m.member.bonuses.map((b) => b.points), [100]);
    const c = await card(m.id);
    assert.equal(c.tier.name, '普卡');
    assert.equal(c.next_tier.name, '银卡');
    assert.equal(c.next_tier.needed, 900);
    assert.equal(c.points, 100);
    assert.ok(c.points_next_expiry.at > new Date().toISOString());
    expectError(await o().post('/api/v1/loyalty/members', { customer_id: m.id }), 409, 'failed_precondition');
    expectError(await o().post('/api/v1/loyalty/members', { customer_id: 99999999 }), 404, 'not_found');
    expectError(await o().post('/api/v1/loyalty/members', { customer_id: 'one' }), 400, 'invalid_argument', 'customer_id');
    expectError(await o().get('/api/v1/loyalty/members/99999999'), 404, 'not_found');
    const nonMember = await customer();
    expectError(await o().get(`/api/v1/loyalty/members/${nonMember.id}`), 404, 'not_found');
    const given = await customer();
    const withNo = expectOk(await o().post('/api/v1/loyalty/members', { customer_id: given.id, member_no: 'VIP-0001' }), CREATED);
    assert.equal(withNo.member_no, 'VIP-0001');
    const other = await customer();
    expectError(await o().post('/api/v1/loyalty/members', { customer_id: other.id, member_no: 'VIP-0001' }), 409, 'already_exists', 'member_no');
  });

  test('orders earn by the rules; preview equals what is earned; the tier rises at once', async () => {
    const m = await member();
    const lines = [
      { product_id: 'serum', category: '护肤', price: 10000, quantity: 1 },
      { product_id: 'lipstick', category: '彩妆', price: 20000, quantity: 1 },
    ];
    const preview = expectOk(await o().post('/api/v1/loyalty/orders/preview', { customer_id: m.id, order_id: 'P1', amount: 30000, lines }));
    // ¥100 of skin care at 2x = 200, ¥200 of make-up = 200, first order bonus 50.
    assert.equal(preview.points, 450);
    assert.deepEqual(preview.bonuses.map((b) => b.points), [50]);
    const first = expectOk(await order(m.id, 30000, { lines }), CREATED);
    assert.equal(first.points, 450);
    assert.equal(first.balance, 550);
    const second = expectOk(await order(m.id, 60000), CREATED);
    assert.equal(second.points, 600);
    const c = await card(m.id);
    assert.equal(c.points, 1150);
    assert.equal(c.tier.name, '银卡');
    assert.equal(c.qualifying_value, 1150);
    const history = expectOk(await o().get(`/api/v1/loyalty/members/${m.id}/tier-history`)).data;
    assert.deepEqual(history.map((h) => [h.from_tier, h.to_tier, h.reason]), [
      ['普卡', '银卡', 'upgrade'],
      [null, '普卡', 'upgrade'],
    ]);
    // Silver earns 1.2x from now on.
    assert.equal(expectOk(await order(m.id, 10000), CREATED).points, 120);
    // The CDP sees the orders and the movements.
    let names = [];
    for (let i = 0; i < 50; i++) {
      const timeline = expectOk(await o().get(`/api/v1/customers/${m.id}/events?limit=100`));
      names = timeline.data.map((e) => e.event);
      // "Points Earned" is written from the ledger just after the commit.
      if (['Tier Changed', 'Points Earned'].every((n) => names.includes(n))) break;
      await sleep(50);
    }
    for (const n of ['Order Completed', 'Points Earned', 'Tier Changed', 'Member Registered']) assert.ok(names.includes(n), `${n} in ${names}`);
    expectError(await o().post('/api/v1/loyalty/orders', { customer_id: m.id, order_id: 'dup', amount: 100 }).then(async (r) => {
      expectOk(r, CREATED);
      return o().post('/api/v1/loyalty/orders', { customer_id: m.id, order_id: 'dup', amount: 100 });
    }), 409, 'already_exists', 'order_id');
    expectError(await o().post('/api/v1/loyalty/orders', { customer_id: m.id, order_id: 'x', amount: -1 }), 400, 'invalid_argument', 'amount');
    expectError(
      await o().post('/api/v1/loyalty/orders', { customer_id: m.id, order_id: 'y', amount: 1, lines: [{ product_id: 'a', price: 'cheap' }] }),
      400,
      'invalid_argument',
      'lines[0].price',
    );
  });

  test('an Order Completed event through the tracking API earns like the API', async () => {
    const userId = uniq('u-');
    const m = await member({ identifiers: [{ type: 'user_id', value: userId }] });
    const key = expectOk(await o().post('/api/v1/api-keys', { name: uniq('web'), kind: 'write' }), CREATED).key;
    const res = await api(srv.baseUrl, 'POST', '/v1/track', {
      headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: { userId, event: 'Order Completed', messageId: uniq('msg'), properties: { order_id: uniq('T'), revenue: 88.5 } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const c = await card(m.id);
    // 100 registration + 88 for ¥88.50 + 50 first order.
    assert.equal(c.points, 238);
  });

  test('points for cash: ratio, maximum share, balance; idempotent retries', async () => {
    const m = await member();
    expectOk(await order(m.id, 100000), CREATED); // 1000 + 50 + 100 registration = 1150
    const key = uniq('redeem-');
    const body = { points: 500, order_id: 'C1', order_amount: 10000 };
    const first = await o({ 'Idempotency-Key': key }).post(`/api/v1/loyalty/members/${m.id}/points/redeem`, body);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.cash_value, 500);
    assert.equal(first.body.points, 650);
    const again = await o({ 'Idempotency-Key': key }).post(`/api/v1/loyalty/members/${m.id}/points/redeem`, body);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    expectError(
      await o({ 'Idempotency-Key': key }).post(`/api/v1/loyalty/members/${m.id}/points/redeem`, { ...body, points: 100 }),
      409,
      'failed_precondition',
      'Idempotency-Key',
    );
    assert.equal((await card(m.id)).points, 650);
    // ¥60 of a ¥100 order is more than the 50% points may pay.
    expectError(await o().post(`/api/v1/loyalty/members/${m.id}/points/redeem`, { points: 6000, order_id: 'C2', order_amount: 10000 }), 400, 'invalid_argument', 'points');
    expectError(await o().post(`/api/v1/loyalty/members/${m.id}/points/redeem`, { points: 700, order_id: 'C2', order_amount: 1000000 }), 409, 'failed_precondition');
    expectError(await o().post(`/api/v1/loyalty/members/${m.id}/points/redeem`, { points: '50', order_id: 'C2', order_amount: 10000 }), 400, 'invalid_argument', 'points');
    assert.equal((await card(m.id)).points, 650);
  });

  test('holds: points move to held; capture redeems, release returns', async () => {
    const m = await member(); // 100
    const hold = expectOk(await o().post(`/api/v1/loyalty/members/${m.id}/points/holds`, { points: 60, order_id: 'H1' }), CREATED);
    assert.equal(hold.points, 40);
    assert.equal(hold.points_held, 60);
    expectError(await o().post(`/api/v1/loyalty/members/${m.id}/points/holds`, { points: 41, order_id: 'H2' }), 409, 'failed_precondition');
    const released = expectOk(await o().post(`/api/v1/loyalty/points/holds/${hold.hold.id}/release`));
    assert.equal(released.points, 100);
    assert.equal(released.points_held, 0);
    expectError(await o().post(`/api/v1/loyalty/points/holds/${hold.hold.id}/capture`), 409, 'failed_precondition');
    const h2 = expectOk(await o().post(`/api/v1/loyalty/members/${m.id}/points/holds`, { points: 30, order_id: 'H3' }), CREATED);
    const captured = expectOk(await o().post(`/api/v1/loyalty/points/holds/${h2.hold.id}/capture`));
    assert.equal(captured.points, 70);
    assert.equal(captured.points_held, 0);
    expectError(await o().post('/api/v1/loyalty/points/holds/999999/capture'), 404, 'not_found');
  });

  test('refunds reverse in proportion and return redeemed points; a shortfall becomes debt paid by later earnings', async () => {
    const m = await member(); // 100
    const oid = uniq('R');
    expectOk(await o().post('/api/v1/loyalty/orders', { customer_id: m.id, order_id: oid, amount: 100000 }), CREATED); // +1050
    expectOk(await o().post(`/api/v1/loyalty/members/${m.id}/points/redeem`, { points: 1000, order_id: oid, order_amount: 100000 }));
    assert.equal((await card(m.id)).points, 150);
    // Refund half: 500 of 1000 order points reversed (the first-order bonus stays), 500 redeemed points return.
    const half = expectOk(await o().post(`/api/v1/loyalty/orders/${oid}/refund`, { amount: 50000, refund_id: 'r1' }));
    assert.equal(half.reversed, 525);
    assert.equal(half.restored, 500);
    assert.equal(half.balance, 125);
    expectError(await o().post(`/api/v1/loyalty/orders/${oid}/refund`, { amount: 50000, refund_id: 'r1' }), 409, 'already_exists', 'refund_id');
    expectError(await o().post(`/api/v1/loyalty/orders/${oid}/refund`, { amount: 60000, refund_id: 'r2' }), 400, 'invalid_argument', 'amount');
    // Spend the balance, then refund the rest: what cannot be taken back becomes debt.
    expectOk(await o().post(`/api/v1/loyalty/members/${m.id}/points/adjust`, { points: -125, reason: '测试扣减' }));
    const rest = expectOk(await o().post(`/api/v1/loyalty/orders/${oid}/refund`, { amount: 50000, refund_id: 'r2' }));
    assert.equal(rest.reversed, 525);
    assert.equal(rest.restored, 500);
    assert.equal(rest.balance, 0);
    assert.equal(rest.debt, 25);
    // Still silver (tiers fall only at the scheduled review): ¥100 earns 120, 25 of it pays the debt.
    const next = expectOk(await order(m.id, 10000), CREATED);
    assert.equal(next.balance, 95);
    const c = await card(m.id);
    assert.equal(c.points_debt, 0);
    const entries = expectOk(await o().get(`/api/v1/loyalty/members/${m.id}/points/entries?limit=200`)).data;
    assert.ok(entries.some((e) => e.type === 'reverse' && e.debt_delta === 525));
    assert.ok(entries.some((e) => e.type === 'reverse' && e.debt_delta === -500));
    expectError(await o().post('/api/v1/loyalty/orders/nope/refund', { amount: 1, refund_id: 'x' }), 404, 'not_found');
  });

  test('manual adjustments need a reason and a permitted role, and are audited', async () => {
    const m = await member({ store_id: storeA.id });
    expectError(await o().post(`/api/v1/loyalty/members/${m.id}/points/adjust`, { points: 10 }), 400, 'invalid_argument', 'reason');
    expectError(await o().post(`/api/v1/loyalty/members/${m.id}/points/adjust`, { points: 0, reason: 'x' }), 400, 'invalid_argument', 'points');
    expectError(await as(guide).post(`/api/v1/loyalty/members/${m.id}/points/adjust`, { points: 10, reason: 'x' }), 403, 'forbidden');
    expectError(await as(operator).post(`/api/v1/loyalty/members/${m.id}/points/adjust`, { points: 10, reason: 'x' }), 403, 'forbidden');
    expectError(await o().post(`/api/v1/loyalty/members/${m.id}/points/adjust`, { points: -101, reason: 'x' }), 409, 'failed_precondition');
    const adj = expectOk(await o().post(`/api/v1/loyalty/members/${m.id}/points/adjust`, { points: 25, reason: '补偿' }));
    assert.equal(adj.points, 125);
    const audit = expectOk(await o().get('/api/v1/audit-log?limit=20')).data;
    assert.ok(audit.some((a) => a.action === 'loyalty.points.adjust' && a.target_id === String(m.id)));
    const other = await member({ store_id: storeA.id });
    const moved = expectOk(await o().post(`/api/v1/loyalty/members/${m.id}/points/transfer`, { to_customer_id: other.id, points: 25, reason: '家庭共享' }));
    assert.equal(moved.points, 100);
    assert.equal(moved.to.points, 125);
    expectError(await as(guide).post(`/api/v1/loyalty/members/${m.id}/points/transfer`, { to_customer_id: other.id, points: 1, reason: 'x' }), 403, 'forbidden');
    expectError(await o().post(`/api/v1/loyalty/members/${m.id}/points/transfer`, { to_customer_id: 99999999, points: 1, reason: 'x' }), 400, 'invalid_argument', 'to_customer_id');
    const t = expectOk(await o().post(`/api/v1/loyalty/members/${m.id}/tier`, { tier_id: gold.id, reason: '大客户' }));
    assert.equal(t.tier_id, gold.id);
    expectError(await o().post(`/api/v1/loyalty/members/${m.id}/tier`, { tier_id: 424242, reason: 'x' }), 400, 'invalid_argument', 'tier_id');
  });

  test('store staff see only their stores\u2019 members; missing auth is refused', async () => {
    const mine = await member({ store_id: storeA.id });
    const theirs = await member({ store_id: storeB.id });
    assert.equal((await card(mine.id, guide)).customer_id, mine.id);
    expectError(await as(guide).get(`/api/v1/loyalty/members/${theirs.id}`), 404, 'not_found');
    expectError(await as(guide).post(`/api/v1/loyalty/members/${theirs.id}/points/redeem`, { points: 100, order_id: 'g', order_amount: 100000 }), 404, 'not_found');
    const list = expectOk(await as(guide).get('/api/v1/loyalty/members?limit=200')).data;
    assert.ok(list.some((x) => x.customer_id === mine.id));
    assert.ok(!list.some((x) => x.customer_id === theirs.id));
    expectError(await api(srv.baseUrl, 'GET', `/api/v1/loyalty/members/${mine.id}`), 401, 'unauthenticated');
  });

  test('lookup by phone and one-click binding merges the WeChat visitor into the member', async () => {
    const phone = `+86139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const m = await member({ phone });
    const found = expectOk(await o().get(`/api/v1/loyalty/members/lookup?phone=${encodeURIComponent(phone)}`));
    assert.equal(found.customer_id, m.id);
    const unionid = uniq('union-');
    const visitor = await customer({ identifiers: [{ type: 'wechat_unionid', value: unionid }] });
    const bound = expectOk(
      await o().post('/api/v1/loyalty/members/bind', { phone, identifier_type: 'wechat_unionid', identifier_value: unionid }),
    );
    assert.equal(bound.customer_id, m.id);
    assert.equal(bound.bound.merged_customer_id, visitor.id);
    const again = expectOk(
      await o().post('/api/v1/loyalty/members/bind', { phone, identifier_type: 'wechat_unionid', identifier_value: unionid }),
    );
    assert.equal(again.customer_id, m.id);
    expectError(
      await o().post('/api/v1/loyalty/members/bind', { phone: '+8613000000000', identifier_type: 'wechat_unionid', identifier_value: 'x' }),
      404,
      'not_found',
    );
    expectError(
      await o().post('/api/v1/loyalty/members/bind', { phone, identifier_type: 'qq', identifier_value: 'x' }),
      400,
      'invalid_argument',
      'identifier_type',
    );
  });

  test('the ledger reconciles', async () => {
    const report = expectOk(await o().get('/api/v1/loyalty/verify'));
    assert.deepEqual(report.problems, []);
    assert.equal(report.clean, true);
    assert.ok(report.members > 5);
    assert.ok(report.points_entries > 10);
  });
});
