// Coupons and the points mall over HTTP: templates, issuing (one, a list), lookup with masking,
// redemption exactly once with an idempotent retry, reversal, a guide redeeming in their store,
// mall exchange and cancellation, bad input, unknown ids, another tenant and missing auth.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  loginOk,
  api,
  expectError,
  expectOk,
  cliValue,
  randomPassword,
  uniq,
  CREATED,
  TIMESTAMP_RE,
} from './lib/server.mjs';

const CODE_RE = /^[2-9A-HJ-NP-Y]{13}$/;

describe('coupons and points mall', () => {
  let srv;
  let owner;
  let owner2;
  let storeA;
  let storeB;
  let custA;
  let custB;
  let guide;
  let keyN = 0;

  const as = (auth) => ({
    get: (p) => api(srv.baseUrl, 'GET', p, auth),
    post: (p, body, key) =>
      api(srv.baseUrl, 'POST', p, { ...auth, body, headers: key ? { 'idempotency-key': key } : {} }),
    patch: (p, body) => api(srv.baseUrl, 'PATCH', p, { ...auth, body }),
    del: (p) => api(srv.baseUrl, 'DELETE', p, auth),
    raw: (method, p, rawBody) => api(srv.baseUrl, method, p, { ...auth, rawBody }),
  });
  const o = () => as(owner);
  const key = () => `k-${uniq()}-${++keyN}`;

  async function template(extra = {}) {
    return expectOk(
      await o().post('/api/v1/loyalty/coupon-templates', {
        name: uniq('券'),
        type: 'cash_off',
        amount: 1000,
        validity: { type: 'relative', days: 7 },
        ...extra,
      }),
      CREATED,
    );
  }

  async function issue(templateId, customerId) {
    const out = expectOk(
      await o().post(`/api/v1/loyalty/coupon-templates/${templateId}/issue`, { customer_id: customerId }, key()),
      CREATED,
    );
    return out.issued[0];
  }

  async function member(storeId, name) {
    const c = expectOk(await o().post('/api/v1/customers', { name, store_id: storeId, phone: `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` }), CREATED);
    expectOk(await o().post('/api/v1/loyalty/members', { customer_id: c.id, channel: 'store', store_id: storeId }, key()), CREATED);
    return c;
  }

  before(async () => {
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    const hq = expectOk(await o().post('/api/v1/stores', { code: uniq('HQ-'), name: 'HQ', kind: 'hq' }), CREATED);
    storeA = expectOk(await o().post('/api/v1/stores', { code: uniq('A-'), name: 'A', kind: 'store', parent_id: hq.id }), CREATED);
    storeB = expectOk(await o().post('/api/v1/stores', { code: uniq('B-'), name: 'B', kind: 'store', parent_id: hq.id }), CREATED);
    custA = await member(storeA.id, '王小美');
    custB = await member(storeB.id, '李大伟');
    expectOk(
      await o().post(`/api/v1/loyalty/members/${custA.id}/points/earn`, { points: 5000, reason: '开卡礼' }, key()),
      CREATED.concat([200]),
    );
    const password = randomPassword(14);
    const email = `guide-${uniq()}@example.com`;
    expectOk(await o().post('/api/v1/users', { email, name: 'Guide', role: 'guide', password, store_ids: [storeA.id] }), CREATED);
    guide = { cookie: await loginOk(srv.baseUrl, email, password) };

    const t = srv.cli(['tenant', 'add', '--name', `Coupons Two ${uniq()}`]);
    assert.equal(t.code, 0, t.stderr);
    const t2 = Number(cliValue(t.stdout, 'tenant_id'));
    const email2 = `owner2-${uniq()}@example.com`;
    const password2 = randomPassword(16);
    const u = srv.cli(['user', 'add', '--tenant-id', String(t2), '--email', email2, '--name', 'Owner Two', '--role', 'owner', '--password', password2]);
    assert.equal(u.code, 0, u.stderr);
    owner2 = { cookie: await loginOk(srv.baseUrl, email2, password2) };
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  test('templates: create, read, list, change, archive; stats start at zero', async () => {
    const t = await template({ type: 'threshold', amount: 2000, min_order_amount: 19900, per_customer_limit: 2, total_stock: 100 });
    assert.equal(t.type, 'threshold');
    assert.equal(t.description, '满199减20');
    assert.equal(t.issued, 0);
    assert.equal(t.remaining_stock, 100);
    assert.equal(t.status, 'active');
    assert.match(t.created_at, TIMESTAMP_RE);
    assert.deepEqual(t.validity, { type: 'relative', days: 7 });
    assert.equal(expectOk(await o().get(`/api/v1/loyalty/coupon-templates/${t.id}`)).name, t.name);
    const list = expectOk(await o().get('/api/v1/loyalty/coupon-templates?limit=200'));
    assert.ok(list.data.some((x) => x.id === t.id));
    const changed = expectOk(await o().patch(`/api/v1/loyalty/coupon-templates/${t.id}`, { name: '夏日满减', total_stock: 50 }));
    assert.equal(changed.name, '夏日满减');
    assert.equal(changed.total_stock, 50);
    const stats = expectOk(await o().get(`/api/v1/loyalty/coupon-templates/${t.id}/stats`));
    assert.deepEqual([stats.issued, stats.redeemed, stats.expired, stats.redemption_rate, stats.revenue], [0, 0, 0, 0, 0]);
    const archived = expectOk(await o().del(`/api/v1/loyalty/coupon-templates/${t.id}`));
    assert.equal(archived.status, 'archived');
    expectError(await o().post(`/api/v1/loyalty/coupon-templates/${t.id}/issue`, { customer_id: custA.id }, key()), 409, 'failed_precondition', 'template_id');
  });

  test('bad template input names the field and creates nothing', async () => {
    const before = expectOk(await o().get('/api/v1/loyalty/coupon-templates?limit=200')).data.length;
    const base = { name: 'x', type: 'cash_off', amount: 100, validity: { type: 'relative', days: 3 } };
    expectError(await o().raw('POST', '/api/v1/loyalty/coupon-templates', '{"name": "x", '), 400, 'invalid_json');
    expectError(await o().post('/api/v1/loyalty/coupon-templates', { ...base, amount: '100' }), 400, 'invalid_argument', 'amount');
    expectError(await o().post('/api/v1/loyalty/coupon-templates', { ...base, type: 'bogo' }), 400, 'invalid_argument', 'type');
    expectError(await o().post('/api/v1/loyalty/coupon-templates', { ...base, validity: { type: 'fixed', from: 'today' } }), 400, 'invalid_argument', 'validity.from');
    expectError(await o().post('/api/v1/loyalty/coupon-templates', { ...base, type: 'percent', amount: undefined, percent_off: 120 }), 400, 'invalid_argument', 'percent_off');
    expectError(await o().post('/api/v1/loyalty/coupon-templates', { ...base, store_ids: [987654] }), 400, 'invalid_argument', 'store_ids[0]');
    expectError(await o().post('/api/v1/loyalty/coupon-templates', { ...base, colour: 'red' }), 400, 'unknown_field', 'colour');
    const t = await template();
    expectError(await o().patch(`/api/v1/loyalty/coupon-templates/${t.id}`, { amount: 5 }), 400, 'invalid_argument', 'amount');
    expectError(await o().get('/api/v1/loyalty/coupon-templates/987654'), 404, 'not_found');
    expectError(await o().get('/api/v1/loyalty/coupon-templates/abc'), 404, 'not_found');
    const after = expectOk(await o().get('/api/v1/loyalty/coupon-templates?limit=200')).data.length;
    assert.equal(after, before + 1);
  });

  test('issue to one customer and to a list; limits are reported per customer', async () => {
    const t = await template({ per_customer_limit: 1 });
    const coupon = await issue(t.id, custA.id);
    assert.match(coupon.code, CODE_RE);
    assert.equal(coupon.code_display.replaceAll('-', ''), coupon.code);
    assert.equal(coupon.status, 'issued');
    assert.equal(coupon.customer_id, custA.id);
    expectError(
      await o().post(`/api/v1/loyalty/coupon-templates/${t.id}/issue`, { customer_id: custA.id }, key()),
      409,
      'failed_precondition',
      'customer_id',
    );
    const many = expectOk(
      await o().post(`/api/v1/loyalty/coupon-templates/${t.id}/issue`, { customer_ids: [custA.id, custB.id, 987654] }, key()),
      CREATED,
    );
    assert.deepEqual(many.issued.map((c) => c.customer_id), [custB.id]);
    assert.deepEqual(many.skipped.map((s) => s.customer_id).sort((a, b) => a - b), [custA.id, 987654]);
    expectError(await o().post(`/api/v1/loyalty/coupon-templates/${t.id}/issue`, {}, key()), 400, 'invalid_argument', 'customer_ids');
    expectError(await o().post(`/api/v1/loyalty/coupon-templates/${t.id}/issue`, { customer_ids: 'all' }, key()), 400, 'invalid_argument', 'customer_ids');
    expectError(await o().post('/api/v1/loyalty/coupon-templates/987654/issue', { customer_id: custA.id }, key()), 404, 'not_found');
    const mine = expectOk(await o().get(`/api/v1/loyalty/members/${custA.id}/coupons?status=issued`));
    assert.ok(mine.data.some((c) => c.code === coupon.code));
  });

  test('lookup masks the customer for a guide; a typo is caught by the check character', async () => {
    const t = await template();
    const coupon = await issue(t.id, custA.id);
    const full = expectOk(await o().get(`/api/v1/loyalty/coupons/${coupon.code_display.toLowerCase()}`));
    assert.equal(full.customer.name, '王小美');
    assert.equal(full.customer.masked, false);
    assert.equal(full.description, '立减10元');
    assert.equal(full.template.id, t.id);
    assert.equal(full.usable, true);
    const masked = expectOk(await as(guide).get(`/api/v1/loyalty/coupons/${coupon.code}`));
    assert.equal(masked.customer.name, '王**');
    assert.equal(masked.customer.masked, true);
    assert.notEqual(masked.customer.phone, custA.phone);
    const typo = coupon.code.slice(0, 4) + (coupon.code[4] === '7' ? '8' : '7') + coupon.code.slice(5);
    expectError(await o().get(`/api/v1/loyalty/coupons/${typo}`), 400, 'invalid_argument', 'code');
    expectError(await as(owner2).get(`/api/v1/loyalty/coupons/${coupon.code}`), 404, 'not_found');
    expectError(await api(srv.baseUrl, 'GET', `/api/v1/loyalty/coupons/${coupon.code}`), 401, 'unauthenticated');
  });

  test('redeem exactly once; a retry with the same key returns the original; reverse makes it usable again', async () => {
    const t = await template({ type: 'threshold', amount: 2000, min_order_amount: 19900 });
    const coupon = await issue(t.id, custA.id);
    const body = { code: coupon.code, order_id: uniq('o-'), order_amount: 25000, store_id: storeA.id };
    expectError(await o().post('/api/v1/loyalty/coupons/redeem', { ...body, order_amount: 10000 }, key()), 409, 'failed_precondition', 'order_amount');
    const k = key();
    const first = await o().post('/api/v1/loyalty/coupons/redeem', body, k);
    const out = expectOk(first);
    assert.equal(out.discount, 2000);
    assert.equal(out.payable, 23000);
    assert.equal(out.coupon.status, 'redeemed');
    const retry = await o().post('/api/v1/loyalty/coupons/redeem', body, k);
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(retry.body, out);
    expectError(await o().post('/api/v1/loyalty/coupons/redeem', { ...body, order_amount: 30000 }, k), 409, 'failed_precondition', 'Idempotency-Key');
    const again = expectError(await o().post('/api/v1/loyalty/coupons/redeem', body, key()), 409, 'failed_precondition', 'code');
    assert.match(again.message, /already redeemed/);

    const reversed = expectOk(await o().post(`/api/v1/loyalty/coupons/${coupon.code}/reverse`, { order_id: body.order_id, reason: '退款' }, key()));
    assert.equal(reversed.coupon.status, 'issued');
    expectOk(await o().post('/api/v1/loyalty/coupons/redeem', { ...body, order_id: uniq('o-') }, key()));
    const stats = expectOk(await o().get(`/api/v1/loyalty/coupon-templates/${t.id}/stats`));
    assert.equal(stats.issued, 1);
    assert.equal(stats.redeemed, 1);
    assert.equal(stats.reversed, 1);
    assert.equal(stats.redemption_rate, 1);
    assert.equal(stats.revenue, 25000);

    const fixed = await template({ reversible: false });
    const c2 = await issue(fixed.id, custA.id);
    expectOk(await o().post('/api/v1/loyalty/coupons/redeem', { code: c2.code, order_id: uniq('o-'), order_amount: 5000 }, key()));
    expectError(await o().post(`/api/v1/loyalty/coupons/${c2.code}/reverse`, {}, key()), 409, 'failed_precondition', 'code');
  });

  test('redeem input errors name the field and change nothing', async () => {
    const t = await template();
    const coupon = await issue(t.id, custA.id);
    const post = (b) => o().post('/api/v1/loyalty/coupons/redeem', b, key());
    expectError(await o().raw('POST', '/api/v1/loyalty/coupons/redeem', '{"code":'), 400, 'invalid_json');
    expectError(await post({ order_id: 'o', order_amount: 1 }), 400, 'invalid_argument', 'code');
    expectError(await post({ code: coupon.code, order_id: 'o', order_amount: '100' }), 400, 'invalid_argument', 'order_amount');
    expectError(await post({ code: coupon.code, order_id: 'o', order_amount: 100, lines: [{ product_id: 'p', price: -1 }] }), 400, 'invalid_argument', 'lines[0].price');
    expectError(await post({ code: coupon.code, order_id: 'o', order_amount: 100, uses_points: 'no' }), 400, 'invalid_argument', 'uses_points');
    expectError(await post({ code: 'AAAAAAAAAAAAA', order_id: 'o', order_amount: 100 }), 400, 'invalid_argument', 'code');
    expectError(await post({ code: coupon.code, order_id: 'o', order_amount: 100, store_id: 987654 }), 400, 'invalid_argument', 'store_id');
    expectError(await post({ code: coupon.code, order_id: 'o', order_amount: 100, tip: 1 }), 400, 'unknown_field', 'tip');
    const still = expectOk(await o().get(`/api/v1/loyalty/coupons/${coupon.code}`));
    assert.equal(still.status, 'issued');
  });

  test('a guide redeems in their own store by default and cannot manage or issue', async () => {
    const t = await template({ store_ids: [storeA.id] });
    const coupon = await issue(t.id, custB.id);
    const out = expectOk(await as(guide).post('/api/v1/loyalty/coupons/redeem', { code: coupon.code, order_id: uniq('o-'), order_amount: 8000 }, key()));
    assert.equal(out.coupon.redemption.store_id, storeA.id);
    const other = await issue(t.id, custB.id);
    expectError(
      await as(guide).post('/api/v1/loyalty/coupons/redeem', { code: other.code, order_id: uniq('o-'), order_amount: 8000, store_id: storeB.id }, key()),
      403,
      'forbidden',
    );
    expectError(await as(guide).post('/api/v1/loyalty/coupon-templates', { name: 'x' }), 403, 'forbidden');
    expectError(await as(guide).post(`/api/v1/loyalty/coupon-templates/${t.id}/issue`, { customer_id: custA.id }, key()), 403, 'forbidden');
    expectError(await as(guide).get(`/api/v1/loyalty/members/${custB.id}/coupons`), 404, 'not_found');
  });

  test('points mall: exchange takes points and stock, a retry is not a second exchange, cancel gives both back', async () => {
    const item = expectOk(
      await o().post('/api/v1/loyalty/mall/items', { name: '定制帆布袋', kind: 'gift', points_price: 800, stock: 2, per_customer_limit: 2 }),
      CREATED,
    );
    assert.equal(item.stock, 2);
    const k = key();
    const ex = await o().post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: custA.id, quantity: 2 }, k);
    const exchange = expectOk(ex, CREATED);
    assert.equal(exchange.points, 1600);
    assert.equal(exchange.status, 'done');
    const retry = await o().post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: custA.id, quantity: 2 }, k);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal(retry.body.id, exchange.id);
    assert.equal(expectOk(await o().get(`/api/v1/loyalty/mall/items/${item.id}`)).stock, 0);
    expectError(await o().post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: custB.id }, key()), 409, 'failed_precondition', 'quantity');
    const listed = expectOk(await o().get(`/api/v1/loyalty/members/${custA.id}/exchanges`));
    assert.equal(listed.data.filter((e) => e.id === exchange.id).length, 1);

    const cancelled = expectOk(await o().post(`/api/v1/loyalty/mall/exchanges/${exchange.id}/cancel`, { reason: '缺货' }, key()));
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.points_balance, exchange.points_balance + 1600);
    assert.equal(expectOk(await o().get(`/api/v1/loyalty/mall/items/${item.id}`)).stock, 2);
    expectError(await o().post(`/api/v1/loyalty/mall/exchanges/${exchange.id}/cancel`, {}, key()), 409, 'failed_precondition', 'id');
    expectError(await o().post('/api/v1/loyalty/mall/exchanges/987654/cancel', {}, key()), 404, 'not_found');
  });

  test('points mall: bad input, unknown ids, another tenant, a guide outside the customer store', async () => {
    const item = expectOk(await o().post('/api/v1/loyalty/mall/items', { name: '小样', kind: 'gift', points_price: 100 }), CREATED);
    expectError(await o().raw('POST', '/api/v1/loyalty/mall/items', 'not json'), 400, 'invalid_json');
    expectError(await o().post('/api/v1/loyalty/mall/items', { name: 'x', kind: 'gift', points_price: 'lots' }), 400, 'invalid_argument', 'points_price');
    expectError(await o().post('/api/v1/loyalty/mall/items', { name: 'x', kind: 'coupon', points_price: 1 }), 400, 'invalid_argument', 'coupon_template_id');
    expectError(await o().post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: 'me' }, key()), 400, 'invalid_argument', 'customer_id');
    expectError(await o().post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: custA.id, quantity: 0 }, key()), 400, 'invalid_argument', 'quantity');
    expectError(await o().post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: 987654 }, key()), 404, 'not_found');
    expectError(await o().post('/api/v1/loyalty/mall/items/987654/exchange', { customer_id: custA.id }, key()), 404, 'not_found');
    expectError(await as(owner2).get(`/api/v1/loyalty/mall/items/${item.id}`), 404, 'not_found');
    expectError(await as(owner2).post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: custA.id }, key()), 404, 'not_found');
    expectError(await as(guide).post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: custB.id }, key()), 404, 'not_found');
    expectError(await as(guide).post('/api/v1/loyalty/mall/items', { name: 'x', kind: 'gift', points_price: 1 }), 403, 'forbidden');
    const byGuide = expectOk(await as(guide).post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: custA.id }, key()), CREATED);
    assert.equal(byGuide.points, 100);
  });

  test('issue to a segment as a job (202); a retry answers the same job', async () => {
    const seg = expectOk(await o().post('/api/v1/segments', { name: uniq('全部顾客'), rule: { all: true } }), CREATED);
    const t = await template({ per_customer_limit: 1 });
    const k = key();
    const res = await o().post(`/api/v1/loyalty/coupon-templates/${t.id}/issue`, { segment_id: seg.id }, k);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.headers.get('location'), `/api/v1/loyalty/coupon-jobs/${res.body.id}`);
    const retry = await o().post(`/api/v1/loyalty/coupon-templates/${t.id}/issue`, { segment_id: seg.id }, k);
    assert.equal(retry.status, 202);
    assert.equal(retry.body.id, res.body.id);
    let job;
    for (let i = 0; i < 300; i++) {
      job = expectOk(await o().get(`/api/v1/loyalty/coupon-jobs/${res.body.id}`));
      if (job.status === 'done' || job.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(job.status, 'done', JSON.stringify(job));
    assert.ok(job.progress.issued >= 2, JSON.stringify(job));
    assert.equal(job.progress.percent, 100);
    const stats = expectOk(await o().get(`/api/v1/loyalty/coupon-templates/${t.id}/stats`));
    assert.equal(stats.issued, job.progress.issued);
    expectError(await o().get('/api/v1/loyalty/coupon-jobs/987654'), 404, 'not_found');
  });

  test('a coupon reward issues coupons through the mall', async () => {
    const t = await template({ name: '商城10元券' });
    const item = expectOk(
      await o().post('/api/v1/loyalty/mall/items', { name: '10元券', kind: 'coupon', coupon_template_id: t.id, points_price: 300 }),
      CREATED,
    );
    const ex = expectOk(await o().post(`/api/v1/loyalty/mall/items/${item.id}/exchange`, { customer_id: custA.id }, key()), CREATED);
    assert.equal(ex.coupons.length, 1);
    assert.equal(ex.coupons[0].source, 'mall');
    const found = expectOk(await o().get(`/api/v1/loyalty/coupons/${ex.coupons[0].code}`));
    assert.equal(found.template_id, t.id);
  });
});
