// Tenant isolation: one tenant's credentials never read, change or delete another tenant's rows.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  startServer,
  login,
  loginOk,
  api,
  expectError,
  expectOk,
  listAll,
  cliValue,
  openapiOperations,
  randomPassword,
  uniq,
  CREATED,
} from './lib/server.mjs';
import { connectSimulator, eventually, inboxSettled, syncStaff } from './lib/wecom.mjs';

describe('tenant isolation', () => {
  let srv;
  const mark1 = uniq('tenantone');
  const mark2 = uniq('tenanttwo');
  let t2;
  let owner1;
  let owner2;
  let key2;
  let cred2;
  let sim;
  let hooks;
  const one = {};
  const two = {};

  const as = (auth) => ({
    get: (p) => api(srv.baseUrl, 'GET', p, auth),
    post: (p, body) => api(srv.baseUrl, 'POST', p, { ...auth, body }),
    patch: (p, body) => api(srv.baseUrl, 'PATCH', p, { ...auth, body }),
    del: (p) => api(srv.baseUrl, 'DELETE', p, auth),
  });

  async function seed(client, mark, phone, unionid, count) {
    const o = { customers: [], stores: [], users: [], keys: [] };
    const hq = expectOk(await client.post('/api/v1/stores', { code: uniq('HQ-'), name: `${mark} hq`, kind: 'hq' }), CREATED);
    const store = expectOk(
      await client.post('/api/v1/stores', { code: uniq('S-'), name: `${mark} store`, kind: 'store', parent_id: hq.id, city: mark }),
      CREATED,
    );
    o.stores.push(hq, store);
    for (let i = 0; i < count; i++) {
      const body = { name: `${mark} customer ${i}`, store_id: store.id, traits: { mark } };
      if (i === count - 1) {
        body.phone = phone;
        body.email = `${mark}@example.com`;
        body.identifiers = [{ type: 'wechat_unionid', value: unionid }];
      }
      o.customers.push(expectOk(await client.post('/api/v1/customers', body), CREATED));
    }
    for (let i = 0; i < count; i++) {
      o.users.push(
        expectOk(
          await client.post('/api/v1/users', {
            email: `${mark}-${i}@example.com`,
            name: `${mark} user ${i}`,
            role: 'operator',
            password: randomPassword(12),
          }),
          CREATED,
        ),
      );
      o.keys.push(expectOk(await client.post('/api/v1/api-keys', { name: `${mark} key ${i}`, kind: 'secret' }), CREATED));
    }
    o.customer = o.customers[o.customers.length - 1];
    o.store = store;
    o.hq = hq;
    o.user = o.users[o.users.length - 1];
    o.key = o.keys[o.keys.length - 1];
    return o;
  }

  const phone = '13700001234';
  const unionid = uniq('o6_shared_');

  before(async () => {
    srv = await startServer();
    owner1 = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    Object.assign(one, await seed(as(owner1), mark1, phone, unionid, 3));
    // An import of tenant 1, so that the /api/v1/imports/{id} routes have a row to probe.
    const imported = await api(srv.baseUrl, 'POST', '/api/v1/imports?kind=customers', {
      ...owner1,
      rawBody: `name,member_no\n${mark1} member,${mark1}-M1\n`,
      headers: { 'content-type': 'text/csv' },
    });
    expectOk(imported, CREATED);
    // A tag group, a tag and a questionnaire of tenant 1, for the tag and questionnaire {id} routes.
    const tagGroup = expectOk(await as(owner1).post('/api/v1/tag-groups', { name: `${mark1} group` }), CREATED);
    const tag = expectOk(await as(owner1).post('/api/v1/tags', { group_id: tagGroup.id, name: `${mark1} tag` }), CREATED);
    expectOk(
      await as(owner1).post('/api/v1/questionnaires', {
        name: `${mark1} survey`,
        questions: [{ title: 'q', choices: [{ label: 'a', tag_ids: [tag.id] }] }],
      }),
      CREATED,
    );
    expectOk(await as(owner1).post(`/api/v1/customers/${one.customer.id}/tags`, { tag_ids: [tag.id] }));
    // A segment of tenant 1, for the segment {id} routes.
    expectOk(await as(owner1).post('/api/v1/segments', { name: `${mark1} segment`, rule: { all: true } }), CREATED);

    // Loyalty objects of tenant 1, for the /api/v1/loyalty/... {id} routes.
    {
      const c = as(owner1);
      const seg = expectOk(await c.get('/api/v1/segments?limit=1')).data[0];
      const tier = expectOk(await c.post('/api/v1/loyalty/tiers', { name: `${mark1} tier`, level: 0, threshold: 0 }), CREATED);
      const rule = expectOk(
        await c.post('/api/v1/loyalty/earning-rules', { name: `${mark1} rule`, kind: 'spend', config: { points: 1 } }),
        CREATED,
      );
      expectOk(await c.post('/api/v1/loyalty/members', { customer_id: one.customer.id }), CREATED);
      const template = expectOk(
        await c.post('/api/v1/loyalty/coupon-templates', {
          name: `${mark1} coupon`,
          type: 'cash_off',
          amount: 1000,
          validity: { type: 'relative', days: 7 },
        }),
        CREATED,
      );
      const issued = expectOk(await c.post(`/api/v1/loyalty/coupon-templates/${template.id}/issue`, { customer_id: one.customer.id }), CREATED);
      const job = await c.post(`/api/v1/loyalty/coupon-templates/${template.id}/issue`, { segment_id: seg.id });
      assert.equal(job.status, 202, JSON.stringify(job.body));
      const item = expectOk(await c.post('/api/v1/loyalty/mall/items', { name: `${mark1} gift`, kind: 'gift', points_price: 100 }), CREATED);
      const plan = expectOk(await c.post('/api/v1/loyalty/paid-plans', { name: `${mark1} plan`, price: 100, duration_days: 30 }), CREATED);
      const offer = expectOk(
        await c.post('/api/v1/loyalty/topup-offers', { name: `${mark1} offer`, pay_amount: 10000, bonus_amount: 1000 }),
        CREATED,
      );
      one.loyalty = {
        members: one.customer.id,
        tiers: tier.id,
        'earning-rules': rule.id,
        'coupon-templates': template.id,
        'coupon-jobs': job.body.id,
        coupons: issued.issued[0].code,
        mall: item.id,
        'paid-plans': plan.id,
        'topup-offers': offer.id,
      };
    }

    // WeCom objects of tenant 1, made as a user would through the simulator, for the
    // /api/v1/wecom/... {id} routes; a webhook subscription and its test delivery (an outbox
    // message) for /api/v1/webhooks/{id} and /api/v1/outbox/{id}.
    {
      const c = as(owner1);
      const settled = () => inboxSettled(srv.baseUrl, owner1);
      ({ sim } = await connectSimulator(srv.baseUrl, owner1));
      await syncStaff(srv.baseUrl, owner1, sim, [['zhang', '张三'], ['li', '李四']]);
      const staff = expectOk(await c.get('/api/v1/wecom/staff?limit=50')).data;
      const staffId = (userid) => staff.find((x) => x.userid === userid).id;
      const created = expectOk(
        await c.post('/api/v1/wecom/live-codes', { name: `${mark1} poster`, channel: 'poster', staff_ids: [staffId('zhang')] }),
        CREATED,
      );
      const liveCode = await eventually(`live code ${created.id} QR codes`, async () => {
        const code = expectOk(await c.get(`/api/v1/wecom/live-codes/${created.id}`));
        return code.sync_status === 'ready' ? code : null;
      });
      const scan = await sim.post('/sim/scan', { config_id: liveCode.staff[0].config_id, name: `${mark1} scanned` });
      const customer = await eventually(`a customer for ${scan.external_userid}`, async () => {
        const r = await c.get(`/api/v1/customers/lookup?type=wecom_external_userid&value=${scan.external_userid}`);
        return r.status === 200 ? r.body : null;
      });
      await eventually('the owner row', async () => expectOk(await c.get(`/api/v1/customers/${customer.id}/owners`)).data.length > 0);
      const chat = await sim.post('/sim/groups', { owner: 'zhang', name: `${mark1} group`, members: [scan.external_userid] });
      const chatId = chat.chat_id;
      await settled();
      const group = expectOk(await c.get('/api/v1/wecom/groups?limit=200')).data.find((g) => g.chat_id === chatId);
      assert.ok(group, `group ${chatId} arrived`);
      const groupCode = expectOk(
        await c.post('/api/v1/wecom/group-live-codes', {
          name: `${mark1} group poster`,
          groups: [{ group_id: group.id, qr_url: 'https://img.example/g1.png' }],
        }),
        CREATED,
      );
      const batch = expectOk(
        await c.post('/api/v1/wecom/item-code-batches', { name: `${mark1} box`, count: 1, target_url: 'https://shop.example/box' }),
        CREATED,
      );
      const itemCode = expectOk(await c.get(`/api/v1/wecom/item-code-batches/${batch.id}/codes`)).data[0].code;
      const transfer = expectOk(
        await c.post('/api/v1/wecom/transfers', {
          kind: 'on_job',
          handover_userid: 'zhang',
          takeover_userid: 'li',
          external_userids: [scan.external_userid],
        }),
        CREATED,
      );
      const segment = expectOk(
        await c.post('/api/v1/segments', { name: `${mark1} wecom`, rule: { identifier: 'exists', type: 'wecom' } }),
        CREATED,
      );
      await eventually(`segment ${segment.id} to hold the scanned customer`, async () =>
        expectOk(await c.get(`/api/v1/segments/${segment.id}`)).size === 1);
      const massSend = expectOk(
        await c.post('/api/v1/wecom/mass-sends', { name: `${mark1} news`, segment_id: segment.id, text: 'hi' }),
        CREATED,
      );

      hooks = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(204).end());
      });
      await new Promise((resolve) => hooks.listen(0, '127.0.0.1', resolve));
      const webhook = expectOk(
        await c.post('/api/v1/webhooks', { url: `http://127.0.0.1:${hooks.address().port}/hooks`, events: ['identify'] }),
        CREATED,
      );
      const delivery = await c.post(`/api/v1/webhooks/${webhook.id}/test`);
      assert.equal(delivery.status, 202, JSON.stringify(delivery.body));
      await settled();
      one.wecom = {
        staff: { id: staffId('zhang') },
        'live-codes': { id: liveCode.id },
        groups: { id: group.id },
        'group-live-codes': { id: groupCode.id },
        'item-code-batches': { id: batch.id, params: { code: itemCode } },
        transfers: { id: transfer.id },
        'mass-sends': { id: massSend.id },
      };
      one.webhook = webhook.id;
      one.outbox = delivery.body.id;
    }

    const t = srv.cli(['tenant', 'add', '--name', `Tenant Two ${mark2}`]);
    assert.equal(t.code, 0, t.stderr);
    t2 = Number(cliValue(t.stdout, 'tenant_id'));
    assert.ok(Number.isInteger(t2) && t2 !== 1, t.stdout);
    const email2 = `${mark2}-owner@example.com`;
    const password2 = randomPassword(16);
    const u = srv.cli(['user', 'add', '--tenant-id', String(t2), '--email', email2, '--name', 'Owner Two', '--role', 'owner', '--password', password2]);
    assert.equal(u.code, 0, u.stderr);
    cred2 = { email: email2, password: password2 };
    owner2 = { cookie: await loginOk(srv.baseUrl, email2, password2) };
    const me = await as(owner2).get('/api/v1/auth/me');
    assert.equal(me.body.tenant.id, t2);
    Object.assign(two, await seed(as(owner2), mark2, '13700005678', uniq('o6_two_'), 1));
    key2 = { token: two.key.key };
  });

  after(async () => {
    if (sim) await sim.stop();
    if (hooks) await new Promise((resolve) => hooks.close(resolve));
    if (srv) await srv.stop();
  });

  test('tenant 2 reads its own tenant', async () => {
    for (const auth of [owner2, key2]) {
      const res = await as(auth).get('/api/v1/tenant');
      assert.equal(res.status, 200);
      assert.equal(res.body.id, t2);
      assert.equal(res.body.name, `Tenant Two ${mark2}`);
    }
  });

  test("tenant 2 gets 404 for every {id} route on tenant 1's ids, and nothing changes", async () => {
    const docRes = await api(srv.baseUrl, 'GET', '/api/openapi.json');
    assert.equal(docRes.status, 200);
    const ops = openapiOperations(docRes.body).filter(
      (o) => o.path.startsWith('/api/v1/') && /\{[^}]+\}/.test(o.path) && !o.path.startsWith('/api/v1/auth/') && ['GET', 'PATCH', 'DELETE', 'PUT'].includes(o.method),
    );
    assert.ok(ops.length >= 8, `only ${ops.length} {id} operations in the document`);

    const known = {
      customers: { id: one.customer.id, theirs: two.customers.map((c) => c.id), body: { name: 'hijacked' } },
      stores: { id: one.store.id, theirs: two.stores.map((s) => s.id), body: { name: 'hijacked' } },
      users: { id: one.user.id, theirs: two.users.map((u) => u.id), body: { name: 'hijacked' } },
      'api-keys': { id: one.key.id, theirs: two.keys.map((k) => k.id), body: { name: 'hijacked' } },
      webhooks: { id: one.webhook, theirs: [], body: { active: false } },
      outbox: { id: one.outbox, theirs: [], body: {} },
    };
    const uncovered = [];
    const problems = [];
    const order = { GET: 0, PATCH: 1, PUT: 1, DELETE: 2 };
    ops.sort((a, b) => order[a.method] - order[b.method]);

    const before1 = await snapshotOne();
    for (const { method, path: p } of ops) {
      const resource = p.split('/')[3];
      let target = known[resource];
      if (resource === 'loyalty') {
        const id = one.loyalty[p.split('/')[4]];
        if (id === undefined) {
          uncovered.push(`${method} ${p}`);
          continue;
        }
        target = { id, theirs: [], body: { name: 'hijacked' } };
      }
      if (resource === 'wecom') {
        const row = one.wecom[p.split('/')[4]];
        if (row === undefined) {
          uncovered.push(`${method} ${p}`);
          continue;
        }
        target = { id: row.id, params: row.params, theirs: [], body: { name: 'hijacked' } };
      }
      if (!target) {
        const rows = await as(owner1).get(`/api/v1/${resource}?limit=1`);
        const id = rows.body?.data?.[0]?.id;
        if (id === undefined) {
          uncovered.push(`${method} ${p}`);
          continue;
        }
        target = { id, theirs: [], body: { name: 'hijacked' } };
      }
      assert.ok(!target.theirs.includes(target.id), `${resource}: tenant 1 id ${target.id} also exists in tenant 2`);
      // Nested parameters ({code}) take tenant 1's value; every other one is the row's id.
      const concrete = p.replace(/\{([^}]+)\}/g, (_, name) => String(target.params?.[name] ?? target.id));
      for (const [label, auth] of [['session', owner2], ['api key', key2]]) {
        const res = await api(srv.baseUrl, method, concrete, {
          ...auth,
          body: method === 'PATCH' || method === 'PUT' ? target.body : undefined,
        });
        if (res.status !== 404 || res.body?.error?.code !== 'not_found') {
          problems.push(`${label} ${method} ${concrete}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      }
    }
    assert.deepEqual(problems, [], "tenant 2 reached tenant 1's rows");
    assert.deepEqual(uncovered, [], 'no tenant 1 row found to probe these routes with');
    const after1 = await snapshotOne();
    assert.deepEqual(after1, before1, 'tenant 1 rows changed');
    assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/customers', { token: one.key.key })).status, 200, 'tenant 1 key no longer works');
  });

  // The actions (refresh, retry, test) of the WeCom, webhook and outbox routes, with an empty body.
  test("tenant 2 gets 404 for the POST actions on tenant 1's WeCom, webhook and outbox rows", async () => {
    const docRes = await api(srv.baseUrl, 'GET', '/api/openapi.json');
    const ops = openapiOperations(docRes.body).filter(
      (o) => o.method === 'POST' && /^\/api\/v1\/(wecom|webhooks|outbox)\/.*\{[^}]+\}/.test(o.path),
    );
    const inboxRow = expectOk(await as(owner1).get('/api/v1/wecom/inbox?limit=1')).recent[0];
    assert.ok(inboxRow, 'tenant 1 has an inbox row');
    const ids = { ...Object.fromEntries(Object.entries(one.wecom).map(([k, v]) => [k, v.id])), inbox: inboxRow.id };
    const before1 = await snapshotOne();
    const problems = [];
    const uncovered = [];
    for (const { method, path: p } of ops) {
      const [, , , resource, sub] = p.split('/');
      const id = resource === 'wecom' ? ids[sub] : resource === 'webhooks' ? one.webhook : one.outbox;
      if (id === undefined) {
        uncovered.push(`${method} ${p}`);
        continue;
      }
      const concrete = p.replace(/\{[^}]+\}/g, String(id));
      for (const [label, auth] of [['session', owner2], ['api key', key2]]) {
        const res = await api(srv.baseUrl, method, concrete, { ...auth, body: {} });
        if (res.status !== 404 || res.body?.error?.code !== 'not_found') {
          problems.push(`${label} ${method} ${concrete}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      }
    }
    assert.deepEqual(problems, [], "tenant 2 reached tenant 1's rows");
    assert.deepEqual(uncovered, [], 'no tenant 1 row found to probe these routes with');
    assert.deepEqual(await snapshotOne(), before1, 'tenant 1 rows changed');
  });

  async function snapshotOne() {
    const c = as(owner1);
    const customer = (await c.get(`/api/v1/customers/${one.customer.id}`)).body;
    const store = (await c.get(`/api/v1/stores/${one.store.id}`)).body;
    const user = (await c.get(`/api/v1/users/${one.user.id}`)).body;
    const keys = (await c.get('/api/v1/api-keys')).body.data.map(({ last_used_at, ...k }) => k);
    const customers = (await listAll(srv.baseUrl, '/api/v1/customers', owner1)).map((x) => x.id).sort();
    const webhook = (await c.get(`/api/v1/webhooks/${one.webhook}`)).body;
    const wecom = {};
    for (const resource of ['staff', 'live-codes', 'group-live-codes']) {
      wecom[resource] = (await c.get(`/api/v1/wecom/${resource}/${one.wecom[resource].id}`)).body;
    }
    return { customer, store, user, keys, customers, webhook, wecom };
  }

  test("tenant 2's lists never contain tenant 1 rows", async () => {
    const t1ids = {
      customers: new Set(one.customers.map((c) => c.id)),
      stores: new Set(one.stores.map((s) => s.id)),
      users: new Set(one.users.map((u) => u.id)),
      'api-keys': new Set(one.keys.map((k) => k.id)),
    };
    for (const auth of [owner2, key2]) {
      for (const resource of ['customers', 'stores', 'users', 'api-keys', 'audit-log']) {
        const rows = await listAll(srv.baseUrl, `/api/v1/${resource}`, auth);
        const text = JSON.stringify(rows);
        assert.ok(!text.includes(mark1), `${resource} of tenant 2 shows tenant 1 data`);
        if (t1ids[resource]) {
          assert.ok(!rows.some((r) => t1ids[resource].has(r.id)), `${resource} of tenant 2 lists a tenant 1 id`);
        }
        if (resource !== 'audit-log') assert.ok(rows.length > 0 && text.includes(mark2), `${resource} of tenant 2 lacks its own rows`);
      }
      for (const q of [`q=${mark1}`, `name=${mark1}`, `q=${unionid}`, `phone=${phone}`]) {
        const res = await as(auth).get(`/api/v1/customers?${q}`);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.data, [], `customers?${q}`);
      }
      const byStore = await as(auth).get(`/api/v1/customers?store_id=${one.store.id}`);
      assert.ok(byStore.status === 400 || (byStore.status === 200 && byStore.body.data.length === 0), `store_id filter: ${byStore.status}`);
      const stores = await as(auth).get(`/api/v1/stores?q=${mark1}`);
      assert.deepEqual(stores.body.data, []);
    }
    for (const resource of ['customers', 'stores', 'users', 'api-keys']) {
      const rows = await listAll(srv.baseUrl, `/api/v1/${resource}`, owner1);
      assert.ok(!JSON.stringify(rows).includes(mark2), `${resource} of tenant 1 shows tenant 2 data`);
    }
  });

  test("tenant 2's WeCom, webhook and outbox lists are empty while tenant 1 has rows", async () => {
    const lists = [
      'wecom/staff', 'wecom/live-codes', 'wecom/groups', 'wecom/group-live-codes', 'wecom/item-code-batches',
      'wecom/transfers', 'wecom/mass-sends', 'wecom/customers', 'wecom/alerts', 'wecom/api-calls', 'webhooks', 'outbox',
    ];
    for (const resource of lists) {
      const mine = expectOk(await as(owner1).get(`/api/v1/${resource}?limit=200`));
      assert.ok(Array.isArray(mine.data), `${resource}: ${JSON.stringify(mine).slice(0, 200)}`);
      for (const [label, auth] of [['session', owner2], ['api key', key2]]) {
        const res = await as(auth).get(`/api/v1/${resource}?limit=200`);
        const theirs = expectOk(res);
        assert.deepEqual(theirs.data, [], `${label} ${resource} of tenant 2`);
        assert.ok(!res.text.includes(mark1), `${label} ${resource} of tenant 2 shows tenant 1 data`);
      }
    }
    assert.ok(expectOk(await as(owner1).get('/api/v1/wecom/inbox?limit=50')).recent.length > 0, 'tenant 1 inbox rows');
    for (const auth of [owner2, key2]) {
      const inbox = expectOk(await as(auth).get('/api/v1/wecom/inbox?limit=50'));
      assert.deepEqual([inbox.recent, inbox.pending, inbox.done, inbox.failed], [[], 0, 0, 0], 'inbox of tenant 2');
      const stats = expectOk(await as(auth).get('/api/v1/wecom/stats/live-codes'));
      assert.deepEqual(stats.live_codes, [], 'live code statistics of tenant 2');
    }
  });

  test("statistics of tenant 2 count only tenant 2's customers", async () => {
    const mine = await listAll(srv.baseUrl, '/api/v1/customers', owner2);
    const res = await as(owner2).get('/api/v1/stats/overview');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.customers_total, mine.length);
    const storeIds = res.body.by_store.map((s) => s.store_id);
    assert.ok(!storeIds.includes(one.store.id), 'by_store shows a tenant 1 store');
  });

  test('identifiers are unique per tenant: lookup is 404 across tenants and the same value can be reused', async () => {
    for (const auth of [owner2, key2]) {
      expectError(await as(auth).get(`/api/v1/customers/lookup?type=phone&value=${phone}`), 404, 'not_found');
      expectError(await as(auth).get(`/api/v1/customers/lookup?type=wechat_unionid&value=${unionid}`), 404, 'not_found');
      expectError(await as(auth).get(`/api/v1/customers/lookup?type=email&value=${mark1}%40example.com`), 404, 'not_found');
    }
    const mine = expectOk(
      await as(owner2).post('/api/v1/customers', {
        name: `${mark2} twin`,
        phone,
        email: `${mark1}@example.com`,
        identifiers: [{ type: 'wechat_unionid', value: unionid }],
      }),
      CREATED,
    );
    assert.notEqual(mine.id, one.customer.id);
    const in2 = await as(owner2).get(`/api/v1/customers/lookup?type=wechat_unionid&value=${unionid}`);
    assert.equal(in2.status, 200);
    assert.equal(in2.body.id, mine.id);
    const in1 = await as(owner1).get(`/api/v1/customers/lookup?type=wechat_unionid&value=${unionid}`);
    assert.equal(in1.body.id, one.customer.id);
    const phone1 = await as(owner1).get(`/api/v1/customers/lookup?type=phone&value=${phone}`);
    assert.equal(phone1.body.id, one.customer.id);
    assert.equal(phone1.body.name, one.customer.name);
    expectError(
      await as(owner2).post('/api/v1/customers', { name: 'third', identifiers: [{ type: 'wechat_unionid', value: unionid }] }),
      409,
      'already_exists',
      /^identifiers/,
    );
  });

  test("tenant 1's stores cannot be referenced from tenant 2", async () => {
    const c = as(owner2);
    const before = (await listAll(srv.baseUrl, '/api/v1/customers', owner2)).length;
    expectError(await c.post('/api/v1/customers', { name: 'x', store_id: one.store.id }), 400, 'invalid_argument', 'store_id');
    expectError(await c.patch(`/api/v1/customers/${two.customer.id}`, { store_id: one.store.id }), 400, 'invalid_argument', 'store_id');
    expectError(
      await c.post('/api/v1/stores', { code: uniq('X-'), name: 'x', kind: 'store', parent_id: one.hq.id }),
      400,
      'invalid_argument',
      'parent_id',
    );
    expectError(
      await c.post('/api/v1/users', { email: `${uniq('sm')}@example.com`, name: 'x', role: 'store_manager', store_ids: [one.store.id], password: randomPassword(12) }),
      400,
      'invalid_argument',
      'store_ids',
    );
    expectError(await c.patch(`/api/v1/users/${two.user.id}`, { role: 'guide', store_ids: [one.store.id] }), 400, 'invalid_argument', 'store_ids');
    assert.equal((await listAll(srv.baseUrl, '/api/v1/customers', owner2)).length, before);
    assert.equal((await c.get(`/api/v1/customers/${two.customer.id}`)).body.store_id, two.store.id);
  });

  test("tenant 2's tenant settings and audit are its own", async () => {
    const renamed = `Renamed ${mark2}`;
    const res = await as(owner2).patch('/api/v1/tenant', { name: renamed });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.name, renamed);
    const t1 = await as(owner1).get('/api/v1/tenant');
    assert.equal(t1.body.id, 1);
    assert.equal(t1.body.name, 'My Brand');

    const victim = expectOk(await as(owner1).post('/api/v1/customers', { name: `${mark1} victim` }), CREATED);
    expectOk(await as(owner1).del(`/api/v1/customers/${victim.id}`), [200, 204]);
    const audit1 = await listAll(srv.baseUrl, '/api/v1/audit-log?action=customer.delete', owner1);
    assert.ok(audit1.some((e) => String(e.target_id) === String(victim.id)));
    const audit2 = await listAll(srv.baseUrl, '/api/v1/audit-log', owner2);
    assert.ok(!audit2.some((e) => e.action === 'customer.delete' && String(e.target_id) === String(victim.id)), 'tenant 2 sees tenant 1 audit');
    assert.ok(audit2.some((e) => e.action === 'tenant.update'), 'tenant 2 audit lacks its own tenant.update');
    const audit1all = await listAll(srv.baseUrl, '/api/v1/audit-log?action=tenant.update', owner1);
    assert.ok(!JSON.stringify(audit1all).includes(mark2), 'tenant 1 sees tenant 2 audit');
  });

  test("a session of tenant 2 cannot revoke a tenant 1 session nor switch into tenant 1", async () => {
    const sessions1 = await as(owner1).get('/api/v1/auth/sessions');
    const sid = sessions1.body.data.find((s) => s.current).id;
    expectError(await as(owner2).del(`/api/v1/auth/sessions/${sid}`), 404, 'not_found');
    assert.equal((await as(owner1).get('/api/v1/auth/me')).status, 200);

    const sw = await as(owner2).post('/api/v1/auth/switch-tenant', { tenant_id: 1 });
    assert.ok([400, 403, 404].includes(sw.status), `switch-tenant into a foreign tenant: ${sw.status} ${JSON.stringify(sw.body)}`);
    assert.equal((await as(owner2).get('/api/v1/auth/me')).body.tenant.id, t2);
    assert.equal((await as(owner2).get('/api/v1/tenant')).body.id, t2);

    const me2 = (await as(owner2).get('/api/v1/auth/me')).body;
    assert.deepEqual(me2.tenants.map((t) => t.id), [t2]);
    const l = await login(srv.baseUrl, cred2.email, cred2.password, 1);
    assert.ok([400, 401, 403, 404].includes(l.status), `login into a foreign tenant: ${l.status} ${JSON.stringify(l.body)}`);
    assert.equal(l.cookie, null);
  });
});
