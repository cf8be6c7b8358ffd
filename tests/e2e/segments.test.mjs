// Segments: saving rules, sizes, members, previews, exports, real-time membership (events,
// traits, tags), Segment Entered / Exited events, store scope, tenancy, RFM.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startServer,
  loginOk,
  api,
  expectError,
  expectOk,
  listAll,
  cliValue,
  dateInZone,
  randomPassword,
  sleep,
  uniq,
  CREATED,
  DELETED,
} from './lib/server.mjs';

const basic = (key) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
const mid = () => crypto.randomUUID();

/** Polls `probe` until it answers truthy or `ms` pass; answers the last value. */
async function eventually(probe, ms = 3000, every = 50) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await probe();
    if (last || Date.now() > deadline) return last;
    await sleep(every);
  }
}

describe('segments', () => {
  let srv;
  let owner;
  let dataDir;
  const adminPassword = randomPassword(16);
  let wk;
  let storeA;
  let storeB;
  const c = {};
  const s = {};
  const mark = uniq('seg');
  const users = {};

  const as = (auth) => ({
    get: (p) => api(srv.baseUrl, 'GET', p, auth),
    post: (p, body) => api(srv.baseUrl, 'POST', p, { ...auth, body }),
    put: (p, body) => api(srv.baseUrl, 'PUT', p, { ...auth, body }),
    patch: (p, body) => api(srv.baseUrl, 'PATCH', p, { ...auth, body }),
    del: (p) => api(srv.baseUrl, 'DELETE', p, auth),
    raw: (method, p, rawBody) => api(srv.baseUrl, method, p, { ...auth, rawBody }),
  });
  const o = () => as(owner);

  async function track(path, body) {
    const res = await api(srv.baseUrl, 'POST', path, { body: { messageId: mid(), ...body }, headers: basic(wk) });
    assert.equal(res.status, 200, `POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async function createSegment(name, rule, auth = owner) {
    return expectOk(await as(auth).post('/api/v1/segments', { name: `${name} ${mark}`, rule }), CREATED);
  }

  const memberIds = async (id, auth = owner) =>
    (await listAll(srv.baseUrl, `/api/v1/segments/${id}/members`, auth)).map((m) => m.id).sort((a, b) => a - b);
  const sorted = (...ids) => [...ids].sort((a, b) => a - b);

  async function createUser(role, storeIds) {
    const password = randomPassword(14);
    const body = { email: `${role}-${uniq()}@example.com`, name: `The ${role}`, role, password };
    if (storeIds) body.store_ids = storeIds;
    expectOk(await o().post('/api/v1/users', body), CREATED);
    return { cookie: await loginOk(srv.baseUrl, body.email, password) };
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-e2e-segments-'));
    srv = await startServer({ dataDir, env: { SIYU_ADMIN_PASSWORD: adminPassword } });
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, adminPassword) };
    const hq = expectOk(await o().post('/api/v1/stores', { code: uniq('HQ-'), name: '总部', kind: 'hq' }), CREATED);
    storeA = expectOk(
      await o().post('/api/v1/stores', { code: uniq('A-'), name: '上海静安店', kind: 'store', parent_id: hq.id }),
      CREATED,
    );
    storeB = expectOk(
      await o().post('/api/v1/stores', { code: uniq('B-'), name: '北京国贸店', kind: 'store', parent_id: hq.id }),
      CREATED,
    );
    wk = expectOk(await o().post('/api/v1/api-keys', { name: 'web', kind: 'write' }), CREATED).key;
    const customer = async (key, body) => {
      c[key] = expectOk(
        await o().post('/api/v1/customers', { ...body, identifiers: [{ type: 'user_id', value: `${mark}-${key}` }] }),
        CREATED,
      );
    };
    await customer('wang', { name: '王芳', phone: '13812345678', store_id: storeA.id, traits: { city: '上海' } });
    await customer('li', { name: '李雷', phone: '13912345678', store_id: storeB.id, traits: { city: '北京' } });
    await customer('han', { name: '=韩梅梅', email: 'han@example.com', store_id: storeA.id, traits: { city: '上海' } });
    await customer('zhang', { name: '张三' });
    const order = (key, id, revenue) =>
      track('/v1/track', {
        userId: `${mark}-${key}`,
        event: 'Order Completed',
        properties: { order_id: `${mark}-${id}`, revenue, currency: 'CNY', category: '护肤' },
      });
    await order('wang', 1, 500);
    await order('wang', 2, 300);
    await order('li', 3, 100);
    users.analyst = await createUser('analyst');
    users.manager = await createUser('store_manager', [storeA.id]);
    users.guide = await createUser('guide', [storeA.id]);

    s.shanghai = await createSegment('上海', { trait: 'city', op: 'eq', value: '上海' });
    s.repeat = await createSegment('复购', {
      event: 'Order Completed',
      window: { last_days: 30 },
      count: { op: 'gte', value: 2 },
    });
    s.storeA = await createSegment('静安店', { store: 'in', ids: [storeA.id] });
    s.everyone = await createSegment('全部', { all: true });
    s.coupon = await createSegment('领券', { event: 'Coupon Claimed', window: { last_days: 7 } });
    s.nested = await createSegment('上海复购', {
      and: [{ segment: 'in', id: s.shanghai.id }, { segment: 'in', id: s.repeat.id }],
    });
  });

  after(async () => {
    if (srv) await srv.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('saved segments answer their rule and current size', async () => {
    const expected = { shanghai: 2, repeat: 1, storeA: 2, everyone: 4, coupon: 0, nested: 1 };
    for (const [key, size] of Object.entries(expected)) {
      const got = expectOk(await o().get(`/api/v1/segments/${s[key].id}`));
      assert.equal(got.size, size, `${key}: ${JSON.stringify(got)}`);
      assert.equal(got.name, s[key].name);
      assert.deepEqual(got.rule, s[key].rule);
      assert.equal(s[key].size, size, `${key}: size in the create answer`);
    }
    const list = await listAll(srv.baseUrl, '/api/v1/segments', owner, 2);
    assert.deepEqual(
      list.map((x) => x.id),
      Object.values(s)
        .map((x) => x.id)
        .sort((a, b) => b - a),
      'newest first, every segment once across pages',
    );
    const found = expectOk(await o().get(`/api/v1/segments?q=${encodeURIComponent('复购')}`));
    assert.deepEqual(found.data.map((x) => x.id).sort(), [s.repeat.id, s.nested.id].sort());
  });

  test('members page through in id order as customer summaries', async () => {
    assert.deepEqual(await memberIds(s.shanghai.id), sorted(c.wang.id, c.han.id));
    assert.deepEqual(await memberIds(s.repeat.id), [c.wang.id]);
    assert.deepEqual(await memberIds(s.nested.id), [c.wang.id]);
    const first = expectOk(await o().get(`/api/v1/segments/${s.everyone.id}/members?limit=3`));
    assert.equal(first.data.length, 3);
    assert.equal(first.total, 4);
    assert.ok(first.next_cursor);
    const second = expectOk(
      await o().get(`/api/v1/segments/${s.everyone.id}/members?limit=3&cursor=${encodeURIComponent(first.next_cursor)}`),
    );
    assert.equal(second.data.length, 1);
    assert.equal(second.next_cursor, null);
    const row = first.data.find((m) => m.id === c.wang.id);
    assert.deepEqual(Object.keys(row).sort(), ['birthday', 'created_at', 'email', 'gender', 'id', 'member_no', 'name', 'phone', 'store_id']);
    assert.equal(row.phone, '+8613812345678');
    const masked = expectOk(await as(users.analyst).get(`/api/v1/segments/${s.everyone.id}/members`));
    assert.equal(masked.data.find((m) => m.id === c.wang.id).phone, '+86138****5678');
    expectError(await o().get(`/api/v1/segments/${s.everyone.id}/members?cursor=nonsense`), 400, 'invalid_argument', 'cursor');
  });

  test('a customer lists the segments holding them; the customer read has the RFM class', async () => {
    const res = expectOk(await o().get(`/api/v1/customers/${c.wang.id}/segments`));
    assert.equal(res.customer_id, c.wang.id);
    assert.deepEqual(
      res.data.map((x) => x.id).sort((a, b) => a - b),
      sorted(s.shanghai.id, s.repeat.id, s.storeA.id, s.everyone.id, s.nested.id),
    );
    assert.equal(res.data.find((x) => x.id === s.shanghai.id).name, s.shanghai.name);
    const wang = expectOk(await o().get(`/api/v1/customers/${c.wang.id}`));
    assert.equal(typeof wang.rfm?.code, 'string', JSON.stringify(wang.rfm));
    assert.equal(wang.rfm.frequency, 2);
    assert.equal(wang.rfm.monetary, 80000);
    const zhang = expectOk(await o().get(`/api/v1/customers/${c.zhang.id}`));
    assert.equal(zhang.rfm, null);
    expectError(await o().get('/api/v1/customers/999999999/segments'), 404, 'not_found');
  });

  test('preview counts and samples an unsaved rule without saving it', async () => {
    const before = (await listAll(srv.baseUrl, '/api/v1/segments', owner)).length;
    const res = expectOk(await o().post('/api/v1/segments/preview', { rule: { trait: 'city', op: 'eq', value: '上海' } }));
    assert.equal(res.count, 2);
    assert.deepEqual(res.sample.map((x) => x.id), sorted(c.wang.id, c.han.id));
    assert.equal(res.sample.find((x) => x.id === c.wang.id).name, '王芳');
    const masked = expectOk(await as(users.analyst).post('/api/v1/segments/preview', { rule: { all: true } }));
    assert.equal(masked.count, 4);
    assert.ok(masked.sample.length <= 20);
    assert.equal(masked.sample.find((x) => x.id === c.wang.id).phone, '+86138****5678');
    assert.equal((await listAll(srv.baseUrl, '/api/v1/segments', owner)).length, before);
  });

  test('bad rules and bodies answer 400 naming the field, and save nothing', async () => {
    const before = (await listAll(srv.baseUrl, '/api/v1/segments', owner)).length;
    const bad = (rule) => o().post('/api/v1/segments', { name: uniq('bad'), rule });
    expectError(await bad({ and: [{ all: true }, { event: 'X', window: { last_days: 0 } }] }), 400, 'invalid_argument', 'rule.and[1].window.last_days');
    expectError(await bad({ trait: 'city', op: 'like', value: 'x' }), 400, 'invalid_argument', /^rule\.op/);
    expectError(await bad({ trait: 'city', op: 'eq', value: 'x', colour: 1 }), 400, 'unknown_field', 'rule.colour');
    expectError(await bad({ or: [{ all: true }, { tag: 'has', id: 987654 }] }), 400, 'invalid_argument', 'rule.or[1].id');
    expectError(await bad({ store: 'in', ids: [987654] }), 400, 'invalid_argument', 'rule.ids');
    expectError(await bad({ segment: 'in', id: 987654 }), 400, 'invalid_argument', 'rule.id');
    expectError(await bad('everyone'), 400, 'invalid_argument', 'rule');
    expectError(await o().post('/api/v1/segments', { rule: { all: true } }), 400, 'invalid_argument', 'name');
    expectError(await o().post('/api/v1/segments', { name: 'x' }), 400, 'invalid_argument', 'rule');
    expectError(await o().post('/api/v1/segments', { name: 'x', rule: { all: true }, colour: 'red' }), 400, 'unknown_field', 'colour');
    expectError(await o().raw('POST', '/api/v1/segments', '{"name": "x", "rule": {'), 400, 'invalid_json');
    expectError(await o().raw('POST', '/api/v1/segments/preview', 'not json'), 400, 'invalid_json');
    expectError(await o().post('/api/v1/segments/preview', { rule: { event: 'X', window: { last_days: -1 } } }), 400, 'invalid_argument', 'rule.window.last_days');
    expectError(await o().post('/api/v1/segments', { name: s.shanghai.name, rule: { all: true } }), 409, 'already_exists', 'name');
    assert.equal((await listAll(srv.baseUrl, '/api/v1/segments', owner)).length, before);
    const h = await api(srv.baseUrl, 'GET', '/healthz');
    assert.equal(h.status, 200);
  });

  test('a new event moves a customer into a segment within a second, with Segment Entered in the timeline', async () => {
    assert.deepEqual(await memberIds(s.coupon.id), []);
    const t0 = Date.now();
    await track('/v1/track', { userId: `${mark}-han`, event: 'Coupon Claimed', properties: { coupon: 'C1' } });
    const inside = await eventually(async () => (await memberIds(s.coupon.id)).includes(c.han.id), 1000, 25);
    assert.ok(inside, `not a member ${Date.now() - t0} ms after the event`);
    const entered = await eventually(async () => {
      const ev = expectOk(await o().get(`/api/v1/customers/${c.han.id}/events?event=${encodeURIComponent('Segment Entered')}`));
      return ev.data.find((e) => e.properties.segment_id === s.coupon.id);
    });
    assert.ok(entered, 'Segment Entered is not in the timeline');
    assert.equal(entered.type, 'track');
    assert.equal(entered.properties.segment_name, s.coupon.name);
  });

  test('a trait change through identify moves a customer out, with Segment Exited', async () => {
    assert.ok((await memberIds(s.shanghai.id)).includes(c.han.id));
    await track('/v1/identify', { userId: `${mark}-han`, traits: { city: '杭州' } });
    const out = await eventually(async () => !(await memberIds(s.shanghai.id)).includes(c.han.id), 2000);
    assert.ok(out, 'still a member after the trait change');
    const exited = await eventually(async () => {
      const ev = expectOk(await o().get(`/api/v1/customers/${c.han.id}/events?event=${encodeURIComponent('Segment Exited')}`));
      return ev.data.find((e) => e.properties.segment_id === s.shanghai.id);
    });
    assert.ok(exited, 'Segment Exited is not in the timeline');
    assert.equal(expectOk(await o().get(`/api/v1/segments/${s.shanghai.id}`)).size, 1);
  });

  test('a profile edit through the API moves a customer in', async () => {
    expectOk(await o().patch(`/api/v1/customers/${c.zhang.id}`, { traits: { city: '上海' } }));
    const inside = await eventually(async () => (await memberIds(s.shanghai.id)).includes(c.zhang.id), 2000);
    assert.ok(inside, 'not a member after the edit');
  });

  test('the export is CSV with a BOM, the chosen fields and PII masked for roles without pii', async () => {
    const res = await o().get(`/api/v1/segments/${s.storeA.id}/export`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="segment-\d+\.csv"/);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked', 'the export is streamed, not built whole');
    const raw = Buffer.from(await (await fetch(`${srv.baseUrl}/api/v1/segments/${s.storeA.id}/export?fields=id,name,phone`, { headers: { cookie: owner.cookie } })).arrayBuffer());
    assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte order mark');
    const lines = raw.subarray(3).toString('utf8').trimEnd().split('\r\n');
    assert.equal(lines[0], 'id,name,phone');
    assert.deepEqual(lines.slice(1), [`${c.wang.id},王芳,+8613812345678`, `${c.han.id},'=韩梅梅,`].sort((a, b) => parseInt(a, 10) - parseInt(b, 10)));
    const header = res.text.replace(/^\uFEFF/, '').split('\r\n')[0];
    assert.equal(header, 'id,name,phone,email,gender,birthday,store_id,member_no,created_at');
    const analyst = await as(users.analyst).get(`/api/v1/segments/${s.storeA.id}/export?fields=phone,email`);
    assert.equal(analyst.status, 200);
    assert.ok(analyst.text.includes('+86138****5678') && analyst.text.includes('h***@example.com'), analyst.text);
    assert.ok(!analyst.text.includes('12345678') && !analyst.text.includes('han@'), analyst.text);
    expectError(await o().get(`/api/v1/segments/${s.storeA.id}/export?fields=id,password`), 400, 'invalid_argument', 'fields');
    expectError(await as(users.guide).get(`/api/v1/segments/${s.storeA.id}/export`), 403, 'forbidden');
  });

  test("store roles see only their stores' customers in sizes, members, previews and exports", async () => {
    for (const role of ['manager', 'guide']) {
      const auth = users[role];
      const seg = expectOk(await as(auth).get(`/api/v1/segments/${s.everyone.id}`));
      assert.equal(seg.size, 2, `${role}: size`);
      assert.deepEqual(await memberIds(s.everyone.id, auth), sorted(c.wang.id, c.han.id), `${role}: members`);
      const preview = expectOk(await as(auth).post('/api/v1/segments/preview', { rule: { all: true } }));
      assert.equal(preview.count, 2, `${role}: preview`);
      assert.ok(preview.sample.every((x) => x.store_id === storeA.id));
      expectError(await as(auth).get(`/api/v1/customers/${c.li.id}/segments`), 404, 'not_found');
      expectError(await as(auth).post('/api/v1/segments', { name: 'x', rule: { all: true } }), 403, 'forbidden');
      expectError(await as(auth).get(`/api/v1/segments/${s.everyone.id}/sizes`), 403, 'forbidden');
    }
    const csv = await as(users.manager).get(`/api/v1/segments/${s.everyone.id}/export?fields=id,store_id`);
    assert.equal(csv.status, 200);
    const rows = csv.text.replace(/^\uFEFF/, '').trimEnd().split('\r\n').slice(1);
    assert.deepEqual(rows, [c.wang.id, c.han.id].sort((a, b) => a - b).map((id) => `${id},${storeA.id}`));
  });

  test('the size history has a row for today', async () => {
    const today = dateInZone('Asia/Shanghai');
    const res = expectOk(await o().get(`/api/v1/segments/${s.everyone.id}/sizes`));
    assert.equal(res.to, today);
    const row = res.data.find((d) => d.date === today);
    assert.ok(row, JSON.stringify(res));
    assert.equal(row.size, 4);
    expectError(await o().get(`/api/v1/segments/${s.everyone.id}/sizes?from=yesterday`), 400, 'invalid_argument', 'from');
  });

  test('renaming and changing the rule take effect at once; cycles and referenced deletes are refused', async () => {
    const put = expectOk(
      await o().put(`/api/v1/segments/${s.coupon.id}`, { name: `领券客户 ${mark}`, description: '近7天', rule: { trait: 'city', op: 'eq', value: '北京' } }),
    );
    assert.equal(put.name, `领券客户 ${mark}`);
    assert.equal(put.description, '近7天');
    assert.equal(put.size, 1);
    assert.deepEqual(await memberIds(s.coupon.id), [c.li.id]);
    const cycle = await o().put(`/api/v1/segments/${s.shanghai.id}`, { name: s.shanghai.name, rule: { segment: 'in', id: s.nested.id } });
    expectError(cycle, 409, 'failed_precondition');
    assert.deepEqual(expectOk(await o().get(`/api/v1/segments/${s.shanghai.id}`)).rule, s.shanghai.rule);
    expectError(await o().del(`/api/v1/segments/${s.repeat.id}`), 409, 'failed_precondition');
    const temp = await createSegment('临时', { all: true });
    expectOk(await o().del(`/api/v1/segments/${temp.id}`), DELETED);
    expectError(await o().get(`/api/v1/segments/${temp.id}`), 404, 'not_found');
    expectError(await o().get(`/api/v1/segments/${temp.id}/members`), 404, 'not_found');
    expectError(await o().put('/api/v1/segments/987654', { name: 'x', rule: { all: true } }), 404, 'not_found');
    expectError(await o().del('/api/v1/segments/987654'), 404, 'not_found');
  });

  test('RFM figures add up and follow the settings', async () => {
    const rfm = expectOk(await o().get('/api/v1/analytics/rfm'));
    assert.equal(rfm.classes.length, 8);
    assert.equal(rfm.customers_with_orders, 2);
    assert.equal(rfm.classes.reduce((n, k) => n + k.customers, 0), rfm.customers_with_orders);
    assert.equal(rfm.classes.reduce((n, k) => n + k.monetary, 0), rfm.monetary_total);
    assert.equal(rfm.monetary_total, 90000);
    assert.ok(Math.abs(rfm.classes.reduce((n, k) => n + k.share, 0) - 1) < 1e-9);
    assert.ok(Math.abs(rfm.classes.reduce((n, k) => n + k.monetary_share, 0) - 1) < 1e-9);
    assert.ok(rfm.classes.every((k) => typeof k.code === 'string' && /客户$/.test(k.name)));
    assert.equal(rfm.thresholds.source.monetary, 'mean');
    assert.deepEqual(expectOk(await o().get('/api/v1/analytics/rfm/settings')), { period_days: 365, recency_days: null, frequency: null, monetary: null });
    const put = expectOk(await o().put('/api/v1/analytics/rfm/settings', { period_days: 180, monetary: 50000 }));
    assert.deepEqual(put, { period_days: 180, recency_days: null, frequency: null, monetary: 50000 });
    const after = expectOk(await o().get('/api/v1/analytics/rfm'));
    assert.equal(after.period_days, 180);
    assert.equal(after.thresholds.monetary, 50000);
    assert.equal(after.thresholds.source.monetary, 'setting');
    expectError(await o().put('/api/v1/analytics/rfm/settings', { period_days: 0 }), 400, 'invalid_argument', 'period_days');
    expectError(await o().put('/api/v1/analytics/rfm/settings', { frequency: -1 }), 400, 'invalid_argument', 'frequency');
    expectError(await o().put('/api/v1/analytics/rfm/settings', { colour: 1 }), 400, 'unknown_field', 'colour');
    expectError(await as(users.manager).get('/api/v1/analytics/rfm'), 403, 'forbidden');
    expectOk(await o().put('/api/v1/analytics/rfm/settings', {}));
  });

  test("another tenant gets 404 for this tenant's segments and cannot refer to them", async () => {
    const t = srv.cli(['tenant', 'add', '--name', `Other ${mark}`]);
    assert.equal(t.code, 0, t.stderr);
    const tenant = Number(cliValue(t.stdout, 'tenant_id'));
    const email = `${uniq('other')}@example.com`;
    const password = randomPassword(16);
    const u = srv.cli(['user', 'add', '--tenant-id', String(tenant), '--email', email, '--role', 'owner', '--password', password]);
    assert.equal(u.code, 0, u.stderr);
    const other = as({ cookie: await loginOk(srv.baseUrl, email, password) });
    for (const p of [`/api/v1/segments/${s.shanghai.id}`, `/api/v1/segments/${s.shanghai.id}/members`, `/api/v1/segments/${s.shanghai.id}/export`, `/api/v1/segments/${s.shanghai.id}/sizes`, `/api/v1/customers/${c.wang.id}/segments`]) {
      expectError(await other.get(p), 404, 'not_found');
    }
    expectError(await other.put(`/api/v1/segments/${s.shanghai.id}`, { name: 'x', rule: { all: true } }), 404, 'not_found');
    expectError(await other.del(`/api/v1/segments/${s.shanghai.id}`), 404, 'not_found');
    expectError(await other.post('/api/v1/segments', { name: 'x', rule: { segment: 'in', id: s.shanghai.id } }), 400, 'invalid_argument', 'rule.id');
    expectError(await other.post('/api/v1/segments/preview', { rule: { store: 'in', ids: [storeA.id] } }), 400, 'invalid_argument', 'rule.ids');
    assert.deepEqual(expectOk(await other.get('/api/v1/segments')).data, []);
    assert.equal(expectOk(await other.post('/api/v1/segments/preview', { rule: { all: true } })).count, 0);
    assert.equal(expectOk(await o().get(`/api/v1/segments/${s.shanghai.id}`)).name, s.shanghai.name);
  });

  test('tagging a customer moves them in and removing the tag moves them out', async () => {
    const group = expectOk(await o().post('/api/v1/tag-groups', { name: `群组 ${mark}` }), CREATED);
    const tag = expectOk(await o().post('/api/v1/tags', { group_id: group.id, name: `高价值 ${mark}` }), CREATED);
    s.tagged = await createSegment('高价值', { tag: 'has', id: tag.id });
    assert.equal(s.tagged.size, 0);
    expectOk(await o().post(`/api/v1/customers/${c.li.id}/tags`, { tag_ids: [tag.id] }), [200, 201]);
    assert.ok(await eventually(async () => (await memberIds(s.tagged.id)).includes(c.li.id), 2000), 'not a member after tagging');
    const entered = await eventually(async () => {
      const ev = expectOk(await o().get(`/api/v1/customers/${c.li.id}/events?event=${encodeURIComponent('Segment Entered')}`));
      return ev.data.find((e) => e.properties.segment_id === s.tagged.id);
    });
    assert.ok(entered, 'Segment Entered is not in the timeline');
    expectOk(await o().del(`/api/v1/customers/${c.li.id}/tags/${tag.id}`), [200, 204]);
    assert.ok(await eventually(async () => (await memberIds(s.tagged.id)).length === 0, 2000), 'still a member after untagging');
  });

  test("a rule tag's members follow its rule, can be used in segments and are in the tag history", async () => {
    const group = expectOk(await o().post('/api/v1/tag-groups', { name: `规则 ${mark}` }), CREATED);
    const gold = expectOk(
      await o().post('/api/v1/tags', { group_id: group.id, name: `金卡 ${mark}`, rule: { trait: 'level', op: 'eq', value: 'gold' } }),
      CREATED,
    );
    s.gold = await createSegment('金卡', { tag: 'has', id: gold.id });
    assert.equal(s.gold.size, 0);
    await track('/v1/identify', { userId: `${mark}-li`, traits: { level: 'gold' } });
    assert.ok(await eventually(async () => (await memberIds(s.gold.id)).includes(c.li.id), 2000), 'not a member after identify');
    await track('/v1/identify', { userId: `${mark}-li`, traits: { level: 'silver' } });
    assert.ok(await eventually(async () => (await memberIds(s.gold.id)).length === 0, 2000), 'still a member');
    const history = await eventually(async () => {
      const h = expectOk(await o().get(`/api/v1/customers/${c.li.id}/tag-history`));
      const mine = h.data.filter((e) => e.tag_id === gold.id);
      return mine.length >= 2 ? mine : null;
    });
    assert.ok(history, 'no rule tag history');
    assert.deepEqual(history.map((e) => [e.action, e.source]).sort(), [['added', 'rule'], ['removed', 'rule']]);
  });

  test('segments, their members and sizes survive a restart without repeating events', async () => {
    const members = {};
    for (const [key, seg] of Object.entries(s)) members[key] = await memberIds(seg.id);
    const enteredBefore = expectOk(await o().get(`/api/v1/customers/${c.wang.id}/events?event=${encodeURIComponent('Segment Entered')}&limit=200`)).data.length;
    await srv.stop();
    srv = await startServer({ dataDir, env: { SIYU_ADMIN_PASSWORD: adminPassword } });
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, adminPassword) };
    for (const [key, seg] of Object.entries(s)) {
      assert.deepEqual(await memberIds(seg.id), members[key], `${key} after the restart`);
    }
    await sleep(500);
    const enteredAfter = expectOk(await o().get(`/api/v1/customers/${c.wang.id}/events?event=${encodeURIComponent('Segment Entered')}&limit=200`)).data.length;
    assert.equal(enteredAfter, enteredBefore);
  });
});
