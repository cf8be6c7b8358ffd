// Stored value and paid membership over HTTP: offers, top-up, proportional spend, refunds,
// withdrawal, adjustment, statements, idempotent retries, plans, purchase, renewal,
// cancellation, the expiring list with store scoping, bad input, permissions and tenancy.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, loginOk, api, expectError, expectOk, cliValue, randomPassword, uniq, CREATED, DELETED } from './lib/server.mjs';

describe('stored value and paid membership', () => {
  let srv;
  let owner;
  let storeA;
  let storeB;
  let guide;
  let keyN = 0;

  const as = (auth) => ({
    get: (p) => api(srv.baseUrl, 'GET', p, auth),
    post: (p, body, key) =>
      api(srv.baseUrl, 'POST', p, { ...auth, body, headers: key === null ? {} : { 'Idempotency-Key': key ?? `k-${++keyN}-${uniq()}` } }),
    patch: (p, body) => api(srv.baseUrl, 'PATCH', p, { ...auth, body }),
    del: (p) => api(srv.baseUrl, 'DELETE', p, auth),
    raw: (method, p, rawBody) => api(srv.baseUrl, method, p, { ...auth, rawBody, headers: { 'Idempotency-Key': `raw-${++keyN}` } }),
  });
  const o = () => as(owner);
  const sv = (id, op) => `/api/v1/loyalty/members/${id}/stored-value/${op}`;

  async function member(body = {}) {
    const c = expectOk(await o().post('/api/v1/customers', { name: uniq('会员'), ...body }, null), CREATED);
    expectOk(await o().post('/api/v1/loyalty/members', { customer_id: c.id }, null), CREATED);
    return c;
  }

  async function userWith(role, storeIds) {
    const password = randomPassword(14);
    const email = `${role}-${uniq()}@example.com`;
    const body = { email, name: `The ${role}`, role, password };
    if (storeIds) body.store_ids = storeIds;
    expectOk(await o().post('/api/v1/users', body, null), CREATED);
    return { cookie: await loginOk(srv.baseUrl, email, password) };
  }

  before(async () => {
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    const hq = expectOk(await o().post('/api/v1/stores', { code: uniq('HQ-'), name: 'HQ', kind: 'hq' }, null), CREATED);
    storeA = expectOk(await o().post('/api/v1/stores', { code: uniq('A-'), name: 'A', kind: 'store', parent_id: hq.id }, null), CREATED);
    storeB = expectOk(await o().post('/api/v1/stores', { code: uniq('B-'), name: 'B', kind: 'store', parent_id: hq.id }, null), CREATED);
    guide = await userWith('guide', [storeA.id]);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  test('top-up with an offer, proportional spend, partial and full refund, statement', async () => {
    const m = await member();
    const offer = expectOk(await o().post('/api/v1/loyalty/topup-offers', { name: '充500送50', pay_amount: 50000, bonus_amount: 5000 }, null), CREATED);
    assert.equal(offer.total_amount, 55000);
    assert.ok(expectOk(await o().get('/api/v1/loyalty/topup-offers')).data.some((x) => x.id === offer.id));

    const top = expectOk(await o().post(sv(m.id, 'topup'), { offer_id: offer.id, payment_ref: 'wx-1' }), CREATED);
    assert.equal(top.entry.principal, 50000);
    assert.equal(top.entry.bonus, 5000);
    assert.deepEqual(top.balance, { principal: 50000, bonus: 5000, total: 55000 });

    const spent = expectOk(await o().post(sv(m.id, 'spend'), { amount: 11000, order_id: 'SO-1' }));
    assert.equal(spent.entry.principal, -10000);
    assert.equal(spent.entry.bonus, -1000);
    expectError(await o().post(sv(m.id, 'spend'), { amount: 44001, order_id: 'SO-2' }), 409, 'failed_precondition', 'amount');

    const part = expectOk(await o().post(sv(m.id, 'refund'), { order_id: 'SO-1', amount: 5500, reason: '退一件' }));
    assert.equal(part.entry.principal, 5000);
    assert.equal(part.entry.bonus, 500);
    expectError(await o().post(sv(m.id, 'refund'), { order_id: 'SO-1', amount: 5501 }), 400, 'invalid_argument', 'amount');
    expectError(await o().post(sv(m.id, 'refund'), { order_id: 'NOPE' }), 404, 'not_found', 'order_id');
    const rest = expectOk(await o().post(sv(m.id, 'refund'), { order_id: 'SO-1' }));
    assert.deepEqual(rest.balance, { principal: 50000, bonus: 5000, total: 55000 });

    const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 32 * 3600e3).toISOString().slice(0, 10);
    const st = expectOk(await o().get(`${sv(m.id, 'statement')}?from=${today}&to=${tomorrow}`));
    assert.equal(st.opening.total, 0);
    assert.equal(st.movements.length, 4);
    assert.equal(st.closing.total, 55000);
    const sum = Object.values(st.totals).reduce((a, t) => a + t.amount, 0);
    assert.equal(st.opening.total + sum, st.closing.total);

    const page = expectOk(await o().get(`${sv(m.id, 'entries')}?limit=3`));
    assert.equal(page.data.length, 3);
    assert.equal(page.data[0].type, 'refund');
    const next = expectOk(await o().get(`${sv(m.id, 'entries')}?limit=3&cursor=${page.next_cursor}`));
    assert.deepEqual(next.data.map((e) => e.type), ['topup']);
  });

  test('withdrawal forfeits bonus; adjustment needs a reason and loyalty.adjust', async () => {
    const m = await member({ store_id: storeA.id });
    expectOk(await o().post(sv(m.id, 'topup'), { amount: 10000, bonus: 1000 }), CREATED);
    // A guide may top up with offers only, and may not adjust or withdraw.
    expectError(await as(guide).post(sv(m.id, 'topup'), { amount: 100, bonus: 10 }), 403, 'forbidden');
    expectOk(await as(guide).post(sv(m.id, 'topup'), { amount: 100 }), CREATED);
    expectError(await as(guide).post(sv(m.id, 'adjust'), { bonus: 100, reason: 'x' }), 403, 'forbidden');
    expectError(await as(guide).post(sv(m.id, 'withdraw'), {}), 403, 'forbidden');

    const w = expectOk(await o().post(sv(m.id, 'withdraw'), { amount: 5050, reason: '退卡' }));
    assert.equal(w.entry.principal, -5050);
    assert.equal(w.entry.bonus, -500);
    expectError(await o().post(sv(m.id, 'adjust'), { bonus: 100 }), 400, 'invalid_argument', 'reason');
    expectError(await o().post(sv(m.id, 'adjust'), { bonus: -100000, reason: '错' }), 409, 'failed_precondition', 'bonus');
    const adj = expectOk(await o().post(sv(m.id, 'adjust'), { bonus: 100, reason: '客诉补偿' }));
    assert.deepEqual(adj.balance, { principal: 5050, bonus: 600, total: 5650 });
    const audit = expectOk(await o().get('/api/v1/audit-log?limit=200&action=loyalty.stored_value.adjust'));
    assert.ok(audit.data.some((a) => a.action === 'loyalty.stored_value.adjust'), 'adjustment audited');
  });

  test('an idempotent retry returns the original result; a reused key with another body is 409', async () => {
    const m = await member();
    const key = `retry-${uniq()}`;
    const first = await o().post(sv(m.id, 'topup'), { amount: 2000 }, key);
    const again = await o().post(sv(m.id, 'topup'), { amount: 2000 }, key);
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    expectError(await o().post(sv(m.id, 'topup'), { amount: 3000 }, key), 409, 'failed_precondition', 'Idempotency-Key');
    const entries = expectOk(await o().get(sv(m.id, 'entries')));
    assert.equal(entries.data.length, 1);
    assert.equal(entries.balance.total, 2000);
  });

  test('bad input gets a clear error naming the field and changes nothing', async () => {
    const m = await member();
    expectError(await o().raw('POST', sv(m.id, 'topup'), '{"amount": 10'), 400, 'invalid_json');
    expectError(await o().post(sv(m.id, 'topup'), { amount: '100' }), 400, 'invalid_argument', 'amount');
    expectError(await o().post(sv(m.id, 'topup'), { amount: -1 }), 400, 'invalid_argument', 'amount');
    expectError(await o().post(sv(m.id, 'topup'), { amount: 1.5 }), 400, 'invalid_argument', 'amount');
    expectError(await o().post(sv(m.id, 'topup'), { amount: 100, colour: 'red' }), 400, 'unknown_field', 'colour');
    expectError(await o().post(sv(m.id, 'topup'), { offer_id: 999999 }), 404, 'not_found', 'offer_id');
    expectError(await o().post(sv(m.id, 'spend'), { amount: 1 }), 400, 'invalid_argument', 'order_id');
    expectError(await o().post(sv(m.id, 'spend'), { order_id: 'x' }), 400, 'invalid_argument', 'amount');
    expectError(await o().post(sv(999999, 'topup'), { amount: 100 }), 404, 'not_found');
    const notMember = expectOk(await o().post('/api/v1/customers', { name: uniq('路人') }, null), CREATED);
    expectError(await o().post(sv(notMember.id, 'topup'), { amount: 100 }), 404, 'not_found');
    expectError(await o().post('/api/v1/loyalty/topup-offers', { name: 'x', pay_amount: 0, bonus_amount: 0 }, null), 400, 'invalid_argument', 'pay_amount');
    expectError(await o().post('/api/v1/loyalty/paid-plans', { name: 'x', price: 100, duration_days: 'a' }, null), 400, 'invalid_argument', 'duration_days');
    expectError(await o().get('/api/v1/loyalty/paid-memberships/expiring?days=0'), 400, 'invalid_argument', 'days');
    expectError(await api(srv.baseUrl, 'POST', sv(m.id, 'topup'), { body: { amount: 100 } }), 401, 'unauthenticated');
    assert.equal(expectOk(await o().get(sv(m.id, 'entries'))).data.length, 0);
  });

  test('paid membership: plans, purchase, renewal from the end, trait, cancel, expiring list by store', async () => {
    const plan = expectOk(await o().post('/api/v1/loyalty/paid-plans', { name: '黑卡月卡', price: 2900, duration_days: 30, benefits: ['95折', '免邮'] }, null), CREATED);
    assert.deepEqual(expectOk(await o().get(`/api/v1/loyalty/paid-plans/${plan.id}`)).benefits, ['95折', '免邮']);
    const a = await member({ store_id: storeA.id });
    const b = await member({ store_id: storeB.id });
    const none = expectOk(await o().get(`/api/v1/loyalty/members/${a.id}/paid-membership`));
    assert.equal(none.status, 'none');

    const bought = expectOk(await o().post(`/api/v1/loyalty/members/${a.id}/paid-membership`, { plan_id: plan.id }), CREATED);
    assert.equal(bought.status, 'active');
    assert.equal(bought.renewal, false);
    const renewed = expectOk(await o().post(`/api/v1/loyalty/members/${a.id}/paid-membership`, { plan_id: plan.id }), CREATED);
    assert.equal(renewed.renewal, true);
    assert.equal(renewed.periods[0].starts_at, bought.ends_at);
    assert.equal(Date.parse(renewed.ends_at) - Date.parse(bought.ends_at), 30 * 86400e3);
    const profile = expectOk(await o().get(`/api/v1/customers/${a.id}`));
    assert.equal(profile.traits.paid_member_until, renewed.ends_at);

    expectOk(await o().post(`/api/v1/loyalty/members/${b.id}/paid-membership`, { plan_id: plan.id }), CREATED);
    const all = expectOk(await o().get('/api/v1/loyalty/paid-memberships/expiring?days=31'));
    assert.ok(all.data.some((x) => x.customer_id === b.id));
    assert.ok(!all.data.some((x) => x.customer_id === a.id), 'a ends in 60 days');
    const month2 = expectOk(await o().get('/api/v1/loyalty/paid-memberships/expiring?days=61'));
    assert.ok(month2.data.some((x) => x.customer_id === a.id));
    const guideView = expectOk(await as(guide).get('/api/v1/loyalty/paid-memberships/expiring?days=61'));
    assert.ok(guideView.data.every((x) => x.store_id === storeA.id));
    assert.ok(guideView.data.some((x) => x.customer_id === a.id));
    expectError(await as(guide).get(`/api/v1/loyalty/members/${b.id}/paid-membership`), 404, 'not_found');

    expectError(await as(guide).post(`/api/v1/loyalty/members/${a.id}/paid-membership/cancel`, {}), 403, 'forbidden');
    const cancelled = expectOk(await o().post(`/api/v1/loyalty/members/${a.id}/paid-membership/cancel`, { reason: '顾客要求' }));
    assert.equal(cancelled.status, 'cancelled');
    expectError(await o().post(`/api/v1/loyalty/members/${a.id}/paid-membership/cancel`, {}), 409, 'failed_precondition');
    expectError(await o().post(`/api/v1/loyalty/members/${a.id}/paid-membership`, { plan_id: 999999 }), 404, 'not_found', 'plan_id');
    expectOk(await o().del(`/api/v1/loyalty/paid-plans/${plan.id}`), DELETED);
    expectError(await o().post(`/api/v1/loyalty/members/${b.id}/paid-membership`, { plan_id: plan.id }), 404, 'not_found', 'plan_id');
  });

  test("another tenant's members, offers and plans are not found", async () => {
    const m = await member();
    const offer = expectOk(await o().post('/api/v1/loyalty/topup-offers', { name: 'o', pay_amount: 100, bonus_amount: 0 }, null), CREATED);
    const added = srv.cli(['tenant', 'add', '--name', uniq('Tenant Two ')]);
    assert.equal(added.code, 0, added.stderr);
    const t2 = cliValue(added.stdout, 'tenant_id');
    const email = `${uniq('two')}@example.com`;
    const password = randomPassword(16);
    const u = srv.cli(['user', 'add', '--tenant-id', t2, '--email', email, '--name', 'Owner Two', '--role', 'owner', '--password', password]);
    assert.equal(u.code, 0, u.stderr);
    const two = as({ cookie: await loginOk(srv.baseUrl, email, password) });
    expectError(await two.post(sv(m.id, 'topup'), { amount: 100 }), 404, 'not_found');
    expectError(await two.get(sv(m.id, 'entries')), 404, 'not_found');
    expectError(await two.get(`/api/v1/loyalty/topup-offers/${offer.id}`), 404, 'not_found');
    assert.deepEqual(expectOk(await two.get('/api/v1/loyalty/topup-offers')).data, []);
  });
});
